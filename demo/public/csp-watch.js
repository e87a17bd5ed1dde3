// Lists every Content-Security-Policy violation on the page (the strict CSP page must show none).
const status = document.getElementById('csp-status');
const list = document.getElementById('csp-violations');
let count = 0;

document.addEventListener(
  'securitypolicyviolation',
  (e) => {
    count += 1;
    if (status) {
      status.dataset.violations = String(count);
      status.textContent = `${count} violation${count === 1 ? '' : 's'}:`;
    }
    if (list) {
      const item = document.createElement('li');
      item.textContent = `${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'}${e.sample ? ` — ${e.sample}` : ''}`;
      list.append(item);
    }
  },
  true,
);

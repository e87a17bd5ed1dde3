// Shows the <parley-chat> events the host page receives (they bubble out of the widget as composed DOM events).
const log = document.getElementById('event-log');
const widget = document.getElementById('assistant');

function add(text) {
  if (!log) return;
  const empty = log.querySelector('.muted');
  if (empty) empty.remove();
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} — ${text}`;
  log.prepend(item);
  while (log.children.length > 12) log.lastElementChild?.remove();
}

if (widget) {
  widget.addEventListener('parley-send', (e) => add(`asked: “${e.text}”`));
  widget.addEventListener('parley-answer', (e) => add(`answer (${e.answer.type}): ${e.answer.message}`));
  widget.addEventListener('parley-error', (e) => add(`error ${e.code}: ${e.message}`));
  widget.addEventListener('parley-connection', (e) => add(`connection: ${e.status}`));
  widget.addEventListener('parley-upload', () => add('a data file was uploaded'));
}

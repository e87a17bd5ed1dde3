// A tiny HTML builder for the pages Parley and its demo host app serve: every interpolated value is escaped unless it is Html.
//
//   html`<p title=${title}>${name}</p>`        escapes title and name
//   html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`   arrays of Html are joined

/** Markup that is already safe (built by `html` or `raw`). */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for HTML content and quoted or unquoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);
}

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.value;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** Trusted markup, used as is (only for constants of this app). */
export function raw(markup: string): Html {
  return new Html(markup);
}

/** ` name="value"`, or nothing when value is undefined or false (for optional attributes). */
export function attr(name: string, value: string | number | false | undefined): Html {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`not an attribute name: ${name}`);
  return value === undefined || value === false
    ? new Html('')
    : new Html(` ${name}="${escapeHtml(String(value))}"`);
}

// "Read as" chips under an answer: the reading the planner took (measure, period, filters, grouping), so that a
// silent misreading is visible. A render function with its styles, used inside <parley-message-list>.
import { css, html, nothing, type TemplateResult } from 'lit';
import type { ParleyStrings } from '../strings.ts';
import type { Answer } from '../types.ts';

export function renderReadAs(a: Answer | undefined, s: ParleyStrings): TemplateResult | typeof nothing {
  const chips = a?.readAs ?? [];
  if (chips.length === 0) return nothing;
  return html`<div class="read-as" part="read-as">
    <span class="read-as-label">${s.readAs}</span>
    <ul aria-label=${s.readAs}>
      ${chips.map((c) => html`<li class="read-chip ${c.kind}" data-kind=${c.kind}>${c.text}</li>`)}
    </ul>
  </div>`;
}

export const readAsStyles = css`
  .read-as {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: calc(var(--parley-space) / 2);
    font-size: 0.85em;
  }
  .read-as-label {
    color: var(--parley-color-muted);
  }
  .read-as ul {
    display: contents;
    list-style: none;
  }
  .read-chip {
    padding: 1px var(--parley-space);
    border: 1px solid var(--parley-color-border);
    border-radius: 999px;
    background: var(--parley-color-surface);
    color: var(--parley-color-text);
    overflow-wrap: anywhere;
  }
`;

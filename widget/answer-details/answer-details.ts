// "How was this answered?" as a person reads it: the account of the plan in words (what was counted, which rows and
// dates, whose data), and behind a second disclosure the SQL with table names and each bound value labelled.
// A render function with its styles, used inside <parley-message-list>'s shadow root.
import { css, html, nothing, type TemplateResult } from 'lit';
import type { ParleyStrings } from '../strings.ts';
import type { Answer } from '../types.ts';

function valueText(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function renderAnswerDetails(
  a: Answer | undefined,
  s: ParleyStrings,
): TemplateResult | typeof nothing {
  if (!a || (!a.explanation && !a.sql && !a.account?.length)) return nothing;
  const account = a.account ?? [];
  const readable = a.readableSql;
  const sqlText = readable?.text ?? a.sql?.text;
  const values = readable?.values ?? a.sql?.bindings.map((value, i) => ({ label: `${i + 1}`, value })) ?? [];
  const even = a.likeForLike;
  const evenSql = even?.readableSql?.text ?? even?.sql?.text;
  const evenValues =
    even?.readableSql?.values ?? even?.sql?.bindings.map((value, i) => ({ label: `${i + 1}`, value })) ?? [];
  const windows = even
    ? [...(even.window ? [even.window] : []), ...even.periods].map((w) => `${w.label}: ${w.span}`).join('; ')
    : '';
  return html`<details part="details" class="how">
    <summary>${s.howAnswered}</summary>
    ${
      account.length > 0
        ? html`<dl class="account" part="account">
          ${account.map((line) => html`<div><dt>${line.label}</dt><dd><bdi>${line.text}</bdi></dd></div>`)}
        </dl>`
        : a.explanation
          ? html`<p class="explanation">${a.explanation}</p>`
          : nothing
    }
    ${
      sqlText
        ? html`<details class="sql-details" part="sql-details">
          <summary>${s.showSql}</summary>
          <pre class="sql"><code>${sqlText}</code></pre>
          ${
            values.length > 0
              ? html`<p class="values-heading">${s.bindingsLabel}</p>
                <ol class="bindings">
                  ${values.map((v) => html`<li><span class="binding-label">${v.label}</span> <code>${valueText(v.value)}</code></li>`)}
                </ol>`
              : nothing
          }
          ${
            evenSql
              ? html`<p class="values-heading like-for-like">${s.likeForLikeSql.replace('{windows}', windows)}</p>
                <pre class="sql like-for-like"><code>${evenSql}</code></pre>
                ${
                  evenValues.length > 0
                    ? html`<ol class="bindings like-for-like">
                      ${evenValues.map((v) => html`<li><span class="binding-label">${v.label}</span> <code>${valueText(v.value)}</code></li>`)}
                    </ol>`
                    : nothing
                }`
              : nothing
          }
        </details>`
        : nothing
    }
  </details>`;
}

export const answerDetailsStyles = css`
  .how .account {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: calc(var(--parley-space) / 2) var(--parley-space);
    margin: 0 0 var(--parley-space);
  }
  .how .account > div {
    display: contents;
  }
  .how .account dt {
    font-weight: 600;
  }
  .how .account dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
  .how .sql-details {
    margin-block-start: calc(var(--parley-space) / 2);
  }
  .how .values-heading {
    margin: var(--parley-space) 0 calc(var(--parley-space) / 2);
    font-weight: 600;
  }
  .how .bindings {
    margin: 0;
    padding-inline-start: 2em;
    font-size: 0.9em;
  }
  .how .bindings code {
    font-family: var(--parley-font-family-mono);
    overflow-wrap: anywhere;
  }
  @media (max-width: 360px) {
    .how .account {
      grid-template-columns: 1fr;
    }
  }
`;

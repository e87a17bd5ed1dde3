import { css, html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { answerDetailsStyles, renderAnswerDetails } from '../answer-details/answer-details.ts';
import { defineElement } from '../define.ts';
import '../countdown/countdown.ts';
import '../feedback/feedback.ts';
import '../read-as/read-as.ts';
import '../result-chart/result-chart.ts';
import '../result-table/result-table.ts';
import { icons } from '../shared/icons.ts';
import { base } from '../shared/styles.ts';
import { DEFAULT_STRINGS, type ParleyStrings } from '../strings.ts';
import { isInProgress, type Turn } from '../turns.ts';
import type { AnswerChoice, Rating, Stage } from '../types.ts';
import { answerCopyText } from './copy-text.ts';

const STAGES: readonly Stage[] = ['planning', 'querying', 'composing'];

/** "Sending…" -> "Sending": the animated dots after it are the ellipsis (never "Sending……"). */
export function withoutEllipsis(text: string): string {
  return text.replace(/\s*(?:…|\.{2,})\s*$/, '');
}

export interface MessageListActions {
  ask(text: string): void;
  retry(turn: Turn): void;
  stop(turn: Turn): void;
  feedback(turn: Turn, rating: Rating, comment: string | null): Promise<void>;
  copy(text: string): Promise<void>;
  /** the full CSV of a truncated answer, from the server */
  exportCsv?(turn: Turn): Promise<Blob>;
}

/**
 * The conversation: questions, answers (text, tables, charts) and the answer being made.
 * Finished turns live in a `role="log"` live region, so each completed answer is announced once; the answer
 * being streamed is drawn after the log with `aria-busy`, and moves into the log when it completes.
 *
 * @csspart messages - the log
 * @csspart message - every question and answer
 * @csspart user-message - a question
 * @csspart answer - an answer
 * @csspart pending - the answer being made
 * @csspart progress - the stage indicator
 * @csspart starters - the starter questions
 * @csspart suggestions - the suggested follow-up questions
 * @csspart choices - a clarification's readings
 * @csspart choice - one reading's button (asks its question)
 * @csspart details - the "how was this answered" disclosure
 * @csspart read-as - the "Read as" chips (also read-as-chip, read-as-menu, read-as-unused)
 */
export class ParleyMessageList extends LitElement {
  static override properties = {
    turns: { attribute: false },
    starters: { attribute: false },
    strings: { attribute: false },
    actions: { attribute: false },
    dark: { type: Boolean },
    canAsk: { type: Boolean, attribute: 'can-ask' },
    copiedId: { state: true },
  };

  static override styles = [
    answerDetailsStyles,
    base,
    css`
      :host {
        display: block;
        overflow-y: auto;
        overscroll-behavior: contain;
      }
      .inner {
        display: flex;
        flex-direction: column;
        gap: calc(var(--parley-space) * 1.5);
        padding: calc(var(--parley-space) * 1.5);
      }
      .log {
        display: flex;
        flex-direction: column;
        gap: calc(var(--parley-space) * 1.5);
      }
      .turn {
        display: flex;
        flex-direction: column;
        gap: var(--parley-space);
      }
      .user {
        align-self: flex-end;
        max-inline-size: 85%;
        padding: var(--parley-space) calc(var(--parley-space) * 1.5);
        border-radius: var(--parley-radius);
        border-end-end-radius: var(--parley-radius-small);
        background: var(--parley-color-user-bg);
        /* derived from the background by <parley-chat> (widget/theme/contrast.ts): readable whatever the host sets */
        color: var(--parley-user-text-derived, var(--parley-color-user-text));
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      .answer,
      .pending {
        display: flex;
        flex-direction: column;
        gap: var(--parley-space);
        max-inline-size: 100%;
        min-inline-size: 0;
      }
      .text {
        margin: 0;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      /* a refusal is an answer, not a fault: neutral, with a quiet marker (issue 16) */
      .answer.error .text {
        padding-inline-start: var(--parley-space);
        border-inline-start: 3px solid var(--parley-color-border);
      }
      .failed {
        color: var(--parley-color-danger);
      }
      .stages {
        display: flex;
        flex-wrap: wrap;
        gap: var(--parley-space);
        margin: 0;
        padding: 0;
        list-style: none;
        font-size: 0.9em;
        color: var(--parley-color-muted);
      }
      .stages li::before {
        content: '○ ';
      }
      .stages li.done::before {
        content: '● ';
      }
      .stages li[aria-current='step'] {
        color: var(--parley-color-text);
        font-weight: 600;
      }
      .stages li[aria-current='step']::before {
        content: '◉ ';
      }
      .stage-message {
        margin: 0;
        font-size: 0.9em;
        color: var(--parley-color-muted);
      }
      .dots::after {
        content: '';
        animation: dots 1.2s steps(4, end) infinite;
      }
      @keyframes dots {
        0% {
          content: '';
        }
        25% {
          content: '.';
        }
        50% {
          content: '..';
        }
        75% {
          content: '...';
        }
      }
      @media (prefers-reduced-motion: reduce) {
        .dots::after {
          animation: none;
          content: '…';
        }
      }
      .chips {
        display: flex;
        flex-wrap: wrap;
        gap: calc(var(--parley-space) / 2);
        align-items: center;
      }
      .chips h3,
      .starters h2 {
        margin: 0;
        font-size: 0.9em;
        font-weight: 600;
        color: var(--parley-color-muted);
        inline-size: 100%;
      }
      .chip {
        padding: calc(var(--parley-space) / 2) var(--parley-space);
        border: 1px solid var(--parley-color-border);
        border-radius: 999px;
        background: var(--parley-color-bg);
        text-align: start;
      }
      .chip:hover:not(:disabled) {
        border-color: var(--parley-color-accent);
      }
      .choices {
        display: flex;
        flex-direction: column;
        align-items: flex-start;
        gap: calc(var(--parley-space) / 2);
      }
      .choice {
        min-block-size: 32px;
        padding: calc(var(--parley-space) / 2) var(--parley-space);
        border: 1px solid var(--parley-color-accent);
        border-radius: var(--parley-radius-small);
        background: var(--parley-color-bg);
        color: var(--parley-accent-text-derived, var(--parley-color-accent));
        text-align: start;
        overflow-wrap: anywhere;
      }
      .choice:hover:not(:disabled) {
        background: var(--parley-color-surface);
      }
      .starters {
        display: flex;
        flex-wrap: wrap;
        gap: var(--parley-space);
      }
      details {
        font-size: 0.9em;
      }
      summary {
        cursor: pointer;
        color: var(--parley-color-muted);
        inline-size: fit-content;
      }
      details[open] summary {
        margin-block-end: calc(var(--parley-space) / 2);
      }
      pre {
        margin: 0;
        padding: var(--parley-space);
        overflow: auto;
        border-radius: var(--parley-radius-small);
        background: var(--parley-color-code-bg);
        font-family: var(--parley-font-family-mono);
        font-size: 0.9em;
        white-space: pre-wrap;
        direction: ltr;
        text-align: left;
      }
      dl {
        display: grid;
        gap: calc(var(--parley-space) / 2);
        margin: 0;
      }
      dt {
        font-weight: 600;
      }
      dd {
        margin: 0;
      }
      /* copy, retry and the thumbs share one line at any width; a feedback comment or note wraps below them */
      .actions {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 2px;
      }
      .actions parley-feedback {
        display: contents;
      }
    `,
  ];

  turns: readonly Turn[] = [];
  starters: readonly string[] = [];
  strings: ParleyStrings = { ...DEFAULT_STRINGS };
  actions: MessageListActions | undefined;
  dark = false;
  canAsk = true;
  copiedId: string | null = null;
  /** whether the view follows new content: true until the user scrolls up, again once back at the bottom */
  private stickToBottom = true;
  private resizeObserver: ResizeObserver | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener('scroll', this.onScroll, { passive: true });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener('scroll', this.onScroll);
    this.resizeObserver?.disconnect();
    this.resizeObserver = undefined;
  }

  private lastScrollTop = 0;

  private readonly onScroll = (): void => {
    // content growing under us is not the user scrolling away: only an upward scroll unsticks
    if (this.scrollHeight - this.scrollTop - this.clientHeight < 80) this.stickToBottom = true;
    else if (this.scrollTop < this.lastScrollTop) this.stickToBottom = false;
    this.lastScrollTop = this.scrollTop;
  };

  protected override firstUpdated(): void {
    // tables and charts grow after they are added (their own render, the lazy chart code): keep following them
    if (typeof ResizeObserver === 'undefined') return;
    const inner = this.renderRoot.querySelector('.inner');
    if (!inner) return;
    this.resizeObserver = new ResizeObserver(() => {
      if (this.stickToBottom) this.scrollToEnd();
    });
    this.resizeObserver.observe(inner);
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('turns') && this.stickToBottom) this.scrollToEnd();
  }

  /** Scrolls to the latest message. */
  scrollToEnd(): void {
    this.stickToBottom = true;
    this.scrollTop = this.scrollHeight;
  }

  private async copy(turn: Turn): Promise<void> {
    // the sentence and the data under it (copy-text.ts), not only the sentence
    const text = answerCopyText(turn.answer, turn.text);
    try {
      await this.actions?.copy(text);
      this.copiedId = turn.clientId;
      setTimeout(() => {
        if (this.copiedId === turn.clientId) this.copiedId = null;
      }, 2000);
    } catch {
      // clipboard refused: nothing to show
    }
  }

  private stageLabel(stage: Stage): string {
    const s = this.strings;
    switch (stage) {
      case 'planning':
        return s.stagePlanning;
      case 'querying':
        return s.stageQuerying;
      case 'composing':
        return s.stageComposing;
      default:
        throw new Error(`unknown stage ${String(stage)}`);
    }
  }

  private renderPending(turn: Turn): TemplateResult {
    const s = this.strings;
    const current = turn.stage ? STAGES.indexOf(turn.stage) : -1;
    return html`<div class="pending" part="message pending" aria-busy="true" data-client-id=${turn.clientId}>
      <span class="sr-only">${s.assistant}:</span>
      ${
        turn.status === 'streaming' && current >= 0
          ? html`<ol class="stages" part="progress">
            ${STAGES.map(
              (stage, i) =>
                html`<li class=${i < current ? 'done' : ''} aria-current=${i === current ? 'step' : 'false'}>
                  ${this.stageLabel(stage)}
                </li>`,
            )}
          </ol>`
          : html`<p class="stage-message"><span class="dots">${withoutEllipsis(s.waiting)}</span></p>`
      }
      ${turn.stageMessage && !turn.text ? html`<p class="stage-message dots">${withoutEllipsis(turn.stageMessage)}</p>` : nothing}
      ${turn.text ? html`<p class="text"><bdi>${turn.text}</bdi></p>` : nothing}
    </div>`;
  }

  private renderDetails(turn: Turn): TemplateResult | typeof nothing {
    return renderAnswerDetails(turn.answer, this.strings);
  }

  /** The full-CSV download of an answer cut at the row cap, when the list's owner can fetch it. */
  private fullExport(turn: Turn): (() => Promise<Blob>) | undefined {
    const exportCsv = this.actions?.exportCsv;
    if (!exportCsv || !turn.answer?.data?.truncated || !turn.responseId) return undefined;
    return () => exportCsv(turn);
  }

  private renderResult(turn: Turn): TemplateResult | typeof nothing {
    const a = turn.answer;
    if (!a) return nothing;
    switch (a.type) {
      case 'table':
        return a.table || a.data
          ? html`<div class="result" aria-live="off">
              <parley-result-table
                .table=${a.table}
                .data=${a.data}
                .strings=${this.strings}
                .filename=${a.exportName}
                .fullExport=${this.fullExport(turn)}
                caption=${a.message}
                exportparts="table,pager,download,download-all,truncated"
              ></parley-result-table>
            </div>`
          : nothing;
      case 'chart':
        return a.spec
          ? html`<div class="result" aria-live="off">
              <parley-result-chart
                .spec=${a.spec}
                .table=${a.table}
                .data=${a.data}
                .strings=${this.strings}
                caption=${a.message}
                .dark=${this.dark}
                exportparts="chart,toggle,tooltip,table,pager,download"
              ></parley-result-chart>
            </div>`
          : nothing;
      case 'clarification':
        return this.renderChoices(a.choices);
      case 'text':
      case 'error':
        return nothing;
      default:
        throw new Error(`unknown answer type ${String(a.type)}`);
    }
  }

  /** A clarification's readings: one button each, which asks that reading's question in this conversation. */
  private renderChoices(choices: readonly AnswerChoice[] | undefined): TemplateResult | typeof nothing {
    if (!choices || choices.length === 0) return nothing;
    return html`<div class="choices" part="choices" role="group" aria-label=${this.strings.choicesLabel}>
      ${choices.map(
        (c) =>
          html`<button
            type="button"
            class="choice"
            part="choice"
            ?disabled=${!this.canAsk}
            @click=${() => this.actions?.ask(c.question)}
          >
            ${c.label}
          </button>`,
      )}
    </div>`;
  }

  /** The reading taken, as chips; choosing another reading of a chip asks it like a suggestion. */
  private renderReadAs(turn: Turn): TemplateResult | typeof nothing {
    const a = turn.answer;
    if (!a?.readAs?.length && !a?.unusedWords?.length) return nothing;
    return html`<parley-read-as
      .chips=${a.readAs ?? []}
      .unused=${a.unusedWords ?? []}
      .strings=${this.strings}
      .ask=${(q: string) => this.actions?.ask(q)}
      ?disabled=${!this.canAsk}
      exportparts="read-as,read-as-chip,read-as-menu,read-as-unused"
    ></parley-read-as>`;
  }

  private renderSuggestions(
    list: readonly string[] | undefined,
    heading: string,
  ): TemplateResult | typeof nothing {
    if (!list || list.length === 0) return nothing;
    return html`<div class="chips" part="suggestions">
      <h3>${heading}</h3>
      ${list.map(
        (q) =>
          html`<button type="button" class="chip" ?disabled=${!this.canAsk} @click=${() => this.actions?.ask(q)}>
            ${q}
          </button>`,
      )}
    </div>`;
  }

  private renderActions(turn: Turn, retry: boolean): TemplateResult {
    const s = this.strings;
    const copied = this.copiedId === turn.clientId;
    return html`<div class="actions">
      ${
        turn.status === 'completed'
          ? html`<button
            type="button"
            class="btn ghost"
            aria-label=${copied ? s.copied : s.copy}
            title=${copied ? s.copied : s.copy}
            @click=${() => this.copy(turn)}
          >
            ${copied ? icons.check : icons.copy}
          </button>`
          : nothing
      }
      ${
        retry
          ? html`<button
            type="button"
            class="btn ghost"
            aria-label=${s.retry}
            title=${s.retry}
            ?disabled=${!this.canAsk}
            @click=${() => this.actions?.retry(turn)}
          >
            ${icons.retry}
          </button>`
          : nothing
      }
      ${
        turn.status === 'completed' && turn.responseId
          ? html`<parley-feedback
            .rating=${turn.feedback?.rating ?? null}
            .comment=${turn.feedback?.comment ?? null}
            .strings=${this.strings}
            .submit=${(rating: Rating, comment: string | null) =>
              this.actions ? this.actions.feedback(turn, rating, comment) : Promise.resolve()}
            exportparts="feedback"
          ></parley-feedback>`
          : nothing
      }
    </div>`;
  }

  private renderFinal(turn: Turn): TemplateResult | typeof nothing {
    const s = this.strings;
    switch (turn.status) {
      case 'queued':
      case 'sent':
      case 'streaming':
        return nothing;
      case 'completed': {
        const a = turn.answer;
        const type = a?.type ?? 'text';
        return html`<article class="answer ${type}" part="message answer" data-client-id=${turn.clientId}>
          <p class="text"><span class="sr-only">${s.assistant}: </span><bdi>${a?.message ?? turn.text}</bdi></p>
          ${this.renderResult(turn)} ${this.renderReadAs(turn)} ${this.renderSuggestions(a?.suggestions, s.suggestionsHeading)}
          ${this.renderDetails(turn)} ${this.renderActions(turn, true)}
        </article>`;
      }
      case 'failed': {
        const error = turn.error;
        const limited = error?.code === 'rate_limited' && error.retryAfter;
        const message = limited
          ? html`<parley-countdown
              .until=${error.retryAt ?? Date.now() + (error.retryAfter ?? 0) * 1000}
              .strings=${s}
            ></parley-countdown>`
          : error?.message || s.answerFailed;
        return html`<article class="answer failed" part="message answer" data-client-id=${turn.clientId}>
          <p class="text"><span class="sr-only">${s.assistant}: </span>${message}</p>
          ${this.renderActions(turn, true)}
        </article>`;
      }
      case 'cancelled':
        return html`<article class="answer cancelled" part="message answer" data-client-id=${turn.clientId}>
          <p class="text muted"><span class="sr-only">${s.assistant}: </span>${turn.text ? `${turn.text} ` : ''}${s.cancelled}</p>
          ${this.renderActions(turn, true)}
        </article>`;
      default:
        throw new Error(`unknown turn status ${String(turn.status)}`);
    }
  }

  protected override render() {
    const s = this.strings;
    const pending = this.turns.filter(isInProgress);
    return html`<div class="inner">
      ${
        this.turns.length === 0 && this.starters.length > 0
          ? html`<div class="starters" part="starters" role="group" aria-labelledby="starters-heading">
            <h2 id="starters-heading">${s.starterHeading}</h2>
            ${this.starters.map(
              (q) =>
                html`<button type="button" class="chip" ?disabled=${!this.canAsk} @click=${() => this.actions?.ask(q)}>
                  ${q}
                </button>`,
            )}
          </div>`
          : nothing
      }
      <div class="log" role="log" aria-live="polite" aria-relevant="additions" aria-label=${s.messagesLabel} part="messages">
        ${this.turns.map(
          (turn) => html`<div class="turn">
            <p class="user" part="message user-message" data-client-id=${turn.clientId}><span class="sr-only">${s.you}: </span><bdi>${turn.question}</bdi></p>
            ${this.renderFinal(turn)}
          </div>`,
        )}
      </div>
      ${pending.map((turn) => this.renderPending(turn))}
    </div>`;
  }
}

defineElement('parley-message-list', ParleyMessageList);

declare global {
  interface HTMLElementTagNameMap {
    'parley-message-list': ParleyMessageList;
  }
}

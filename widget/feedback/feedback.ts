import { css, html, LitElement, nothing } from 'lit';
import { defineElement } from '../define.ts';
import { icons } from '../shared/icons.ts';
import { base } from '../shared/styles.ts';
import { DEFAULT_STRINGS, type ParleyStrings } from '../strings.ts';
import type { Rating } from '../types.ts';

/** Saves a rating (and comment); rejects with an Error whose message is shown. */
export type FeedbackSubmit = (rating: Rating, comment: string | null) => Promise<void>;

/**
 * - `idle`: nothing sent yet (or a rating is shown)
 * - `saving`: a request is in flight
 * - `commenting`: rated; the optional comment box is open
 * - `thanks`: the comment was saved
 * - `error`: the last request failed
 */
export type FeedbackStatus = 'idle' | 'saving' | 'commenting' | 'thanks' | 'error';

/**
 * Thumbs up/down on an answer with an optional comment. A second click on the chosen thumb clears the rating.
 *
 * @csspart feedback - the wrapper
 */
export class ParleyFeedback extends LitElement {
  static override properties = {
    rating: { attribute: false },
    comment: { attribute: false },
    strings: { attribute: false },
    submit: { attribute: false },
    maxLength: { type: Number, attribute: 'max-length' },
    status: { state: true },
    errorText: { state: true },
  };

  static override styles = [
    base,
    css`
      :host {
        display: inline-block;
      }
      /* in an answer's actions (display: contents there) the thumbs join the copy/retry line and what follows them
         (comment form, thanks, error) takes a line of its own below */
      [part~='feedback'] {
        display: contents;
      }
      .row {
        display: inline-flex;
        align-items: center;
        gap: 2px;
      }
      form,
      [role='status'],
      [role='alert'] {
        flex-basis: 100%;
      }
      button[aria-pressed='true'] {
        color: var(--parley-accent-text-derived, var(--parley-color-accent));
        background: var(--parley-color-surface);
      }
      form {
        display: grid;
        gap: calc(var(--parley-space) / 2);
        margin-block-start: calc(var(--parley-space) / 2);
        min-inline-size: min(320px, 100%);
      }
      textarea {
        resize: vertical;
        min-block-size: 60px;
        padding: calc(var(--parley-space) / 2);
        border: 1px solid var(--parley-color-border);
        border-radius: var(--parley-radius-small);
        background: var(--parley-color-bg);
      }
      .actions {
        display: flex;
        gap: calc(var(--parley-space) / 2);
      }
    `,
  ];

  rating: Rating = null;
  comment: string | null = null;
  strings: ParleyStrings = { ...DEFAULT_STRINGS };
  submit: FeedbackSubmit | undefined;
  maxLength = 2000;
  status: FeedbackStatus = 'idle';
  errorText = '';
  private draft = '';

  private async save(rating: Rating, comment: string | null, next: FeedbackStatus): Promise<void> {
    if (!this.submit) return;
    const previous = this.rating;
    this.rating = rating;
    this.status = 'saving';
    try {
      await this.submit(rating, comment);
      this.comment = comment;
      this.status = next;
    } catch (err) {
      this.rating = previous;
      this.errorText = err instanceof Error ? err.message : String(err);
      this.status = 'error';
    }
  }

  private rate(rating: 'positive' | 'negative'): void {
    const next: Rating = this.rating === rating ? null : rating;
    void this.save(next, null, next === null ? 'idle' : 'commenting');
  }

  private onComment(ev: SubmitEvent): void {
    ev.preventDefault();
    const text = this.draft.trim();
    if (!text) {
      this.status = 'idle';
      return;
    }
    void this.save(this.rating, text.slice(0, this.maxLength), 'thanks');
  }

  protected override render() {
    const s = this.strings;
    const busy = this.status === 'saving';
    let extra: unknown = nothing;
    switch (this.status) {
      case 'idle':
      case 'saving':
        break;
      case 'commenting':
        extra = html`<form @submit=${(e: SubmitEvent) => this.onComment(e)}>
          <label class="sr-only" for="comment">${s.feedbackCommentLabel}</label>
          <textarea
            id="comment"
            maxlength=${this.maxLength}
            placeholder=${s.feedbackCommentLabel}
            @input=${(e: Event) => {
              this.draft = (e.target as HTMLTextAreaElement).value;
            }}
          ></textarea>
          <div class="actions">
            <button type="submit" class="btn primary">${s.feedbackSubmit}</button>
            <button type="button" class="btn ghost" @click=${() => (this.status = 'idle')}>${s.cancel}</button>
          </div>
        </form>`;
        break;
      case 'thanks':
        extra = html`<span class="muted" role="status">${s.feedbackThanks}</span>`;
        break;
      case 'error':
        extra = html`<span class="error-text" role="alert">${this.errorText}</span>`;
        break;
      default:
        throw new Error(`unknown feedback status ${String(this.status)}`);
    }
    return html`<div part="feedback">
      <span class="row">
        <button
          type="button"
          class="btn ghost"
          aria-label=${s.feedbackPositive}
          title=${s.feedbackPositive}
          aria-pressed=${this.rating === 'positive' ? 'true' : 'false'}
          ?disabled=${busy}
          @click=${() => this.rate('positive')}
        >
          ${icons.thumbUp}
        </button>
        <button
          type="button"
          class="btn ghost"
          aria-label=${s.feedbackNegative}
          title=${s.feedbackNegative}
          aria-pressed=${this.rating === 'negative' ? 'true' : 'false'}
          ?disabled=${busy}
          @click=${() => this.rate('negative')}
        >
          ${icons.thumbDown}
        </button>
      </span>
      ${extra}
    </div>`;
  }
}

defineElement('parley-feedback', ParleyFeedback);

declare global {
  interface HTMLElementTagNameMap {
    'parley-feedback': ParleyFeedback;
  }
}

import { css, html, LitElement } from 'lit';
import { createRef, type Ref, ref } from 'lit/directives/ref.js';
import { defineElement } from '../define.ts';
import { icons } from '../shared/icons.ts';
import { base } from '../shared/styles.ts';
import { DEFAULT_STRINGS, type ParleyStrings } from '../strings.ts';

/** Takes the text; returns false when it was not accepted (the text then stays in the box). */
export type ComposerSend = (text: string) => boolean;

/**
 * The question box: Enter sends, Shift+Enter starts a new line; while an answer is being made the send button
 * becomes a stop button.
 *
 * @csspart composer - the form
 * @csspart input - the textarea
 * @csspart send-button - the send button
 * @csspart stop-button - the stop button
 */
export class ParleyComposer extends LitElement {
  static override properties = {
    strings: { attribute: false },
    placeholder: {},
    busy: { type: Boolean },
    disabled: { type: Boolean },
    maxLength: { type: Number, attribute: 'max-length' },
    send: { attribute: false },
    stop: { attribute: false },
    value: { state: true },
  };

  static override styles = [
    base,
    css`
      :host {
        display: block;
      }
      form {
        display: flex;
        align-items: flex-end;
        gap: var(--parley-space);
        padding: var(--parley-space);
        border-block-start: 1px solid var(--parley-color-border);
        background: var(--parley-color-bg);
      }
      textarea {
        flex: 1;
        resize: none;
        min-block-size: 40px;
        max-block-size: 160px;
        padding-block: calc(var(--parley-space) * 1.1);
        padding-inline: var(--parley-space);
        border: 1px solid var(--parley-color-border);
        border-radius: var(--parley-radius-small);
        background: var(--parley-color-bg);
        line-height: 1.4;
        field-sizing: content;
      }
      textarea:focus-visible {
        outline: 2px solid var(--parley-focus-derived, var(--parley-color-focus));
        outline-offset: 0;
        border-color: var(--parley-focus-derived, var(--parley-color-focus));
      }
      .btn {
        min-block-size: 40px;
      }
      :host(:dir(rtl)) .flip {
        transform: scaleX(-1);
      }
    `,
  ];

  strings: ParleyStrings = { ...DEFAULT_STRINGS };
  placeholder = '';
  busy = false;
  disabled = false;
  maxLength = 2000;
  send: ComposerSend | undefined;
  stop: (() => void) | undefined;
  value = '';
  private readonly input: Ref<HTMLTextAreaElement> = createRef();

  override focus(options?: FocusOptions): void {
    this.input.value?.focus(options);
  }

  /** Sets the text (e.g. a starter question to edit) and focuses the box. */
  setText(text: string): void {
    this.value = text;
    void this.updateComplete.then(() => this.focus());
  }

  private submit(): void {
    const text = this.value.trim();
    if (!text || this.busy || this.disabled) return;
    if (this.send?.(text) !== false) this.value = '';
  }

  private onKeyDown(ev: KeyboardEvent): void {
    if (ev.key !== 'Enter' || ev.shiftKey || ev.isComposing || ev.keyCode === 229) return;
    ev.preventDefault();
    this.submit();
  }

  protected override render() {
    const s = this.strings;
    return html`<form
      part="composer"
      @submit=${(e: SubmitEvent) => {
        e.preventDefault();
        this.submit();
      }}
    >
      <label class="sr-only" for="input">${s.inputLabel}</label>
      <textarea
        id="input"
        part="input"
        rows="1"
        .value=${this.value}
        maxlength=${this.maxLength}
        placeholder=${this.placeholder || s.placeholder}
        ?disabled=${this.disabled}
        @input=${(e: Event) => {
          this.value = (e.target as HTMLTextAreaElement).value;
        }}
        @keydown=${(e: KeyboardEvent) => this.onKeyDown(e)}
        ${ref(this.input)}
      ></textarea>
      ${
        this.busy
          ? html`<button type="button" class="btn" part="stop-button" @click=${() => this.stop?.()}>
            ${icons.stop}<span>${s.stop}</span>
          </button>`
          : html`<button
            type="submit"
            class="btn primary"
            part="send-button"
            aria-label=${s.send}
            ?disabled=${this.disabled || this.value.trim() === ''}
          >
            <span class="flip">${icons.send}</span>
          </button>`
      }
    </form>`;
  }
}

defineElement('parley-composer', ParleyComposer);

declare global {
  interface HTMLElementTagNameMap {
    'parley-composer': ParleyComposer;
  }
}

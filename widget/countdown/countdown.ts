// A live "try again in N s" for a rate limit: counts down each second to the moment the server named, then says
// the user can ask again. The seconds come from the server's retryAfter; nothing here guesses a limit.
import { html, LitElement } from 'lit';
import { defineElement } from '../define.ts';
import { DEFAULT_STRINGS, fmt, type ParleyStrings } from '../strings.ts';

export class ParleyCountdown extends LitElement {
  static override properties = {
    until: { type: Number },
    strings: { attribute: false },
    now: { state: true },
  };

  /** epoch milliseconds when asking is allowed again */
  until = 0;
  strings: ParleyStrings = { ...DEFAULT_STRINGS };
  now = Date.now();
  private timer: ReturnType<typeof setInterval> | undefined;

  // light DOM: the text is styled by the answer it sits in
  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.tick();
    this.timer = setInterval(() => this.tick(), 1000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.timer);
  }

  private tick(): void {
    this.now = Date.now();
    if (this.now >= this.until) clearInterval(this.timer);
  }

  protected override render() {
    const seconds = Math.ceil((this.until - this.now) / 1000);
    return html`${seconds > 0 ? fmt(this.strings.errorRateLimited, { seconds }) : this.strings.rateLimitOver}`;
  }
}

defineElement('parley-countdown', ParleyCountdown);

declare global {
  interface HTMLElementTagNameMap {
    'parley-countdown': ParleyCountdown;
  }
}

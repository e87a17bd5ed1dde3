// "Read as" chips under an answer: the reading the planner took (measure, period, filters, grouping), so that a
// silent misreading is visible, with the question's words the planner did not use flagged. A chip with other
// readings is a menu button: its menu lists them, and choosing one asks that reading's question in the conversation.
import { css, html, LitElement, nothing, type PropertyValues } from 'lit';
import { defineElement } from '../define.ts';
import { base } from '../shared/styles.ts';
import { DEFAULT_STRINGS, fmt, type ParleyStrings } from '../strings.ts';
import type { ReadAsChip } from '../types.ts';

/**
 * @csspart read-as - the row of chips
 * @csspart read-as-chip - one chip (a button when it has other readings)
 * @csspart read-as-menu - the menu of other readings
 * @csspart read-as-unused - the words the planner did not use
 */
export class ParleyReadAs extends LitElement {
  static override properties = {
    chips: { attribute: false },
    unused: { attribute: false },
    strings: { attribute: false },
    disabled: { type: Boolean },
    ask: { attribute: false },
    open: { state: true },
  };

  static override styles = [
    base,
    css`
      :host {
        display: block;
        font-size: 0.85em;
        /* the answer around it may keep white space (pre-wrap); the template's indentation is not text */
        white-space: normal;
      }
      .read-as {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: calc(var(--parley-space) / 2);
      }
      .label {
        color: var(--parley-color-muted);
      }
      ul {
        display: contents;
        list-style: none;
      }
      .chip {
        padding: 1px var(--parley-space);
        border: 1px solid var(--parley-color-border);
        border-radius: 999px;
        background: var(--parley-color-surface);
        color: var(--parley-color-text);
        overflow-wrap: anywhere;
        text-align: start;
        line-height: inherit;
      }
      button.chip {
        min-block-size: 24px;
        border-color: var(--parley-color-accent);
      }
      button.chip[aria-expanded='true'] {
        background: var(--parley-color-bg);
      }
      .caret {
        margin-inline-start: 2px;
      }
      .unused {
        border-style: dashed;
        background: var(--parley-color-warning-bg);
      }
      .menu {
        display: flex;
        flex-direction: column;
        align-items: flex-start;
        gap: 2px;
        flex-basis: 100%;
        margin-block-start: 2px;
        padding: calc(var(--parley-space) / 2);
        border: 1px solid var(--parley-color-border);
        border-radius: var(--parley-radius-small);
        background: var(--parley-color-bg);
        box-shadow: var(--parley-shadow);
      }
      .menu-title {
        margin: 0;
        color: var(--parley-color-muted);
      }
      [role='menuitem'] {
        min-block-size: 32px;
        padding: calc(var(--parley-space) / 2) var(--parley-space);
        border: 0;
        border-radius: var(--parley-radius-small);
        background: transparent;
        color: var(--parley-color-text);
        text-align: start;
        overflow-wrap: anywhere;
      }
      [role='menuitem'][aria-disabled='true'] {
        cursor: not-allowed;
        opacity: 0.6;
      }
      [role='menuitem']:hover:not([aria-disabled='true']),
      [role='menuitem']:focus-visible {
        background: var(--parley-color-surface);
      }
    `,
  ];

  chips: ReadAsChip[] = [];
  unused: string[] = [];
  strings: ParleyStrings = DEFAULT_STRINGS;
  disabled = false;
  ask?: (question: string) => void;
  /** the index of the chip whose menu is open, or -1 */
  open = -1;
  /** focus the first reading once the menu is drawn */
  private focusMenu = false;

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener('focusout', this.onFocusOut);
  }

  override disconnectedCallback(): void {
    this.removeEventListener('focusout', this.onFocusOut);
    super.disconnectedCallback();
  }

  // focus leaving the chips and their menu closes the menu, like a click elsewhere
  private readonly onFocusOut = (e: FocusEvent): void => {
    const next = e.relatedTarget as Node | null;
    if (!next || !this.shadowRoot?.contains(next)) this.open = -1;
  };

  private items(): HTMLButtonElement[] {
    return [...(this.shadowRoot?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]') ?? [])];
  }

  private toggle(i: number): void {
    this.open = this.open === i ? -1 : i;
    this.focusMenu = this.open >= 0;
  }

  private closeMenu(): void {
    const at = this.open;
    this.open = -1;
    void this.updateComplete.then(() =>
      this.shadowRoot?.querySelector<HTMLButtonElement>(`#chip-${at}`)?.focus(),
    );
  }

  private onChipKey(e: KeyboardEvent, i: number): void {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      this.open = i;
      this.focusMenu = true;
    }
  }

  private onMenuKey(e: KeyboardEvent): void {
    const items = this.items();
    const at = items.indexOf(this.shadowRoot?.activeElement as HTMLButtonElement);
    const move = (to: number): void => {
      e.preventDefault();
      items[(to + items.length) % items.length]?.focus();
    };
    if (e.key === 'ArrowDown') move(at + 1);
    else if (e.key === 'ArrowUp') move(at - 1);
    else if (e.key === 'Home') move(0);
    else if (e.key === 'End') move(items.length - 1);
    else if (e.key === 'Escape') {
      e.preventDefault();
      this.closeMenu();
    } else if (e.key === 'Tab') this.open = -1;
  }

  private choose(question: string): void {
    // a reading cannot be asked while the widget cannot send (offline, rate-limited); the menu stays open
    if (this.disabled) return;
    this.open = -1;
    this.ask?.(question);
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('open') && this.focusMenu) {
      this.focusMenu = false;
      this.items()[0]?.focus();
    }
  }

  protected override render() {
    const s = this.strings;
    if (this.chips.length === 0 && this.unused.length === 0) return nothing;
    const openChip = this.chips[this.open];
    // server text (chips, words, readings) is isolated with <bdi>, so a right-to-left page does not reorder it
    const [unusedBefore, unusedAfter = ''] = s.readAsUnused.split('{words}');
    return html`<div class="read-as" part="read-as">
      <span class="label" id="label">${s.readAs}</span>
      <ul aria-labelledby="label">
        ${this.chips.map((c, i) =>
          c.alternatives?.length
            ? html`<li>
                <button
                  type="button"
                  id=${`chip-${i}`}
                  class="chip"
                  part="read-as-chip"
                  data-kind=${c.kind}
                  aria-haspopup="menu"
                  aria-expanded=${this.open === i ? 'true' : 'false'}
                  aria-controls=${this.open === i ? 'menu' : nothing}
                  title=${fmt(s.readAsOther, { chip: c.text })}
                  @click=${() => this.toggle(i)}
                  @keydown=${(e: KeyboardEvent) => this.onChipKey(e, i)}
                >
                  <bdi>${c.text}</bdi><span class="caret" aria-hidden="true">▾</span>
                </button>
              </li>`
            : html`<li class="chip" part="read-as-chip" data-kind=${c.kind}><bdi>${c.text}</bdi></li>`,
        )}
        ${
          this.unused.length > 0
            ? html`<li class="chip unused" part="read-as-unused">
                ${unusedBefore}<bdi>${this.unused.join(', ')}</bdi>${unusedAfter}
              </li>`
            : nothing
        }
      </ul>
      ${
        openChip?.alternatives?.length
          ? html`<div
              class="menu"
              part="read-as-menu"
              id="menu"
              role="menu"
              aria-labelledby=${`chip-${this.open}`}
              @keydown=${(e: KeyboardEvent) => this.onMenuKey(e)}
            >
              <p class="menu-title" aria-hidden="true"><bdi>${fmt(s.readAsOther, { chip: openChip.text })}</bdi></p>
              ${openChip.alternatives.map(
                (a) =>
                  html`<button
                    type="button"
                    role="menuitem"
                    tabindex="-1"
                    title=${a.question}
                    aria-disabled=${this.disabled ? 'true' : nothing}
                    @click=${() => this.choose(a.question)}
                  >
                    <bdi>${a.label}</bdi>
                  </button>`,
              )}
            </div>`
          : nothing
      }
    </div>`;
  }
}

defineElement('parley-read-as', ParleyReadAs);

declare global {
  interface HTMLElementTagNameMap {
    'parley-read-as': ParleyReadAs;
  }
}

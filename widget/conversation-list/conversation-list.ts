import { css, html, LitElement, nothing } from 'lit';
import { defineElement } from '../define.ts';
import { icons } from '../shared/icons.ts';
import { base } from '../shared/styles.ts';
import { DEFAULT_STRINGS, fmt, type ParleyStrings } from '../strings.ts';
import type { ConversationSummary } from '../types.ts';

/**
 * The user's conversations with "new conversation", open and delete.
 *
 * @csspart conversation-list - the navigation landmark
 */
export class ParleyConversationList extends LitElement {
  static override properties = {
    items: { attribute: false },
    currentId: { attribute: false },
    loading: { type: Boolean },
    hasMore: { type: Boolean, attribute: 'has-more' },
    errorText: { attribute: false },
    strings: { attribute: false },
    openConversation: { attribute: false },
    deleteConversation: { attribute: false },
    newConversation: { attribute: false },
    loadMore: { attribute: false },
    confirming: { state: true },
    query: { state: true },
  };

  static override styles = [
    base,
    css`
      :host {
        display: block;
        overflow: auto;
      }
      nav {
        display: grid;
        gap: var(--parley-space);
        padding: var(--parley-space);
      }
      h2 {
        margin: 0;
        font-size: 1em;
      }
      .search {
        inline-size: 100%;
        padding: calc(var(--parley-space) / 2) var(--parley-space);
        border: 1px solid var(--parley-color-border);
        border-radius: var(--parley-radius-small);
        background: var(--parley-color-bg);
        color: var(--parley-color-text);
        font: inherit;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 2px;
      }
      li {
        display: flex;
        align-items: center;
        gap: 2px;
        border-radius: var(--parley-radius-small);
      }
      li[aria-current='true'] {
        background: var(--parley-color-surface);
      }
      .open {
        flex: 1;
        min-inline-size: 0;
        display: grid;
        text-align: start;
        padding: calc(var(--parley-space) / 2) var(--parley-space);
        border: 0;
        border-radius: var(--parley-radius-small);
        background: transparent;
      }
      .open:hover {
        background: var(--parley-color-surface);
      }
      .title {
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .date {
        font-size: 0.85em;
        color: var(--parley-color-muted);
      }
    `,
  ];

  items: ConversationSummary[] = [];
  currentId: string | null = null;
  loading = false;
  hasMore = false;
  errorText = '';
  strings: ParleyStrings = { ...DEFAULT_STRINGS };
  openConversation: ((id: string) => void) | undefined;
  deleteConversation: ((id: string) => void) | undefined;
  newConversation: (() => void) | undefined;
  loadMore: (() => void) | undefined;
  /** the conversation whose delete button was pressed once: a second press confirms */
  confirming: string | null = null;
  /** the search box's text: the list shows the conversations whose title contains every word of it */
  query = '';

  /** The loaded conversations matching the search (case- and accent-insensitive, every word). */
  get shownItems() {
    const fold = (t: string) => t.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
    const words = fold(this.query).split(/\s+/).filter(Boolean);
    if (words.length === 0) return this.items;
    return this.items.filter((c) => {
      const title = fold(c.title || '');
      return words.every((w) => title.includes(w));
    });
  }

  protected override updated(changed: Map<PropertyKey, unknown>): void {
    // keep the keyboard where the user is: on the confirm button that replaced the delete button
    if (changed.has('confirming') && this.confirming !== null) {
      this.renderRoot.querySelector<HTMLButtonElement>('button.confirm')?.focus();
    }
  }

  private date(iso: string): string {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return '';
    return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  }

  protected override render() {
    const s = this.strings;
    return html`<nav part="conversation-list" aria-labelledby="heading">
      <h2 id="heading">${s.conversations}</h2>
      <button type="button" class="btn primary" @click=${() => this.newConversation?.()}>${icons.plus}${s.newConversation}</button>
      ${this.errorText ? html`<p class="error-text" role="alert">${this.errorText}</p>` : nothing}
      ${
        this.items.length > 0
          ? html`<input
            type="search"
            class="search"
            part="conversation-search"
            aria-label=${s.searchConversations}
            placeholder=${s.searchConversations}
            .value=${this.query}
            @input=${(e: Event) => {
              this.query = (e.target as HTMLInputElement).value;
            }}
          />`
          : nothing
      }
      ${
        this.items.length === 0 && !this.loading
          ? html`<p class="muted">${s.noConversations}</p>`
          : this.shownItems.length === 0
            ? html`<p class="muted" role="status">${s.noConversationsMatch}</p>`
            : html`<ul>
            ${this.shownItems.map((c) => {
              const title = c.title || s.untitled;
              return html`<li aria-current=${this.currentId === c.id ? 'true' : 'false'}>
                <button type="button" class="open" @click=${() => this.openConversation?.(c.id)}>
                  <bdi class="title">${title}</bdi>
                  <bdi class="date">${this.date(c.createdAt)}</bdi>
                </button>
                ${
                  this.confirming === c.id
                    ? html`<button
                        type="button"
                        class="btn danger confirm"
                        @click=${() => {
                          this.confirming = null;
                          this.deleteConversation?.(c.id);
                        }}
                      >
                        ${icons.trash}${s.confirmDelete}
                      </button>
                      <button type="button" class="btn ghost" @click=${() => (this.confirming = null)}>${s.cancel}</button>`
                    : html`<button
                        type="button"
                        class="btn ghost danger"
                        aria-label=${fmt(s.deleteConversation, { title })}
                        title=${fmt(s.deleteConversation, { title })}
                        @click=${() => (this.confirming = c.id)}
                      >
                        ${icons.trash}
                      </button>`
                }
              </li>`;
            })}
          </ul>`
      }
      ${this.loading ? html`<p class="muted" role="status">${s.loading}</p>` : nothing}
      ${
        this.hasMore && !this.loading
          ? html`<button type="button" class="btn" @click=${() => this.loadMore?.()}>${s.loadMore}</button>`
          : nothing
      }
    </nav>`;
  }
}

defineElement('parley-conversation-list', ParleyConversationList);

declare global {
  interface HTMLElementTagNameMap {
    'parley-conversation-list': ParleyConversationList;
  }
}

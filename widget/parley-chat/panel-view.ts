// The frame of <parley-chat>'s panel as a view: the launcher button, the header with its buttons, the connection
// line and the error banner around whichever body is shown. Pure rendering: it reads what it is given and calls
// back; the element (parley-chat.ts) holds the state.
import { html, nothing, type TemplateResult } from 'lit';
import { type Ref, ref } from 'lit/directives/ref.js';
import type { ConnectionStatus } from '../controllers/connection-controller.ts';
import { icons } from '../shared/icons.ts';
import type { ParleyStrings } from '../strings.ts';

/** What the chat area shows. */
export type ChatView = 'chat' | 'conversations' | 'uploads';

export interface PanelProps {
  strings: ParleyStrings;
  /** the agent's name, or the default title */
  title: string;
  /** mode="launcher": a dialog that opens and closes; otherwise a region in the page */
  floating: boolean;
  open: boolean;
  view: ChatView;
  uploadsEnabled: boolean;
  connection: ConnectionStatus;
  banner: { code: string; message: string } | undefined;
  body: TemplateResult;
  setOpen(open: boolean): void;
  /** toggles a view (showing it again goes back to the chat) */
  showView(view: ChatView): void;
  newConversation(): void;
  reconnectNow(): void;
  dismissBanner(): void;
}

export interface LauncherProps {
  strings: ParleyStrings;
  open: boolean;
  button: Ref<HTMLButtonElement>;
  setOpen(open: boolean): void;
}

export function renderLauncher(p: LauncherProps): TemplateResult {
  const s = p.strings;
  return html`<button
    type="button"
    class="launcher"
    part="launcher"
    aria-expanded=${p.open ? 'true' : 'false'}
    aria-controls="panel"
    aria-label=${p.open ? s.panelClose : s.launcherOpen}
    title=${p.open ? s.panelClose : s.launcherOpen}
    @click=${() => p.setOpen(!p.open)}
    ${ref(p.button)}
  >
    ${p.open ? icons.close : icons.chat}
  </button>`;
}

/** The connection line: nothing while connected, otherwise what is happening and a way to reconnect. */
export function renderStatus(
  status: ConnectionStatus,
  s: ParleyStrings,
  reconnectNow: () => void,
): TemplateResult | typeof nothing {
  switch (status) {
    case 'idle':
    case 'open':
      return nothing;
    case 'connecting':
      return html`<span>${s.statusConnecting}</span>`;
    case 'offline':
      return html`${icons.offline}<span>${s.statusOffline}</span
        ><button type="button" class="btn ghost" @click=${reconnectNow}>
          ${s.reconnectNow}
        </button>`;
    case 'closed':
      return html`<span>${s.statusClosed}</span
        ><button type="button" class="btn ghost" @click=${reconnectNow}>
          ${s.reconnectNow}
        </button>`;
    default:
      throw new Error(`unknown connection status ${String(status)}`);
  }
}

function headerButton(label: string, icon: TemplateResult, onClick: () => void, pressed?: boolean) {
  return html`<button
    type="button"
    class="btn ghost"
    aria-label=${label}
    title=${label}
    aria-pressed=${pressed === undefined ? nothing : pressed ? 'true' : 'false'}
    @click=${onClick}
  >
    ${icon}
  </button>`;
}

export function renderPanel(p: PanelProps): TemplateResult {
  const s = p.strings;
  const floating = p.floating;
  return html`<div
    id="panel"
    class="panel ${floating ? 'floating' : 'inline'}"
    part="panel"
    role=${floating ? 'dialog' : 'region'}
    aria-label=${p.title}
    ?hidden=${floating && !p.open}
    @keydown=${(e: KeyboardEvent) => {
      if (floating && e.key === 'Escape') {
        e.stopPropagation();
        p.setOpen(false);
      }
    }}
  >
    <div class="header" part="header">
      <h2 part="title">${p.title}</h2>
      ${headerButton(s.conversations, icons.list, () => p.showView('conversations'), p.view === 'conversations')}
      ${
        p.uploadsEnabled
          ? headerButton(s.uploadOpen, icons.upload, () => p.showView('uploads'), p.view === 'uploads')
          : nothing
      }
      ${headerButton(s.newConversation, icons.plus, () => p.newConversation())}
      ${floating ? headerButton(s.panelClose, icons.close, () => p.setOpen(false)) : nothing}
    </div>
    <div class="status" part="status" role="status">${renderStatus(p.connection, s, p.reconnectNow)}</div>
    ${
      p.banner
        ? html`<p class="banner" part="banner" role="alert">
          <span>${p.banner.message}</span>
          <button type="button" class="btn ghost" aria-label=${s.dismiss} @click=${p.dismissBanner}>
            ${icons.close}
          </button>
        </p>`
        : nothing
    }
    <div class="body">${p.body}</div>
  </div>`;
}

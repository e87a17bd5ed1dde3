// The three bodies <parley-chat>'s panel can show, as views: the chat (message log and question box), the
// conversation list and the data files panel. Pure rendering of the child elements with what they are given; the
// element (parley-chat.ts) holds the state and the actions.
import { html, type TemplateResult } from 'lit';
import { type Ref, ref } from 'lit/directives/ref.js';
import type { ParleyApi } from '../api.ts';
import '../composer/composer.ts';
import type { ParleyComposer } from '../composer/composer.ts';
import '../conversation-list/conversation-list.ts';
import '../message-list/message-list.ts';
import type { MessageListActions, ParleyMessageList } from '../message-list/message-list.ts';
import type { ParleyStrings } from '../strings.ts';
import type { Turn } from '../turns.ts';
import type { ConversationSummary } from '../types.ts';
import '../upload-panel/upload-panel.ts';
import type { UploadPanelHooks } from '../upload-panel/upload-panel.ts';

export interface ChatBodyProps {
  strings: ParleyStrings;
  turns: readonly Turn[];
  starters: readonly string[];
  actions: MessageListActions;
  dark: boolean;
  /** an answer is being made: no new question until it is done (or stopped) */
  busy: boolean;
  placeholder: string;
  maxLength: number;
  messages: Ref<ParleyMessageList>;
  composer: Ref<ParleyComposer>;
  ask(text: string): boolean;
  /** stops the answer being made */
  stop(): void;
}

export function renderChatBody(p: ChatBodyProps): TemplateResult {
  return html`<parley-message-list
      ${ref(p.messages)}
      .turns=${p.turns}
      .starters=${p.starters}
      .strings=${p.strings}
      .actions=${p.actions}
      .dark=${p.dark}
      .canAsk=${!p.busy}
      exportparts="messages,message,user-message,answer,pending,progress,starters,suggestions,choices,choice,details,account,sql-details,read-as,read-as-chip,read-as-menu,read-as-unused,table,pager,download,download-all,truncated,chart,toggle,tooltip,feedback"
    ></parley-message-list>
    <parley-composer
      ${ref(p.composer)}
      .strings=${p.strings}
      .placeholder=${p.placeholder}
      .busy=${p.busy}
      .maxLength=${p.maxLength}
      .send=${p.ask}
      .stop=${p.stop}
      exportparts="composer,input,send-button,stop-button"
    ></parley-composer>`;
}

export interface ConversationsBodyProps {
  strings: ParleyStrings;
  items: ConversationSummary[];
  currentId: string | null;
  loading: boolean;
  hasMore: boolean;
  openConversation(id: string): void;
  deleteConversation(id: string): void;
  newConversation(): void;
  loadMore(): void;
}

export function renderConversationsBody(p: ConversationsBodyProps): TemplateResult {
  return html`<parley-conversation-list
    .items=${p.items}
    .currentId=${p.currentId}
    .strings=${p.strings}
    .loading=${p.loading}
    .hasMore=${p.hasMore}
    .openConversation=${p.openConversation}
    .deleteConversation=${p.deleteConversation}
    .newConversation=${p.newConversation}
    .loadMore=${p.loadMore}
    exportparts="conversation-list,conversation-search"
  ></parley-conversation-list>`;
}

export interface UploadsBodyProps {
  api: ParleyApi;
  strings: ParleyStrings;
  canShare: boolean;
  contextKey: string;
  hooks: UploadPanelHooks;
  xhrFactory: (() => XMLHttpRequest) | undefined;
}

export function renderUploadsBody(p: UploadsBodyProps): TemplateResult {
  return html`<parley-upload-panel
    .api=${p.api}
    .strings=${p.strings}
    .canShare=${p.canShare}
    .contextKey=${p.contextKey}
    .hooks=${p.hooks}
    .xhrFactory=${p.xhrFactory}
    exportparts="upload-panel,dropzone,progress:progress-bar,preview"
  ></parley-upload-panel>`;
}

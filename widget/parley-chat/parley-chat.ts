import { html, LitElement, type PropertyValues, type TemplateResult } from 'lit';
import { createRef, type Ref } from 'lit/directives/ref.js';
import { ApiError, type FetchLike, ParleyApi, webSocketUrl } from '../api.ts';
import type { ParleyComposer } from '../composer/composer.ts';
import {
  ConnectionController,
  type ConnectionFailure,
  type ConnectionStatus,
  type WebSocketConstructor,
} from '../controllers/connection-controller.ts';
import { LoadController, type LoadStatus } from '../controllers/load-controller.ts';
import {
  type GetTokenFn,
  TokenController,
  TokenError,
  type TokenSource,
} from '../controllers/token-controller.ts';
import { conversationKey, rememberConversation, rememberedConversation } from '../conversation-memory.ts';
import { defineElement } from '../define.ts';
import {
  ParleyAnswerEvent,
  ParleyConnectionEvent,
  ParleyConversationEvent,
  ParleyErrorEvent,
  ParleyFeedbackEvent,
  ParleySendEvent,
  ParleyToggleEvent,
  ParleyUploadEvent,
} from '../events/parley-events.ts';
import type { MessageListActions, ParleyMessageList } from '../message-list/message-list.ts';
import { fmt, type ParleyStrings, resolveStrings } from '../strings.ts';
import { deriveReadableColors, watchTheme } from '../theme/contrast.ts';
import {
  applyServerEvent,
  type ChatState,
  EMPTY_CHAT,
  isInProgress,
  stateFromHistory,
  type Turn,
} from '../turns.ts';
import type {
  ConversationDetail,
  ConversationPage,
  ConversationSummary,
  Rating,
  ServerEvent,
  WidgetConfig,
} from '../types.ts';
import { canShareWithContext, shareContextKey } from '../types.ts';
import type { UploadPanelHooks } from '../upload-panel/upload-panel.ts';
import { renderChatBody, renderConversationsBody, renderUploadsBody } from './body-views.ts';
import { type ChatView, renderLauncher, renderPanel } from './panel-view.ts';
import { parleyChatStyles } from './parley-chat.styles.ts';

export type ChatMode = 'inline' | 'launcher';
export type ThemeName = 'light' | 'dark' | 'auto';
export type { ChatView } from './panel-view.ts';
/** `GET /config`: `idle` before the first load. */
export type ConfigStatus = LoadStatus;
/** Whether the upload button is shown: `auto` = when the server's /config announces datasets. */
export type UploadsSetting = 'auto' | 'on' | 'off';

const DEFAULT_MAX_LENGTH = 2000;

/** A random id for `clientId` (crypto.randomUUID needs a secure context; getRandomValues does not). */
export function newClientId(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') {
    try {
      return c.randomUUID();
    } catch {
      // not a secure context
    }
  }
  const bytes = new Uint8Array(16);
  if (c && typeof c.getRandomValues === 'function') c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i += 1) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * `<parley-chat>`: ask questions about your data, in a page (`mode="inline"`) or behind a floating button
 * (`mode="launcher"`).
 *
 * ```html
 * <script type="module" src="https://bff.example.com/widget/parley-widget.js"></script>
 * <parley-chat server="https://bff.example.com" agent="demo" token-endpoint="/parley/token"></parley-chat>
 * ```
 *
 * @fires parley-send - ParleySendEvent: before a question is sent (cancelable)
 * @fires parley-answer - ParleyAnswerEvent: an answer completed
 * @fires parley-error - ParleyErrorEvent: a question, the token, the connection or an upload failed
 * @fires parley-connection - ParleyConnectionEvent: the WebSocket status changed
 * @fires parley-conversation - ParleyConversationEvent: the current conversation changed
 * @fires parley-feedback - ParleyFeedbackEvent: feedback on an answer was saved
 * @fires parley-upload - ParleyUploadEvent: a data file was uploaded
 * @fires parley-toggle - ParleyToggleEvent: the launcher panel opened or closed
 *
 * @slot - nothing: the element renders everything itself
 *
 * @csspart launcher - the floating button (mode="launcher")
 * @csspart panel - the chat panel
 * @csspart header - the panel's header
 * @csspart title - the agent's name
 * @csspart status - the connection indicator
 * @csspart banner - an error banner
 * @csspart messages - the message log
 * @csspart message - a question or an answer
 * @csspart user-message - a question
 * @csspart answer - an answer
 * @csspart pending - the answer being made
 * @csspart progress - its stage indicator
 * @csspart starters - the starter questions
 * @csspart suggestions - suggested follow-up questions
 * @csspart choices - a clarification's readings ("which did you mean?")
 * @csspart choice - one reading's button: asks its question in the same conversation
 * @csspart details - "how was this answered"
 * @csspart table - a result table
 * @csspart pager - a result table's paging
 * @csspart download - the Download CSV button
 * @csspart chart - a chart
 * @csspart toggle - the chart/table switch
 * @csspart feedback - the feedback controls
 * @csspart composer - the question form
 * @csspart input - the question box
 * @csspart send-button - the send button
 * @csspart stop-button - the stop button
 * @csspart conversation-list - the conversation list
 * @csspart upload-panel - the data files panel
 * @csspart dropzone - the file drop target
 * @csspart progress-bar - the upload progress bar
 * @csspart preview - the upload preview table
 *
 * @cssprop --parley-font-family
 * @cssprop --parley-font-size
 * @cssprop --parley-color-bg
 * @cssprop --parley-color-surface
 * @cssprop --parley-color-text
 * @cssprop --parley-color-muted
 * @cssprop --parley-color-border
 * @cssprop --parley-color-accent - buttons and links; as text (links) only where it reaches 4.5:1 against
 *   `--parley-color-bg`, else near-black or white is used
 * @cssprop --parley-color-on-accent - preferred text colour on accent buttons; when it is under 4.5:1 against
 *   `--parley-color-accent`, near-black or white is used instead (so setting only the brand colour is enough)
 * @cssprop --parley-color-user-bg
 * @cssprop --parley-color-user-text - preferred text colour on the user bubble; when it is under 4.5:1 against
 *   `--parley-color-user-bg`, near-black or white is used instead (so setting only the background is enough)
 * @cssprop --parley-color-danger
 * @cssprop --parley-color-focus
 * @cssprop --parley-radius
 * @cssprop --parley-space
 */
export class ParleyChat extends LitElement {
  static override properties = {
    server: {},
    agent: {},
    tokenEndpoint: { attribute: 'token-endpoint' },
    mode: { reflect: true },
    theme: { reflect: true },
    placeholder: {},
    uploads: {},
    contextKey: { attribute: 'context-key' },
    open: { type: Boolean, reflect: true },
    getToken: { attribute: false },
    strings: { attribute: false },
    chat: { state: true },
    config: { state: true },
    view: { state: true },
    conversations: { state: true },
    conversationsCursor: { state: true },
    banner: { state: true },
    prefersDark: { state: true },
  };

  static override styles = parleyChatStyles;

  /** The BFF, e.g. https://bff.example.com (default: this page's origin). */
  server = '';
  /** The agent id; sent to the token endpoint as `?agent=` and to `getToken`. */
  agent = '';
  /** Where to get a session token: GET with the page's cookies, answering `{ "token": "<JWT>" }`. */
  tokenEndpoint = '';
  mode: ChatMode = 'inline';
  theme: ThemeName = 'auto';
  placeholder = '';
  uploads: UploadsSetting = 'auto';
  /** sent as `contextKey` with uploads shared with the context */
  contextKey = '';
  /** mode="launcher": whether the panel is open */
  open = false;
  /** Supplies the session token instead of `token-endpoint`. */
  getToken:
    | ((options: { signal: AbortSignal; agent: string }) => Promise<string | { token: string }> | string)
    | undefined;
  /** Overrides of any user-visible string (see DEFAULT_STRINGS). */
  strings: Partial<ParleyStrings> | undefined;

  /** Test seam: the WebSocket constructor (default: the browser's). */
  webSocketImpl: WebSocketConstructor | undefined;
  /** Test seam: fetch for the REST API and the token endpoint. */
  fetchImpl: FetchLike | undefined;
  /** Test seam: XMLHttpRequest for uploads. */
  xhrFactory: (() => XMLHttpRequest) | undefined;

  chat: ChatState = EMPTY_CHAT;
  config: WidgetConfig | undefined;
  view: ChatView = 'chat';
  conversations: ConversationSummary[] = [];
  conversationsCursor: string | null = null;
  banner: { code: string; message: string } | undefined;
  prefersDark = false;

  readonly token: TokenController;
  readonly connection: ConnectionController;
  readonly api: ParleyApi;
  /** `GET /config` */
  private readonly configLoad: LoadController<WidgetConfig>;
  /** a stored conversation: opened from the list, or the one that was open before a reload (`restoring`) */
  private readonly conversationLoad: LoadController<ConversationDetail, [id: string, restoring: boolean]>;
  /** the conversation list: the first page, or the next one (`more`) */
  private readonly conversationsLoad: LoadController<ConversationPage, [more: boolean]>;
  private s: ParleyStrings = resolveStrings();
  private started = false;
  private media: MediaQueryList | undefined;
  private readonly composer: Ref<ParleyComposer> = createRef();
  private readonly messages: Ref<ParleyMessageList> = createRef();
  private readonly launcher: Ref<HTMLButtonElement> = createRef();
  private focusComposerAfterUpdate = false;

  constructor() {
    super();
    // the open conversation survives a reload: remembered per server, agent and user (conversation-memory.ts)
    this.addEventListener(ParleyConversationEvent.eventName, (e) => {
      const key = this.memoryKey();
      if (key) rememberConversation(key, (e as ParleyConversationEvent).conversationId);
    });
    this.token = new TokenController(this, {
      source: () => this.tokenSource(),
      fetch: (input, init) => this.fetchFn(input, init),
      // out of reach is not refused: the status line already says the widget is offline
      onError: (err) => {
        if (!err.network) this.fail(err.code, this.s.errorToken);
      },
      // a refreshed token: move the socket over before the server closes it at exp
      onToken: () => void this.connection?.renew(),
    });
    this.api = new ParleyApi({
      server: () => this.server,
      getToken: (signal) => this.token.get(signal),
      refreshToken: (signal) => this.token.refresh(signal),
      fetch: (input, init) => this.fetchFn(input, init),
    });
    this.connection = new ConnectionController(this, {
      url: () => webSocketUrl(this.server),
      getToken: (signal) => this.token.get(signal),
      refreshToken: (signal) => this.token.refresh(signal),
      WebSocket: () =>
        this.webSocketImpl ?? (globalThis.WebSocket as unknown as WebSocketConstructor | undefined),
      onEvent: (event) => this.onServerEvent(event),
      onStatus: (status) => this.onConnectionStatus(status),
      onFailure: (failure, detail) => this.onConnectionFailure(failure, detail),
      // refused handshakes look like network errors: /config answers 401/403 with the reason
      onHandshakeFailed: (n) => {
        if (n === 2 && this.configStatus !== 'loading') void this.loadConfig();
      },
    });
    this.configLoad = new LoadController(this, {
      load: (signal) => this.api.config(signal),
      ready: (config) => {
        this.config = config;
        void this.restoreConversation();
      },
      failed: async (err, signal) => {
        if (!(err instanceof ApiError || err instanceof TokenError) && (await this.originRefused(signal)))
          return;
        if (err instanceof ApiError && err.status === 401)
          console.error(`[parley-chat] the server refused the session token (${err.code}): ${err.message}`);
        this.failFrom(err);
      },
    });
    this.conversationLoad = new LoadController<ConversationDetail, [id: string, restoring: boolean]>(this, {
      load: (signal, id) => this.api.getConversation(id, signal),
      ready: (detail, _id, restoring) => {
        // a question asked while the remembered conversation loaded wins over it
        if (restoring && this.chat.turns.length > 0) return;
        this.chat = stateFromHistory(detail);
        if (!restoring) {
          this.view = 'chat';
          this.focusComposerAfterUpdate = true;
        }
        this.dispatchEvent(new ParleyConversationEvent(detail.id));
      },
      failed: (err, _signal, _id, restoring) => {
        // gone, or not this user's: a remembered one is forgotten quietly and the chat starts fresh
        if (!restoring) return this.failFrom(err);
        const key = this.memoryKey();
        if (key) rememberConversation(key, null);
      },
    });
    this.conversationsLoad = new LoadController(this, {
      load: (signal, more) => this.api.listConversations(more ? this.conversationsCursor : null, signal),
      ready: (page, more) => {
        this.conversations = more ? [...this.conversations, ...page.items] : page.items;
        this.conversationsCursor = page.nextCursor;
      },
      failed: (err) => this.failFrom(err),
    });
  }

  /** `GET /config`'s status: `idle` before the first load. */
  get configStatus(): ConfigStatus {
    return this.configLoad.status;
  }

  /** The conversation list's status: `idle` before the first load and when it is out of date. */
  get conversationsStatus(): LoadStatus {
    return this.conversationsLoad.status;
  }

  // ---- public API -------------------------------------------------------------------------------

  /** The current conversation, or null before the first answer of a new one. */
  get conversationId(): string | null {
    return this.chat.conversationId;
  }

  /** The WebSocket's status. */
  get connectionStatus(): ConnectionStatus {
    return this.connection.status;
  }

  /**
   * Asks a question (as if typed and sent). Returns false when it was not sent: empty or too long, an answer is
   * still being made, or a `parley-send` listener called preventDefault().
   */
  ask(text: string): boolean {
    const question = String(text ?? '').trim();
    if (!question || question.length > this.maxLength || this.busy) return false;
    const clientId = newClientId();
    const conversationId = this.chat.conversationId ?? undefined;
    const send = new ParleySendEvent(question, clientId, conversationId);
    if (!this.dispatchEvent(send)) return false;
    if (this.mode === 'launcher' && !this.open) this.setOpen(true);
    this.start();
    // under a rate limit the question waits its turn (a starter chip tapped quickly) instead of failing
    const wait = this.rateLimitedUntil - Date.now();
    const turn: Turn = {
      clientId,
      question,
      status: this.connection.status === 'open' && wait <= 0 ? 'sent' : 'queued',
      text: '',
      ...(conversationId ? { conversationId } : {}),
    };
    this.chat = { ...this.chat, turns: [...this.chat.turns, turn] };
    this.view = 'chat';
    this.messages.value?.scrollToEnd();
    const message = {
      type: 'message.send' as const,
      clientId,
      ...(conversationId ? { conversationId } : {}),
      text: question,
    };
    if (wait > 0) setTimeout(() => this.sendWhenAllowed(clientId, message), wait);
    else this.connection.send(message);
    return true;
  }

  /** epoch ms when the server's rate limit ends (from the last rate_limited error) */
  private rateLimitedUntil = 0;

  private sendWhenAllowed(clientId: string, message: Parameters<ConnectionController['send']>[0]): void {
    const turn = this.chat.turns.find((t) => t.clientId === clientId);
    // stopped meanwhile, or the conversation was left: nothing to send
    if (turn?.status !== 'queued' || !this.isConnected) return;
    if (this.connection.status === 'open')
      this.chat = {
        ...this.chat,
        turns: this.chat.turns.map((t) => (t.clientId === clientId ? { ...t, status: 'sent' } : t)),
      };
    this.connection.send(message);
  }

  /** Starts a new conversation (the next question creates it on the server). */
  newConversation(): void {
    this.conversationLoad.abort();
    const hadConversation = this.chat.conversationId !== null || this.chat.turns.length > 0;
    this.chat = EMPTY_CHAT;
    this.view = 'chat';
    this.focusComposerAfterUpdate = true;
    if (hadConversation) this.dispatchEvent(new ParleyConversationEvent(null));
  }

  /** Opens a stored conversation from the list. */
  openConversation(id: string): Promise<void> {
    return this.conversationLoad.run(id, false);
  }

  /** mode="launcher": opens or closes the panel. */
  toggle(force?: boolean): void {
    this.setOpen(force ?? !this.open);
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  override connectedCallback(): void {
    super.connectedCallback();
    if (typeof window !== 'undefined' && typeof window.matchMedia === 'function') {
      this.media = window.matchMedia('(prefers-color-scheme: dark)');
      this.prefersDark = this.media.matches;
      this.media.addEventListener?.('change', this.onMedia);
    }
    this.unwatchTheme = watchTheme(this);
    if (this.hasUpdated && this.shouldStart()) this.start();
  }

  private unwatchTheme: (() => void) | undefined;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.media?.removeEventListener?.('change', this.onMedia);
    this.unwatchTheme?.();
    // the controllers close the socket and stop the token timer; a re-attach starts again
    this.started = false;
  }

  private readonly onMedia = (ev: MediaQueryListEvent): void => {
    this.prefersDark = ev.matches;
  };

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('strings') || !this.hasUpdated) this.s = resolveStrings(this.strings);
    if (changed.has('open') && this.open && this.mode === 'launcher') {
      this.focusComposerAfterUpdate = true;
      this.start();
    }
    if (!this.hasUpdated) {
      // state set here joins this first update instead of scheduling another one
      if (this.shouldStart()) this.start();
      return;
    }
    if (changed.has('mode') && this.shouldStart()) this.start();
    if (changed.has('server') || changed.has('agent')) {
      // another server or agent: another conversation space
      this.restart(true);
    } else if (changed.has('tokenEndpoint') || changed.has('getToken')) {
      this.restart(false);
    }
  }

  protected override updated(): void {
    if (this.focusComposerAfterUpdate) {
      this.focusComposerAfterUpdate = false;
      void this.composer.value?.updateComplete.then(() => this.composer.value?.focus());
    }
    this.dataset.connection = this.connection.status;
    // the theme (attribute, system setting or the host's variables) may have changed the user bubble's background
    deriveReadableColors(this);
  }

  private shouldStart(): boolean {
    return this.mode !== 'launcher' || this.open;
  }

  /** Loads /config and opens the socket (once). */
  private start(): void {
    if (this.started || !this.isConnected) return;
    if (this.tokenSource().kind === 'none') {
      this.banner = { code: 'not_configured', message: this.s.errorNotConfigured };
      return;
    }
    this.started = true;
    void this.loadConfig();
    this.connection.start();
  }

  private restart(clearChat: boolean): void {
    const wasStarted = this.started;
    this.started = false;
    this.connection.stop();
    this.token.reset();
    this.configLoad.abort();
    if (clearChat) {
      this.chat = EMPTY_CHAT;
      this.config = undefined;
      this.configLoad.reset();
      this.conversations = [];
      this.conversationsCursor = null;
      this.conversationsLoad.reset();
    }
    this.banner = undefined;
    if (wasStarted || this.shouldStart()) this.start();
  }

  private tokenSource(): TokenSource {
    const fn = this.getToken;
    if (typeof fn === 'function') {
      const getToken: GetTokenFn = ({ signal }) => fn({ signal, agent: this.agent });
      return { kind: 'function', getToken };
    }
    if (this.tokenEndpoint) {
      const url = new URL(this.tokenEndpoint, document.baseURI);
      if (this.agent && !url.searchParams.has('agent')) url.searchParams.set('agent', this.agent);
      return { kind: 'endpoint', url: url.toString() };
    }
    return { kind: 'none' };
  }

  private fetchFn(input: string, init?: RequestInit): Promise<Response> {
    return this.fetchImpl ? this.fetchImpl(input, init) : globalThis.fetch(input, init);
  }

  private loadConfig(): Promise<void> {
    return this.configLoad.run();
  }

  private memoryKey(): string | undefined {
    const user = this.config?.user?.userIdentifier;
    return user ? conversationKey(this.server, this.agent, user) : undefined;
  }

  /** After a reload: the conversation that was open, if the server still has it for this user. */
  private async restoreConversation(): Promise<void> {
    const key = this.memoryKey();
    const id = key ? rememberedConversation(key) : null;
    if (!key || !id || this.chat.conversationId !== null || this.chat.turns.length > 0) return;
    await this.conversationLoad.run(id, true);
  }

  /**
   * A request that failed like a network error may be a page origin the server refuses (CORS hides the 403, and a
   * refused socket handshake looks like a dropped connection): ask, and if so say it and stop reconnecting.
   */
  private async originRefused(signal: AbortSignal): Promise<boolean> {
    const answer = await this.api.originAllowed(this.agent, signal).catch(() => undefined);
    if (!answer || answer.allowed) return false;
    console.error(
      `[parley-chat] this page's origin (${answer.origin ?? location.origin}) may not use agent "${this.agent}": ` +
        "add it to the agent's allowedOrigins in parley.config.yaml",
    );
    this.connection.stop();
    this.fail('origin_not_allowed', this.s.errorOrigin);
    return true;
  }

  // ---- state ------------------------------------------------------------------------------------

  private get busy(): boolean {
    return this.chat.turns.some(isInProgress);
  }

  private get maxLength(): number {
    return this.config?.limits?.maxQuestionLength ?? DEFAULT_MAX_LENGTH;
  }

  private get dark(): boolean {
    switch (this.theme) {
      case 'dark':
        return true;
      case 'light':
        return false;
      default:
        return this.prefersDark;
    }
  }

  private get uploadsEnabled(): boolean {
    switch (this.uploads) {
      case 'on':
        return true;
      case 'off':
        return false;
      default:
        return Boolean(this.config && this.config.datasets !== undefined && this.config.datasets !== false);
    }
  }

  private setOpen(open: boolean): void {
    if (this.open === open) return;
    this.open = open;
    this.dispatchEvent(new ParleyToggleEvent(open));
    if (!open) void this.updateComplete.then(() => this.launcher.value?.focus());
  }

  private fail(code: string, message: string, retryAfter?: number): void {
    this.banner = { code, message };
    this.dispatchEvent(new ParleyErrorEvent(code, message, retryAfter));
  }

  private failFrom(err: unknown): void {
    if (err instanceof ApiError) this.fail(err.code, err.message, err.retryAfter);
    else if (err instanceof TokenError) {
      if (!err.network) this.fail(err.code, this.s.errorToken);
    } else this.fail('error', errorText(err) || this.s.errorGeneric);
  }

  private onServerEvent(event: ServerEvent): void {
    const before = this.chat;
    const outcome = applyServerEvent(before, event);
    this.chat = outcome.state;
    if (event.type === 'response.created') {
      // stopped before the server named the response: cancel it now
      const turn = outcome.state.turns.find((t) => t.clientId === event.clientId);
      if (turn?.status === 'cancelled')
        this.connection.send({ type: 'response.cancel', responseId: event.responseId });
    }
    if (outcome.conversationCreated) {
      // the list is out of date: it reloads when next shown
      this.conversationsLoad.reset();
      this.dispatchEvent(new ParleyConversationEvent(outcome.conversationCreated));
    }
    if (outcome.completed?.answer) {
      this.dispatchEvent(new ParleyAnswerEvent(outcome.completed.answer, outcome.completed.question));
    }
    if (outcome.failed?.status === 'failed' && outcome.failed.error) {
      const e = outcome.failed.error;
      if (e.code === 'rate_limited' && e.retryAt) this.rateLimitedUntil = e.retryAt;
      this.dispatchEvent(new ParleyErrorEvent(e.code, e.message, e.retryAfter));
    }
    if (outcome.orphanError) {
      const e = outcome.orphanError;
      this.fail(e.code, e.message, e.retryAfter);
    }
  }

  private onConnectionStatus(status: ConnectionStatus): void {
    if (status === 'open') {
      // the outbox was flushed: queued questions are on their way
      if (this.chat.turns.some((t) => t.status === 'queued')) {
        this.chat = {
          ...this.chat,
          turns: this.chat.turns.map((t) => (t.status === 'queued' ? { ...t, status: 'sent' } : t)),
        };
      }
      if (this.banner?.code === 'token_unavailable') this.banner = undefined;
      if (this.configStatus === 'error') void this.loadConfig();
    }
    this.dispatchEvent(new ParleyConnectionEvent(status));
  }

  private onConnectionFailure(failure: ConnectionFailure, _detail: string): void {
    const s = this.s;
    switch (failure) {
      case 'token':
        this.fail('token_unavailable', s.errorToken);
        return;
      case 'policy':
        this.fail('policy', s.errorPolicy);
        return;
      case 'forbidden':
        this.fail('forbidden', s.errorForbidden);
        return;
      case 'too_big':
        this.fail('too_big', s.errorTooBig);
        return;
      case 'rate_limited':
        this.fail('rate_limited', fmt(s.errorRateLimited, { seconds: 30 }), 30);
        return;
      default:
        throw new Error(`unknown connection failure ${String(failure)}`);
    }
  }

  private stop(turn: Turn): void {
    const current = this.chat.turns.find((t) => t.clientId === turn.clientId);
    if (!current || !isInProgress(current)) return;
    if (current.responseId) {
      this.connection.send({ type: 'response.cancel', responseId: current.responseId });
      return;
    }
    // not created on the server yet: drop it from the outbox, and cancel on response.created if it comes
    this.connection.dropQueued((m) => m.type === 'message.send' && m.clientId === current.clientId);
    this.chat = {
      ...this.chat,
      turns: this.chat.turns.map((t) =>
        t.clientId === current.clientId ? { ...t, status: 'cancelled' } : t,
      ),
    };
  }

  private retry(turn: Turn): void {
    if (this.busy) return;
    if (turn.status === 'failed' || turn.status === 'cancelled') {
      this.chat = { ...this.chat, turns: this.chat.turns.filter((t) => t.clientId !== turn.clientId) };
    }
    this.ask(turn.question);
  }

  private async saveFeedback(turn: Turn, rating: Rating, comment: string | null): Promise<void> {
    const conversationId = turn.conversationId ?? this.chat.conversationId;
    const responseId = turn.responseId;
    if (!conversationId || !responseId) throw new Error(this.s.errorGeneric);
    try {
      await this.api.sendFeedback(conversationId, responseId, { rating, comment });
    } catch (err) {
      throw new Error(err instanceof ApiError ? err.message : this.s.errorGeneric);
    }
    this.chat = {
      ...this.chat,
      turns: this.chat.turns.map((t) =>
        t.clientId === turn.clientId ? { ...t, feedback: { rating, comment } } : t,
      ),
    };
    this.dispatchEvent(new ParleyFeedbackEvent(responseId, rating, comment));
  }

  private readonly actions: MessageListActions = {
    ask: (text) => {
      this.ask(text);
    },
    retry: (turn) => this.retry(turn),
    stop: (turn) => this.stop(turn),
    feedback: (turn, rating, comment) => this.saveFeedback(turn, rating, comment),
    copy: async (text) => {
      await navigator.clipboard.writeText(text);
    },
    exportCsv: async (turn) => {
      const conversationId = turn.conversationId ?? this.chat.conversationId;
      if (!conversationId || !turn.responseId) throw new Error(this.s.errorGeneric);
      return this.api.exportCsv(conversationId, turn.responseId);
    },
  };

  private readonly uploadHooks: UploadPanelHooks = {
    uploaded: (dataset) => this.dispatchEvent(new ParleyUploadEvent(dataset)),
    error: (code, message) => this.dispatchEvent(new ParleyErrorEvent(code, message)),
    ask: (question) => this.ask(question),
    back: () => this.showView('chat'),
  };

  // ---- conversations ----------------------------------------------------------------------------

  private loadConversations(more: boolean): Promise<void> {
    return this.conversationsLoad.run(more);
  }

  private async deleteConversation(id: string): Promise<void> {
    try {
      await this.api.deleteConversation(id);
      this.conversations = this.conversations.filter((c) => c.id !== id);
      if (this.chat.conversationId === id) this.newConversation();
    } catch (err) {
      this.failFrom(err);
    }
  }

  private showView(view: ChatView): void {
    const next = this.view === view ? 'chat' : view;
    this.view = next;
    if (next === 'conversations' && this.conversationsStatus !== 'ready') void this.loadConversations(false);
    if (next === 'chat') this.focusComposerAfterUpdate = true;
  }

  // ---- rendering (the views are in panel-view.ts and body-views.ts) -----------------------------------------

  private renderBody(): TemplateResult {
    const s = this.s;
    switch (this.view) {
      case 'chat':
        return renderChatBody({
          strings: s,
          turns: this.chat.turns,
          starters: this.config?.agent.starterQuestions ?? [],
          actions: this.actions,
          dark: this.dark,
          busy: this.busy,
          placeholder: this.placeholder,
          maxLength: this.maxLength,
          messages: this.messages,
          composer: this.composer,
          ask: (text) => this.ask(text),
          stop: () => {
            const last = [...this.chat.turns].reverse().find(isInProgress);
            if (last) this.stop(last);
          },
        });
      case 'conversations':
        return renderConversationsBody({
          strings: s,
          items: this.conversations,
          currentId: this.chat.conversationId,
          loading: this.conversationsStatus === 'loading',
          hasMore: this.conversationsCursor !== null,
          openConversation: (id) => void this.openConversation(id),
          deleteConversation: (id) => void this.deleteConversation(id),
          newConversation: () => this.newConversation(),
          loadMore: () => void this.loadConversations(true),
        });
      case 'uploads':
        return renderUploadsBody({
          api: this.api,
          strings: s,
          canShare: canShareWithContext(this.config),
          contextKey: this.contextKey || shareContextKey(this.config),
          hooks: this.uploadHooks,
          xhrFactory: this.xhrFactory,
        });
      default:
        throw new Error(`unknown view ${String(this.view)}`);
    }
  }

  protected override render() {
    // anything but "launcher" is inline
    const floating = this.mode === 'launcher';
    const panel = renderPanel({
      strings: this.s,
      title: this.config?.agent.name || this.s.title,
      floating,
      open: this.open,
      view: this.view,
      uploadsEnabled: this.uploadsEnabled,
      connection: this.connection.status,
      banner: this.banner,
      body: this.renderBody(),
      setOpen: (open) => this.setOpen(open),
      showView: (view) => this.showView(view),
      newConversation: () => this.newConversation(),
      reconnectNow: () => this.connection.reconnectNow(),
      dismissBanner: () => {
        this.banner = undefined;
      },
    });
    if (!floating) return panel;
    return html`${renderLauncher({
      strings: this.s,
      open: this.open,
      button: this.launcher,
      setOpen: (open) => this.setOpen(open),
    })}${panel}`;
  }
}

defineElement('parley-chat', ParleyChat);

declare global {
  interface HTMLElementTagNameMap {
    'parley-chat': ParleyChat;
  }
}

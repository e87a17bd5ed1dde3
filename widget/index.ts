// The public entry of the Parley widget: defines <parley-chat> (and the elements it is made of) once, however
// many times the script is loaded, and exports the public types and event classes.
//
//   <script type="module" src="https://bff.example.com/widget/parley-widget.js"></script>
//   <parley-chat server="https://bff.example.com" agent="demo" token-endpoint="/parley/token"></parley-chat>
import './parley-chat/parley-chat.ts';

export type { ParleyComposer } from './composer/composer.ts';
export type {
  BackoffOptions,
  ConnectionStatus,
  WebSocketConstructor,
  WebSocketLike,
} from './controllers/connection-controller.ts';
export { backoffDelay, DEFAULT_BACKOFF } from './controllers/connection-controller.ts';
export type { GetTokenFn, TokenStatus } from './controllers/token-controller.ts';
export { checkFile, MAX_UPLOAD_BYTES } from './controllers/uploads-controller.ts';
export type { ParleyConversationList } from './conversation-list/conversation-list.ts';
export {
  ParleyAnswerEvent,
  ParleyConnectionEvent,
  ParleyConversationEvent,
  ParleyErrorEvent,
  type ParleyEventMap,
  ParleyFeedbackEvent,
  ParleySendEvent,
  ParleyToggleEvent,
  ParleyUploadEvent,
} from './events/parley-events.ts';
export type { ParleyFeedback } from './feedback/feedback.ts';
export type { ParleyMessageList } from './message-list/message-list.ts';
export {
  type ChatMode,
  type ChatView,
  ParleyChat,
  type ThemeName,
  type UploadsSetting,
} from './parley-chat/parley-chat.ts';
export type { ParleyResultChart } from './result-chart/result-chart.ts';
export { escapeCsvCell, toCsv } from './result-table/csv.ts';
export type { ParleyResultTable } from './result-table/result-table.ts';
export { DEFAULT_STRINGS, type ParleyStrings } from './strings.ts';
export type { Turn, TurnStatus } from './turns.ts';
export type {
  Answer,
  AnswerChoice,
  AnswerColumn,
  AnswerData,
  AnswerTable,
  ClientMessage,
  ConversationSummary,
  DatasetInfo,
  ServerEvent,
  WidgetConfig,
} from './types.ts';
export type { ParleyUploadPanel } from './upload-panel/upload-panel.ts';

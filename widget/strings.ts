// Every user-visible string of the widget. Hosts override any of them through the `strings` property:
//   el.strings = { placeholder: 'Posez une question…', send: 'Envoyer' };
// Placeholders in braces ({count}) are filled in by `fmt`.

export const DEFAULT_STRINGS = {
  title: 'Ask your data',
  placeholder: 'Ask a question about your data…',
  inputLabel: 'Your question',
  send: 'Send',
  stop: 'Stop',
  retry: 'Retry',
  copy: 'Copy answer',
  copied: 'Copied',
  you: 'You',
  assistant: 'Assistant',
  launcherOpen: 'Open chat',
  panelClose: 'Close chat',
  messagesLabel: 'Conversation',
  starterHeading: 'Try asking',
  suggestionsHeading: 'You could ask',
  choicesLabel: 'Possible meanings',
  waiting: 'Sending…',
  stagePlanning: 'Planning',
  stageQuerying: 'Querying',
  stageComposing: 'Composing',
  cancelled: 'Stopped.',
  answerFailed: 'This question could not be answered.',
  howAnswered: 'How was this answered?',
  explanationLabel: 'Explanation',
  sqlLabel: 'SQL',
  bindingsLabel: 'Values',
  showSql: 'Show the SQL',
  likeForLikeSql: 'The like-for-like figures ({windows}) came from this query:',
  readAs: 'Read as',
  readAsOther: 'Other readings of “{chip}”',
  readAsUnused: 'Not used: {words}',
  // conversations
  conversations: 'Conversations',
  newConversation: 'New conversation',
  deleteConversation: 'Delete “{title}”',
  confirmDelete: 'Delete',
  untitled: 'Untitled conversation',
  noConversations: 'No conversations yet.',
  searchConversations: 'Search conversations',
  noConversationsMatch: 'No conversation matches.',
  loadMore: 'Load more',
  loading: 'Loading…',
  // feedback
  feedbackPositive: 'Helpful',
  feedbackNegative: 'Not helpful',
  feedbackCommentLabel: 'Tell us more (optional)',
  feedbackSubmit: 'Send feedback',
  feedbackThanks: 'Thanks for your feedback.',
  // tables
  tableCaption: 'Result',
  sortBy: 'Sort by {column}',
  previousPage: 'Previous page',
  nextPage: 'Next page',
  pageStatus: 'Rows {from}–{to} of {total}',
  downloadCsv: 'Download CSV',
  truncated: 'Only the first {count} rows were returned.',
  truncatedOf: 'Showing the first {count} of {total} rows.',
  downloadAll: 'Download all {total} rows (CSV)',
  downloadingAll: 'Preparing the CSV…',
  downloadAllFailed: 'The full CSV could not be downloaded: {message}',
  showTable: 'Show table',
  showChart: 'Show chart',
  chartLoading: 'Loading chart…',
  chartFailed: 'The chart could not be shown, so here is the table.',
  chartLabel: 'Chart: {title}',
  // connection
  statusConnecting: 'Connecting…',
  statusOffline: 'Offline — reconnecting…',
  statusClosed: 'Disconnected',
  reconnectNow: 'Reconnect now',
  // errors
  errorGeneric: 'Something went wrong. Please try again.',
  errorToken: 'Could not sign in to the assistant.',
  errorForbidden: 'You are not allowed to use this assistant.',
  errorPolicy: 'The assistant refused the connection.',
  errorTooBig: 'That message is too long.',
  // the failed turn keeps saying its question was not answered, during the countdown and after it
  errorRateLimited: 'Not answered: too many questions at once. Try again in {seconds} s.',
  rateLimitOver: 'Not answered: too many questions at once. You can ask again now.',
  errorNotConfigured: 'The chat is not configured (missing server or token).',
  errorOrigin:
    'This page is not allowed to use the assistant (its address is not in the server’s allowed origins).',
  dismiss: 'Dismiss',
  // uploads
  uploads: 'Your data files',
  uploadOpen: 'Upload data',
  uploadClose: 'Close files',
  dropHere: 'Drop a CSV or JSON file here, or',
  chooseFile: 'choose a file',
  fileTypeRefused: 'Only .csv and .json files can be uploaded.',
  fileTooLarge: 'The file is {size}; the limit is {max}.',
  fileEmpty: 'The file is empty.',
  previewHeading: 'Preview of {filename}',
  previewFailed: 'Could not read the file: {reason}',
  uploadNotText: 'This file is {what}, not a CSV or JSON file.',
  detectedColumns: 'Detected columns',
  notesLabel: 'Notes (what is in this file?)',
  scopeLabel: 'Who can use it',
  scopeUser: 'Only me',
  scopeContext: 'Everyone in my organisation',
  confirmUpload: 'Upload',
  cancel: 'Cancel',
  abortUpload: 'Stop upload',
  uploadProgress: 'Uploading {filename}',
  uploaded: 'Uploaded {filename}.',
  uploadPercent: '{percent}%',
  askAboutFile: 'Ask about it',
  backToChat: 'Back to the chat',
  myFiles: 'My files',
  sharedFiles: 'Shared with my organisation',
  noFiles: 'No files yet.',
  deleteFile: 'Delete {filename}',
} as const;

export type StringKey = keyof typeof DEFAULT_STRINGS;
export type ParleyStrings = { [K in StringKey]: string };

/** The defaults with the host's overrides on top; overrides that are not strings are ignored. */
export function resolveStrings(overrides?: Partial<ParleyStrings> | null): ParleyStrings {
  const out: ParleyStrings = { ...DEFAULT_STRINGS };
  if (!overrides || typeof overrides !== 'object') return out;
  for (const key of Object.keys(DEFAULT_STRINGS) as StringKey[]) {
    const value = overrides[key];
    if (typeof value === 'string') out[key] = value;
  }
  return out;
}

/** Fills `{name}` placeholders; unknown names are left as they are. */
export function fmt(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(values, name) ? String(values[name]) : whole,
  );
}

/** 10485760 -> "10 MB" (1024-based units, one decimal under 10). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

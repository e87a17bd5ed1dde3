// The wire constants of the widget WebSocket `parley.v1`, declared once for both ends: the server (ws/protocol.ts and
// the socket) and the widget (its connection controller and API helpers) import them from here. Dependency-free on
// purpose (no zod, no node): it is the one server module the widget bundle includes. docs/protocol.md describes them.

/** The subprotocol the server selects; a client must offer it. */
export const PROTOCOL = 'parley.v1';
/** The client carries its session token as the offered subprotocol `parley.token.<JWT>`; it is never echoed back. */
export const TOKEN_PROTOCOL_PREFIX = 'parley.token.';
export const WS_PATH = '/widget/v1/ws';
/** The largest frame (and message) the server reads; a bigger one closes the socket with 1009. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
/** The longest question, in characters. */
export const MAX_TEXT_LENGTH = 2000;

/** Close codes the server uses; 4xxx are Parley's own (see docs/protocol.md). */
export const CloseCode = {
  /** the client or the server ended the session normally */
  normal: 1000,
  /** the server is shutting down (or restarting): reconnect after a short delay */
  goingAway: 1001,
  /** the client kept sending messages that are not valid parley.v1 messages */
  policyViolation: 1008,
  /** a frame or message over 64 KiB */
  messageTooBig: 1009,
  /** the server failed unexpectedly */
  internalError: 1011,
  /** the session token expired: get a fresh token and reconnect */
  tokenExpired: 4001,
  /** the session may no longer use this agent: do not reconnect with the same token */
  forbidden: 4003,
  /** the client kept sending after being rate limited: back off before reconnecting */
  tooManyRequests: 4029,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

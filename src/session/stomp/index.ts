// Public surface of the STOMP session: the per-connection state machine on a byte stream, its
// error-to-ERROR-frame mapping, and the STOMP <-> neutral message mapping.

export { createStompSession, negotiateVersion, parseHeartbeat, type StompSession, type StompSessionOptions } from './session.ts';
export { errorReportFor, STOMP_SESSION_ERROR_CODES, StompSessionError, type StompErrorReport, type StompSessionErrorCode } from './errors.ts';
export { deliveryHeaders, sendFrameToMessage, STOMP_RESERVED_HEADERS, type StompSend } from './message-mapping.ts';

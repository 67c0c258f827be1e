// Public surface of the STOMP 1.0/1.1/1.2 codec: bytes <-> frames, no I/O. Sessions import from here.

export { STOMP_DECODE_ERROR_CODES, StompDecodeError, type StompDecodeErrorCode } from './errors.ts';
export {
  COMMAND_MAX_BYTES,
  decodeHeaderText,
  encodeHeaderText,
  headersEscaped,
  STOMP_CLIENT_COMMANDS,
  STOMP_SERVER_COMMANDS,
  STOMP_VERSIONS,
  type StompClientCommand,
  type StompCommand,
  type StompDecoded,
  type StompFrame,
  type StompHeartbeat,
  type StompServerCommand,
  type StompVersion,
} from './frame.ts';
export {
  FRAME_SIZE_MAX_MIN_BYTES,
  STOMP_DEFAULT_LIMITS,
  type StompDecodeLimits,
  StompFrameDecoder,
  type StompFrameDecoderOptions,
} from './frame-decoder.ts';
export {
  encodeStompFrame,
  encodeStompHeartbeat,
  StompFrameWriter,
  isStompHeaderEncodable,
  type StompEncodeOptions,
  type StompFrameInput,
  type StompHeadersInput,
} from './frame-encoder.ts';

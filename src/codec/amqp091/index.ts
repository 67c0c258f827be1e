// Public surface of the AMQP 0-9-1 codec: bytes <-> frames, no I/O. Sessions import from here.
// Generated per-method types, encoders and decoders come from generated.ts (see scripts/gen-amqp091.ts).

export * from './generated.ts';
export { ByteReader } from './byte-reader.ts';
export { ByteWriter } from './byte-writer.ts';
export {
  Amqp091DecodeError,
  type Amqp091DecodeErrorCode,
  type Amqp091DecodeErrorContext,
  clampReplyText,
  DECODE_REPLY_CODE,
  type DecodeReplyCodeName,
} from './errors.ts';
export {
  type Decimal,
  FIELD_NESTING_MAX_DEPTH,
  type FieldTable,
  type FieldType,
  type FieldValue,
  type FieldValueSource,
  fieldValueAsBoolean,
  fieldValueAsInteger,
  fieldValueAsString,
  readFieldArray,
  readFieldTable,
  readFieldValue,
  toFieldTable,
  toFieldValue,
  writeFieldArray,
  writeFieldTable,
  writeFieldValue,
} from './field-table.ts';
export {
  type Amqp091Frame,
  Amqp091FrameDecoder,
  type Amqp091FrameDecoderOptions,
  type ContentBodyFrame,
  type ContentHeaderFrame,
  FRAME_HEADER_BYTES,
  FRAME_OVERHEAD_BYTES,
  FRAME_SIZE_MAX_LIMIT_BYTES,
  type HeartbeatFrame,
  type MethodFrame,
  PROTOCOL_HEADER,
  type ProtocolHeaderFrame,
} from './frame-decoder.ts';
export {
  encodeBodyFrames,
  encodeContentFrames,
  encodeContentHeaderFrame,
  encodeContentHeaderFrameRaw,
  encodeHeartbeatFrame,
  encodeMethodFrame,
  encodeProtocolHeader,
} from './frame-encoder.ts';

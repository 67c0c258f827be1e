// Public surface of the AMQP 1.0 codec: bytes <-> values, performatives, frames and messages; no I/O.
// Generated types, encoders and decoders come from generated.ts (see scripts/gen-amqp10.ts).

export * from './generated.ts';
export * from './types.ts';
export * from './frames.ts';
export * from './message.ts';
export {
  Amqp10DecodeError,
  type Amqp10DecodeErrorCode,
  Amqp10FrameSizeError,
  CODEC_ERROR_CONDITION,
  type CodecErrorConditionName,
} from './errors.ts';

// The one place where an AMQP 0-9-1 session turns an error into a close: decode errors from the
// codec, typed BrokerErrors from the core, and the session's own protocol errors (frame sequence,
// channel numbers, tune values) become channel.close (soft errors, 3xx/4xx) or connection.close
// (hard errors, 5xx) with the reply code, a reply text that never exceeds a shortstr, and the class
// and method ids of the offending method. Anything else is a bug: 541 INTERNAL_ERROR, no detail.

import { BrokerError } from '../../core/errors.ts';
import { Amqp091DecodeError, clampReplyText, HARD_ERROR, SOFT_ERROR } from '../../codec/amqp091/index.ts';

export type ReplyCodeName = keyof typeof SOFT_ERROR | keyof typeof HARD_ERROR;
const REPLY_CODES: Record<ReplyCodeName, number> = { ...SOFT_ERROR, ...HARD_ERROR };

/** A protocol error the session itself detects. */
export class Amqp091SessionError extends Error {
  constructor(
    readonly replyCodeName: ReplyCodeName,
    explanation: string,
    /** Defaults to the spec's classification of the code. */
    readonly scope: 'channel' | 'connection' = replyCodeName in HARD_ERROR ? 'connection' : 'channel',
  ) {
    super(`${replyCodeName} - ${explanation}`);
    this.name = 'Amqp091SessionError';
  }

  get replyCode(): number {
    return REPLY_CODES[this.replyCodeName];
  }
}

/** What to close and with what. */
export interface CloseReason {
  readonly scope: 'channel' | 'connection';
  readonly replyCode: number;
  readonly replyText: string;
  readonly classId: number;
  readonly methodId: number;
  /** True for errors that are the session's fault (logged as errors, not as peer mistakes). */
  readonly internal: boolean;
}

/** The method an error happened in, for the close frame's class-id and method-id. */
export interface MethodContext {
  readonly classId: number;
  readonly methodId: number;
}

/** Maps any error thrown while handling a peer's frames to the close it calls for. */
export function closeReasonFor(error: unknown, method: MethodContext | undefined): CloseReason {
  const classId = method?.classId ?? 0;
  const methodId = method?.methodId ?? 0;
  if (error instanceof Amqp091DecodeError) {
    // Decode errors are all hard errors (errors.ts in the codec); they carry their own method ids.
    return {
      scope: 'connection',
      replyCode: error.replyCode,
      replyText: error.replyText,
      classId: error.classId || classId,
      methodId: error.methodId || methodId,
      internal: false,
    };
  }
  if (error instanceof BrokerError) {
    return { scope: error.scope, replyCode: error.replyCode, replyText: clampReplyText(error.replyText), classId, methodId, internal: false };
  }
  if (error instanceof Amqp091SessionError) {
    return { scope: error.scope, replyCode: error.replyCode, replyText: clampReplyText(error.message), classId, methodId, internal: false };
  }
  return {
    scope: 'connection',
    replyCode: HARD_ERROR.INTERNAL_ERROR,
    replyText: 'INTERNAL_ERROR - internal error',
    classId,
    methodId,
    internal: true,
  };
}

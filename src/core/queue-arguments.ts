// Queue arguments (x-*) validated and interpreted as RabbitMQ does (docs/ttl.md, docs/dlx.md,
// docs/maxlength, docs/priority.md, docs/consumers.md#single-active-consumer), and the
// equivalence check on redeclare (rabbit_amqqueue:assert_args_equivalence): only the arguments
// RabbitMQ knows are compared; unknown arguments are kept and ignored.

import { brokerError } from './errors.ts';
import { headerValuesEqual } from './header-values.ts';
import type { HeaderTable, HeaderValue } from './types.ts';

export const Overflow = {
  DROP_HEAD: 'drop-head',
  REJECT_PUBLISH: 'reject-publish',
  REJECT_PUBLISH_DLX: 'reject-publish-dlx',
} as const;
export type Overflow = (typeof Overflow)[keyof typeof Overflow];

export interface QueueArguments {
  readonly messageTtlMs: number | undefined;
  readonly expiresMs: number | undefined;
  readonly maxLength: number | undefined;
  readonly maxLengthBytes: number | undefined;
  readonly overflow: Overflow;
  readonly deadLetterExchange: string | undefined;
  readonly deadLetterRoutingKey: string | undefined;
  readonly singleActiveConsumer: boolean;
  readonly maxPriority: number | undefined;
  /**
   * 'quorum' is accepted for client compatibility and kept in the queue's definition; such a queue
   * must be durable, not exclusive and not auto-delete, and honours x-delivery-limit, but is
   * otherwise held like a classic queue (one node: there is no replication to do).
   */
  readonly queueType: 'classic' | 'quorum';
  /** Quorum queues: deliveries after which a requeued message is dead-lettered (reason delivery_limit). */
  readonly deliveryLimit: number | undefined;
}

/** Arguments compared on redeclare. */
const equivalenceArguments = [
  'x-dead-letter-exchange',
  'x-dead-letter-routing-key',
  'x-expires',
  'x-max-length',
  'x-max-length-bytes',
  'x-max-priority',
  'x-message-ttl',
  'x-overflow',
  'x-queue-type',
  'x-single-active-consumer',
  'x-delivery-limit',
] as const;

const TTL_MAX_MS = 2 ** 32 - 1;

function invalid(name: string, queueDescription: string, why: string): Error {
  return brokerError('PRECONDITION_FAILED', `invalid arg '${name}' for ${queueDescription}: ${why}`);
}

function integerArgument(args: HeaderTable, name: string, queueDescription: string, min: number, max: number): number | undefined {
  const value: HeaderValue = args[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' && typeof value !== 'bigint') throw invalid(name, queueDescription, `{unacceptable_type,${typeof value}}`);
  const n = Number(value);
  if (!Number.isInteger(n)) throw invalid(name, queueDescription, `{unacceptable_type,float}`);
  if (n < min || n > max) throw invalid(name, queueDescription, `{value_out_of_range,${n}}`);
  return n;
}

function stringArgument(args: HeaderTable, name: string, queueDescription: string): string | undefined {
  const value = args[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  throw invalid(name, queueDescription, `{unacceptable_type,${typeof value}}`);
}

/** Validates and interprets queue arguments; throws PRECONDITION_FAILED as RabbitMQ does. */
export function parseQueueArguments(args: HeaderTable, queueDescription: string): QueueArguments {
  const overflowValue = stringArgument(args, 'x-overflow', queueDescription) ?? 'drop-head';
  if (overflowValue !== 'drop-head' && overflowValue !== 'reject-publish' && overflowValue !== 'reject-publish-dlx') {
    throw invalid('x-overflow', queueDescription, `{unacceptable_value,${overflowValue}}`);
  }
  const queueType = stringArgument(args, 'x-queue-type', queueDescription) ?? 'classic';
  if (queueType !== 'classic' && queueType !== 'quorum') {
    throw invalid('x-queue-type', queueDescription, `queue type '${queueType}' is not supported`);
  }
  const deadLetterExchange = stringArgument(args, 'x-dead-letter-exchange', queueDescription);
  const deadLetterRoutingKey = stringArgument(args, 'x-dead-letter-routing-key', queueDescription);
  if (deadLetterRoutingKey !== undefined && deadLetterExchange === undefined) {
    throw brokerError('PRECONDITION_FAILED', `invalid arg 'x-dead-letter-routing-key' for ${queueDescription}: x-dead-letter-exchange is required when x-dead-letter-routing-key is set`);
  }
  const sac = args['x-single-active-consumer'];
  if (sac !== undefined && sac !== null && typeof sac !== 'boolean') {
    throw invalid('x-single-active-consumer', queueDescription, `{unacceptable_type,${typeof sac}}`);
  }
  return {
    messageTtlMs: integerArgument(args, 'x-message-ttl', queueDescription, 0, TTL_MAX_MS),
    expiresMs: integerArgument(args, 'x-expires', queueDescription, 1, TTL_MAX_MS),
    maxLength: integerArgument(args, 'x-max-length', queueDescription, 0, Number.MAX_SAFE_INTEGER),
    maxLengthBytes: integerArgument(args, 'x-max-length-bytes', queueDescription, 0, Number.MAX_SAFE_INTEGER),
    overflow: overflowValue,
    deadLetterExchange,
    deadLetterRoutingKey,
    singleActiveConsumer: sac === true,
    maxPriority: integerArgument(args, 'x-max-priority', queueDescription, 1, 255),
    queueType,
    deliveryLimit: queueType === 'quorum' ? integerArgument(args, 'x-delivery-limit', queueDescription, 0, Number.MAX_SAFE_INTEGER) : undefined,
  };
}

/** Throws PRECONDITION_FAILED when a redeclare's arguments differ from the queue's (known ones only). */
export function checkQueueArgumentsEquivalent(existing: HeaderTable, requested: HeaderTable, queueDescription: string): void {
  for (const name of equivalenceArguments) {
    const a = existing[name] ?? undefined;
    const b = requested[name] ?? undefined;
    if (a === undefined && b === undefined) continue;
    if (a === undefined || b === undefined || !headerValuesEqual(a, b)) {
      throw brokerError(
        'PRECONDITION_FAILED',
        `inequivalent arg '${name}' for ${queueDescription}: received ${describeValue(b)} but current is ${describeValue(a)}`,
      );
    }
  }
}

function describeValue(value: HeaderValue): string {
  if (value === undefined || value === null) return 'none';
  if (typeof value === 'string') return `the value '${value}' of type 'longstr'`;
  if (typeof value === 'number' || typeof value === 'bigint') return `the value '${value}' of type 'long'`;
  if (typeof value === 'boolean') return `the value '${value}' of type 'bool'`;
  return 'a value of another type';
}

/**
 * Parses a per-message `expiration` (AMQP shortstr of non-negative integer milliseconds); throws
 * PRECONDITION_FAILED for anything else, as RabbitMQ does ("invalid expiration").
 */
export function parseExpiration(expiration: string | undefined): number | undefined {
  if (expiration === undefined) return undefined;
  if (!/^[0-9]{1,10}$/.test(expiration) || Number(expiration) > TTL_MAX_MS) {
    throw brokerError('PRECONDITION_FAILED', `invalid expiration '${expiration.slice(0, 32)}'`);
  }
  return Number(expiration);
}

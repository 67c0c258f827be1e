// Local transactions through a coordinator link (AMQP 1.0 part 4): the peer sends `declare` and
// `discharge` as amqp-value bodies to the coordinator; we answer `declared` with a transaction id,
// then `accepted` for a discharge once the engine has committed or rolled back. Transfers and
// dispositions that carry a transactional-state are mapped by the session to engine sends and acks
// with the transaction's name (this file's `transactionName`). Distributed transactions (a declare
// with a global-id) are refused with amqp:not-implemented, as ActiveMQ does.

import { randomBytes } from 'node:crypto';
import type { AmqConnection } from '../../core/activemq/api.ts';
import { type AmqpValue, decodeComposite, decodeMessage, type DispositionInit } from '../../codec/amqp10/index.ts';
import { CONDITION, sessionError } from './errors.ts';
import { AmqError } from '../../core/activemq/api.ts';

/** One open transaction per entry: txn-id (hex) -> engine transaction name. Shared by a connection's coordinators. */
export type TransactionRegistry = Map<string, string>;

function txnKey(txnId: AmqpValue): string {
  if (!Buffer.isBuffer(txnId)) throw sessionError.delivery(CONDITION.UNKNOWN_ID, 'txn-id must be a binary');
  return txnId.toString('hex');
}

/** A coordinator link's transactions. */
export class Coordinator {
  readonly #mine = new Set<string>();
  #seq = 0;
  readonly #prefix = randomBytes(4).toString('hex');

  constructor(
    readonly connection: AmqConnection,
    readonly registry: TransactionRegistry,
  ) {}

  /** The engine transaction of a txn-id declared on this connection, or undefined. */
  transactionName(txnId: AmqpValue): string | undefined {
    return Buffer.isBuffer(txnId) ? this.registry.get(txnId.toString('hex')) : undefined;
  }

  /** Handles a declare or discharge message; resolves to the outcome to settle it with. */
  async handle(payload: Buffer): Promise<NonNullable<DispositionInit['state']>> {
    const { message } = decodeMessage(payload);
    const body = message.body;
    const value = body?.kind === 'amqp-value' ? body.value : undefined;
    const control =
      value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value) && value.type === 'described'
        ? decodeComposite(value)
        : undefined;
    if (control?.kind === 'declare') {
      if (control.globalId !== undefined) throw sessionError.delivery(CONDITION.NOT_IMPLEMENTED, 'distributed transactions are not supported');
      const txnId = Buffer.alloc(8);
      txnId.writeUInt32BE(Number.parseInt(this.#prefix, 16), 0);
      txnId.writeUInt32BE(++this.#seq >>> 0, 4);
      const name = `amqp10-txn-${this.#prefix}-${this.#seq}`;
      this.connection.begin(name);
      this.registry.set(txnId.toString('hex'), name);
      this.#mine.add(txnId.toString('hex'));
      return { kind: 'declared', txnId };
    }
    if (control?.kind === 'discharge') {
      const key = txnKey(control.txnId);
      const name = this.registry.get(key);
      if (name === undefined) throw sessionError.delivery(CONDITION.UNKNOWN_ID, 'unknown transaction id');
      this.registry.delete(key);
      this.#mine.delete(key);
      if (control.fail) {
        this.connection.abort(name);
        return { kind: 'accepted' };
      }
      try {
        await this.connection.commit(name);
      } catch (err) {
        // Part 4, section 4.4.4: a discharge that cannot commit is rejected with transaction:rollback.
        const description = err instanceof AmqError ? err.message : 'the transaction could not commit';
        throw sessionError.delivery(CONDITION.TRANSACTION_ROLLBACK, description);
      }
      return { kind: 'accepted' };
    }
    throw sessionError.delivery(CONDITION.DECODE_ERROR, 'a coordinator takes only declare and discharge');
  }

  /** The link is gone: its open transactions roll back (part 4, section 4.3). */
  release(): void {
    for (const key of this.#mine) {
      const name = this.registry.get(key);
      this.registry.delete(key);
      if (name === undefined) continue;
      try {
        this.connection.abort(name);
      } catch {
        // The connection is closing: the engine drops the transaction with it.
      }
    }
    this.#mine.clear();
  }
}

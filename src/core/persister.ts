// The core's side of the MessageStore: the publishes of one turn of the event loop go to the store
// as one `append` call, handed over at once even while earlier ones are still syncing (the store
// keeps calls in order and shares each sync among whatever it has gathered: group commit, with
// its syncs pipelined); removals and delivery records are batched per microtask. A message
// delivered before its append is handed over is stored as delivered; the store may hold removals
// back to share a later sync. What the store does with the bytes is its business.

import type { AppendEntry, MessageStore, QueueId } from './message-store.ts';
import type { QueuedMessage } from './queued-message.ts';

interface PendingAppend {
  readonly queued: QueuedMessage;
  /** Deliveries already made when the batch was handed to the store (stored with the message). */
  deliveredBefore: number;
}

interface BatchDone {
  readonly durable: Promise<boolean>;
  readonly resolve: (durable: boolean) => void;
}

function newBatchDone(): BatchDone {
  let resolve!: (durable: boolean) => void;
  const durable = new Promise<boolean>((r) => (resolve = r));
  return { durable, resolve };
}

export class Persister {
  #pending: PendingAppend[] = [];
  /** Settles when the batch now gathering is durable; every append in it shares this promise. */
  #pendingDone: BatchDone | undefined;
  #appendScheduled = false;
  /** Appends handed to the store and not settled yet; the store keeps them in order. */
  #appendsInFlight = 0;
  /** The newest of them: it settles after every earlier one (the store acknowledges in order). */
  #lastAppend: Promise<void> | undefined;
  #removals = new Map<QueueId, number[]>();
  #deliveries = new Map<QueueId, number[]>();
  /** The maps of the batch before, emptied, for the next one. */
  #spareRemovals = new Map<QueueId, number[]>();
  #spareDeliveries = new Map<QueueId, number[]>();
  #opsScheduled = false;
  /** Settles when the delivery records now gathering are durable (nothing waits for removals). */
  #deliveriesDone: BatchDone | undefined;
  /** Store calls for removals and delivery records not settled yet. */
  #opsInFlight = 0;
  #opsIdleWaiters: Array<() => void> = [];

  constructor(
    readonly store: MessageStore,
    /** Store errors outside a publish (removals, delivery records): the broker logs them. */
    readonly onError: (error: unknown) => void,
    /** False: no delivery records at all (BrokerOptions.recordDeliveries). */
    readonly recordsDeliveries = true,
  ) {}

  /** Appends one queued message; resolves true once durable, false if the store failed. */
  append(queued: QueuedMessage): Promise<boolean> {
    this.#pending.push({ queued, deliveredBefore: 0 });
    const done = (this.#pendingDone ??= newBatchDone());
    this.#scheduleAppend();
    return done.durable;
  }

  #scheduleAppend(): void {
    if (this.#appendScheduled || this.#pending.length === 0) return;
    this.#appendScheduled = true;
    queueMicrotask(() => {
      this.#appendScheduled = false;
      this.#runAppend();
    });
  }

  #runAppend(): void {
    const batch = this.#pending;
    const done = this.#pendingDone;
    this.#pending = [];
    this.#pendingDone = undefined;
    if (batch.length === 0 || done === undefined) return;
    // Built now rather than at publish: a message a consumer got in the meantime (the common case
    // for a waiting consumer) is stored as delivered, which saves a delivery record and its sync.
    const entries: AppendEntry[] = batch.map((p) => {
      const { queued } = p;
      p.deliveredBefore = queued.deliveredBeforeStored ? Math.max(1, queued.deliveryCount) : 0;
      // The core message itself (immutable) serves as the MessageToStore: no copy per message.
      return { queueId: queued.queueId, message: queued.message, deliveryCount: p.deliveredBefore };
    });
    this.#appendsInFlight++;
    const appended = this.store.append(entries).then(
      (offsets) => {
        batch.forEach((p, i) => {
          const queued = p.queued;
          queued.offset = offsets[i];
          if (p.deliveredBefore > 0) queued.recordedInStore = true;
          if (queued.removed) this.#queueOp(this.#removals, queued);
          else if (queued.deliveredBeforeStored && p.deliveredBefore === 0) this.#queueOp(this.#deliveries, queued);
        });
        done.resolve(true);
      },
      (error: unknown) => {
        this.onError(error);
        // The messages stay deliverable from memory; they are not durable and are not confirmed.
        for (const p of batch) p.queued.stored = false;
        done.resolve(false);
      },
    ).finally(() => {
      if (--this.#appendsInFlight === 0) this.#lastAppend = undefined;
    });
    this.#lastAppend = appended;
  }

  /** Removes an acknowledged or dropped message from the store (now or once its append resolves). */
  remove(queued: QueuedMessage): void {
    if (!queued.stored) return;
    queued.removed = true;
    if (queued.offset !== undefined) this.#queueOp(this.#removals, queued);
  }

  /**
   * Records a delivery so that `redelivered` survives a restart. Returns a promise that settles
   * once the record is durable, or undefined when there is nothing to wait for: an in-memory
   * message, or one whose own append is still in flight. The latter is recorded as soon as the
   * append lands; not waiting for it keeps a waiting consumer's latency off two syncs, and such a
   * message has not been confirmed to its publisher yet.
   */
  recordDelivery(queued: QueuedMessage): Promise<unknown> | undefined {
    if (!this.recordsDeliveries || !queued.stored || queued.removed) return undefined;
    const recorded = queued.recordedInStore;
    if (recorded === true) return undefined;
    if (recorded !== undefined) return recorded;
    if (queued.offset !== undefined) return (queued.recordedInStore = this.#queueDelivery(queued));
    queued.deliveredBeforeStored = true;
    return undefined;
  }

  /**
   * Records a delivery ahead of time for a message about to be delivered, so that its delivery
   * need not wait for a sync. AMQP's redelivered means "may have been delivered before", so a
   * message recorded ahead and never delivered coming back redelivered after a crash is allowed;
   * the reverse is what must not happen.
   */
  recordAhead(queued: QueuedMessage): void {
    if (!this.recordsDeliveries || !queued.stored || queued.removed || queued.recordedInStore !== undefined || queued.offset === undefined) return;
    queued.recordedInStore = this.#queueDelivery(queued);
  }

  /** Adds a delivery record to the next batch; resolves once that batch is durable. */
  #queueDelivery(queued: QueuedMessage): Promise<unknown> {
    this.#queueOp(this.#deliveries, queued);
    return (this.#deliveriesDone ??= newBatchDone()).durable;
  }

  /**
   * Adds an offset to the next batch of removals or delivery records. This runs for every
   * acknowledgement and delivery: it allocates as little as it can (the maps are reused, nothing
   * waits on removals), since young garbage here is collector pauses in every client's latency.
   */
  #queueOp(map: Map<QueueId, number[]>, queued: QueuedMessage): void {
    let offsets = map.get(queued.queueId);
    if (offsets === undefined) map.set(queued.queueId, (offsets = []));
    offsets.push(queued.offset!);
    if (!this.#opsScheduled) {
      this.#opsScheduled = true;
      queueMicrotask(this.#runOpsNow);
    }
  }

  readonly #runOpsNow = (): void => this.#runOps();

  #runOps(): void {
    this.#opsScheduled = false;
    const deliveries = this.#deliveries;
    const removals = this.#removals;
    const deliveriesDone = this.#deliveriesDone;
    this.#deliveries = this.#spareDeliveries;
    this.#removals = this.#spareRemovals;
    this.#deliveriesDone = undefined;
    if (deliveries.size > 0) {
      let left = deliveries.size;
      // (Inline callback: tsx names a closure bound to a const with Object.defineProperty, per turn.)
      deliveries.forEach((offsets, queueId) =>
        this.#track(this.store.recordDelivery(queueId, offsets), () => {
          if (--left === 0) deliveriesDone?.resolve(true);
        }),
      );
    }
    removals.forEach((offsets, queueId) => this.#track(this.store.remove(queueId, offsets)));
    deliveries.clear();
    removals.clear();
    this.#spareDeliveries = deliveries;
    this.#spareRemovals = removals;
  }

  /** Counts a store call until it settles; a failure goes to onError (the message stays in memory). */
  #track(promise: Promise<unknown>, then?: () => void): void {
    this.#opsInFlight++;
    promise.then(
      () => this.#opSettled(then),
      (error: unknown) => {
        this.onError(error);
        this.#opSettled(then);
      },
    );
  }

  #opSettled(then: (() => void) | undefined): void {
    then?.();
    if (--this.#opsInFlight === 0) for (const waiter of this.#opsIdleWaiters.splice(0)) waiter();
  }

  /** Deletes a queue's stored messages after the appends already issued (for any queue) have landed. */
  async deleteQueue(queueId: QueueId): Promise<void> {
    await (this.#pendingDone?.durable ?? this.#lastAppend);
    await this.store.deleteQueue(queueId);
  }

  /** Resolves once every batched append, removal and delivery record has been handed to the store and settled. */
  async settle(): Promise<void> {
    for (;;) {
      await Promise.resolve();
      if (this.#lastAppend !== undefined) {
        await this.#lastAppend;
        continue;
      }
      if (this.#pending.length > 0 || this.#appendScheduled || this.#opsScheduled) {
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      if (this.#opsInFlight > 0) {
        await new Promise<void>((resolve) => this.#opsIdleWaiters.push(resolve));
        continue;
      }
      return;
    }
  }
}

// The ready messages of one queue (or one priority level of it), in position order. Appends go to
// the tail; requeued messages go back to their original position (RabbitMQ classic queues), which
// is usually the head.

import type { QueuedMessage } from './queued-message.ts';

export class MessageDeque {
  #items: QueuedMessage[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  peek(): QueuedMessage | undefined {
    return this.#items[this.#head];
  }

  /** The message `index` places behind the head. */
  at(index: number): QueuedMessage | undefined {
    return index < 0 ? undefined : this.#items[this.#head + index];
  }

  push(message: QueuedMessage): void {
    const last = this.#items[this.#items.length - 1];
    if (this.length === 0 || last === undefined || last.seq < message.seq) this.#items.push(message);
    else this.insertBySeq(message);
  }

  shift(): QueuedMessage | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const message = this.#items[this.#head]!;
    this.#items[this.#head] = undefined as unknown as QueuedMessage;
    this.#head++;
    // Compact once the consumed prefix dominates, keeping shift amortised O(1).
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return message;
  }

  /** Removes the message `index` places behind the head (consumer filters skip over others). */
  removeAt(index: number): QueuedMessage | undefined {
    if (index === 0) return this.shift();
    const at = this.#head + index;
    if (index < 0 || at >= this.#items.length) return undefined;
    return this.#items.splice(at, 1)[0];
  }

  /** Puts a message back at its position by sequence number. */
  insertBySeq(message: QueuedMessage): void {
    const head = this.#items[this.#head];
    if (head === undefined || message.seq < head.seq) {
      if (this.#head > 0) {
        this.#head--;
        this.#items[this.#head] = message;
      } else this.#items.unshift(message);
      return;
    }
    let lo = this.#head;
    let hi = this.#items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#items[mid]!.seq < message.seq) lo = mid + 1;
      else hi = mid;
    }
    this.#items.splice(lo, 0, message);
  }

  /** Removes and returns every message. */
  clear(): QueuedMessage[] {
    const all = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return all;
  }

  *[Symbol.iterator](): IterableIterator<QueuedMessage> {
    for (let i = this.#head; i < this.#items.length; i++) yield this.#items[i]!;
  }
}

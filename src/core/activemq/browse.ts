// Queue browsing (JMS QueueBrowser) for the ActiveMQ engine: turns a core queue's ready messages
// into the snapshot AmqConnection.browse returns, in delivery order, selector applied, expired
// messages left out, bounded by how many ready messages it looks at. It only reads: nothing is
// taken, counted as delivered, recorded in the store or expired here. Which queue, the permission
// and destination checks are engine.ts's; pacing the snapshot out to a client (STOMP `browser:end`,
// AMQP 1.0 credit and drain) is the sessions'.

import type { CoreMessage, QueuedMessage } from '../queued-message.ts';
import type { AmqBrowsedMessage, AmqMessage, Destination } from './api.ts';
import type { Selector } from './selector.ts';

/**
 * Ready messages one browse looks at, at most (from the queue's head), by default. ActiveMQ bounds a
 * browse the same way (maxBrowsePageSize, 400 by default); ours is larger since the ready messages
 * are in memory already and a snapshot costs one small object per message shown.
 */
export const BROWSE_MESSAGES_MAX_DEFAULT = 10_000;

export interface BrowseScan {
  /** The destination the snapshot reports (and the selector sees as JMSDestination). */
  readonly destination: Destination;
  readonly selector: Selector | undefined;
  /** Ready messages looked at, at most (selected or not, expired or not). */
  readonly examineMax: number;
  readonly nowMs: number;
  /** The engine's decoded view of a core message (cached per message). */
  readonly messageOf: (core: CoreMessage) => AmqMessage;
}

/**
 * The browse snapshot of a queue's ready messages (Queue.readyMessages, in dispatch order). A
 * message counts as expired as a consumer would find it: past the core's expiry (strictly, as the
 * core delivers a message expiring this very millisecond) or past its JMS expiration.
 */
export function browseReady(ready: Iterable<QueuedMessage>, scan: BrowseScan): AmqBrowsedMessage[] {
  const out: AmqBrowsedMessage[] = [];
  const { destination, selector, examineMax, nowMs } = scan;
  let examined = 0;
  for (const queued of ready) {
    if (examined >= examineMax) break;
    examined++;
    if (queued.expiresAt !== Infinity && queued.expiresAt < nowMs) continue;
    const message = scan.messageOf(queued.message);
    if (message.expiration > 0 && message.expiration < nowMs) continue;
    // What a consumer would be told if the message were delivered now.
    const redelivered = queued.deliveryCount > 0;
    const deliveryCount = queued.deliveryCount + 1;
    if (selector !== undefined && !selector.matches(message, { destination, redelivered, deliveryCount })) continue;
    out.push({ destination, message, redelivered, deliveryCount });
  }
  return out;
}

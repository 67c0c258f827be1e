// Waiting on a broker's state through the Amazon MQ API (DescribeBroker polled every 100 ms), as
// the end-to-end suites of both engines need it.

import assert from 'node:assert/strict';
import { DescribeBrokerCommand, NotFoundException, type DescribeBrokerResponse, type MqClient } from '@aws-sdk/client-mq';

export interface WaitForBrokerStateOptions {
  /** Default 30 s. */
  readonly waitMs?: number;
  /** Fail at once when the broker shows CREATION_FAILED (and that is not the state waited for). Default true. */
  readonly creationFailedIsFinal?: boolean;
}

/** Polls DescribeBroker until the broker is in `state`; fails after `waitMs`. */
export async function waitForBrokerState(mq: MqClient, brokerId: string, state: string, options: WaitForBrokerStateOptions = {}): Promise<DescribeBrokerResponse> {
  const waitMs = options.waitMs ?? 30_000;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const broker = await mq.send(new DescribeBrokerCommand({ BrokerId: brokerId }));
    if (broker.BrokerState === state) return broker;
    if ((options.creationFailedIsFinal ?? true) && broker.BrokerState === 'CREATION_FAILED' && state !== 'CREATION_FAILED') {
      assert.fail(`broker ${brokerId} is CREATION_FAILED: ${JSON.stringify(broker.ActionsRequired)}`);
    }
    if (Date.now() > deadline) assert.fail(`broker ${brokerId} stayed ${broker.BrokerState}, not ${state} within ${waitMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls DescribeBroker until it answers NotFoundException (any other error fails). */
export async function waitForBrokerDeletion(mq: MqClient, brokerId: string, waitMs = 30_000): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await mq.send(new DescribeBrokerCommand({ BrokerId: brokerId }));
    } catch (error) {
      assert.ok(error instanceof NotFoundException, `expected NotFoundException, got ${(error as Error).name}`);
      return;
    }
    if (Date.now() > deadline) assert.fail(`broker ${brokerId} was not deleted`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from './clock.ts';
import { FlowControl } from './flow-control.ts';
import { openTestBroker } from './test-support.ts';

describe('resource alarms', () => {
  it('raise a memory alarm at the high watermark and a disk alarm below the free limit, emitting once per transition', () => {
    let memory = 100;
    let disk = 1000;
    const flow = new FlowControl({ memoryUsedBytes: () => memory, memoryHighWatermarkBytes: 200, diskFreeBytes: () => disk, diskFreeLimitBytes: 500 });
    const events: string[] = [];
    flow.on('blocked', (reason) => events.push(`blocked:${reason}`));
    flow.on('unblocked', () => events.push('unblocked'));
    flow.check();
    assert.equal(flow.blocked, false);
    memory = 200;
    flow.check();
    flow.check();
    disk = 400;
    flow.check();
    assert.deepEqual(flow.alarms, ['memory', 'disk']);
    memory = 100;
    flow.check();
    assert.equal(flow.blocked, true);
    disk = 600;
    flow.check();
    assert.deepEqual(events, ['blocked:low on memory', 'unblocked']);
  });

  it('the broker polls the probes on its clock', async () => {
    let memory = 0;
    const clock = new FakeClock();
    const { broker } = await openTestBroker({
      clock,
      alarmCheckIntervalMs: 500,
      flowControl: { memoryUsedBytes: () => memory, memoryHighWatermarkBytes: 10, diskFreeBytes: () => 1e9, diskFreeLimitBytes: 1 },
    });
    const events: string[] = [];
    broker.flow.on('blocked', () => events.push('blocked'));
    broker.flow.on('unblocked', () => events.push('unblocked'));
    memory = 50;
    clock.advance(500);
    memory = 0;
    clock.advance(500);
    assert.deepEqual(events, ['blocked', 'unblocked']);
    await broker.close();
    assert.equal(clock.pendingTimers, 0);
  });
});

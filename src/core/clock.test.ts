// The real clock's timers, under node:test's mock timers: a delay longer than one Node timer can
// hold (2^31-1 ms; x-expires and message TTL go to 2^32-1) fires when due, not early.

import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { systemClock, TIMER_STEP_MAX_MS } from './clock.ts';

describe('systemClock', () => {
  it('fires a delay longer than one Node timer when it is due, not at 2^31-1 ms', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const clock = systemClock();
      let fired = 0;
      clock.setTimeout(() => fired++, 2 ** 32 - 1);
      mock.timers.tick(TIMER_STEP_MAX_MS);
      assert.equal(fired, 0);
      mock.timers.tick(2 ** 32 - 2 - TIMER_STEP_MAX_MS);
      assert.equal(fired, 0);
      mock.timers.tick(1);
      assert.equal(fired, 1);
    } finally {
      mock.timers.reset();
    }
  });

  it('clears a long timer between its steps, and fires a short one once', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const clock = systemClock();
      let long = 0;
      let short = 0;
      const handle = clock.setTimeout(() => long++, TIMER_STEP_MAX_MS + 1000);
      clock.setTimeout(() => short++, 5);
      mock.timers.tick(TIMER_STEP_MAX_MS + 10);
      assert.equal(short, 1);
      clock.clearTimeout(handle);
      mock.timers.tick(2000);
      assert.equal(long, 0);
    } finally {
      mock.timers.reset();
    }
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withLargestAllocation } from './allocation.ts';
// The fuzz tests' allocation bound is only as good as this measurement: it must see a large
// allocation and leave Buffer as it was.
test('sees a large allocation and restores Buffer', () => {
  const orig = Buffer.alloc;
  const { allocationMaxBytes } = withLargestAllocation(() => Buffer.alloc(5000));
  assert.equal(allocationMaxBytes, 5000);
  assert.equal(Buffer.alloc, orig);
});

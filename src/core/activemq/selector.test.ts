import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AmqMessage } from './api.ts';
import { parseSelector } from './selector.ts';

const message: AmqMessage = {
  body: new Uint8Array(), bodyType: 'text', persistent: true, priority: 4, expiration: 0, timestamp: 1,
  properties: { color: 'red', n: 5 },
};

describe('selector', () => {
  it('selects on properties', () => {
    assert.equal(parseSelector("color = 'red' AND n > 3").matches(message), true);
    assert.equal(parseSelector("color = 'blue'").matches(message), false);
  });
  it('refuses bad syntax', () => {
    assert.throws(() => parseSelector('color ='), { name: 'AmqError', code: 'invalid-selector' });
  });
});

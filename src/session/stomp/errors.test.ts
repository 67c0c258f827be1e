import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StompDecodeError } from '../../codec/stomp/index.ts';
import { AmqError } from '../../core/activemq/api.ts';
import { errorReportFor, STOMP_SESSION_ERROR_CODES, StompSessionError } from './errors.ts';

describe('STOMP error mapping (the one place errors become ERROR frames)', () => {
  it('decode errors keep their code and fixed message', () => {
    const r = errorReportFor(new StompDecodeError('BAD_COMMAND', 'unknown command'));
    assert.deepEqual([r.code, r.message, r.internal], ['BAD_COMMAND', 'unknown command', false]);
  });

  it('every session code has a body', () => {
    for (const code of STOMP_SESSION_ERROR_CODES) {
      const r = errorReportFor(new StompSessionError(code, 'x'));
      assert.equal(r.code, code);
      assert.ok(r.body.length > 0);
    }
  });

  it('engine errors read as ActiveMQ words; a store failure counts as internal', () => {
    const r = errorReportFor(new AmqError('not-authorized', 'User test-user is not authorized to write to: queue://a'));
    assert.deepEqual([r.code, r.message, r.internal], ['engine:not-authorized', 'User is not authorized', false]);
    assert.match(r.body, /not authorized/);
    assert.equal(errorReportFor(new AmqError('store-unavailable', 'x')).internal, true);
  });

  it('anything else is an internal error that says nothing about itself', () => {
    const r = errorReportFor(new Error('password=hunter2 at /secret/path'));
    assert.equal(r.code, 'INTERNAL');
    assert.equal(r.internal, true);
    assert.ok(!r.message.includes('hunter2') && !r.body.includes('hunter2'));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HIDDEN, redactMqRequestParameters } from './redaction.ts';
import { resolveMqOperation } from './routes.ts';

describe('redactMqRequestParameters', () => {
  it('hides user and LDAP passwords at any depth and keeps the rest', () => {
    const body = {
      brokerName: 'orders',
      users: [{ username: 'app-admin', password: 'Correct-Horse-Battery-9', groups: ['a'] }],
      ldapServerMetadata: { hosts: ['ldaps://ldap'], serviceAccountPassword: 'ldap-secret-123' },
    };
    const redacted = redactMqRequestParameters(body) as typeof body;
    assert.equal(redacted.users[0]!.password, HIDDEN);
    assert.equal(redacted.ldapServerMetadata.serviceAccountPassword, HIDDEN);
    assert.equal(redacted.users[0]!.username, 'app-admin');
    assert.deepEqual(redacted.users[0]!.groups, ['a']);
    assert.ok(!JSON.stringify(redacted).includes('Correct-Horse') && !JSON.stringify(redacted).includes('ldap-secret'));
    assert.equal(body.users[0]!.password, 'Correct-Horse-Battery-9', 'the input is not changed');
  });
});

describe('resolveMqOperation', () => {
  it('names the operation of a request, for audit events, without throwing', () => {
    assert.equal(resolveMqOperation('POST', '/v1/brokers'), 'CreateBroker');
    assert.equal(resolveMqOperation('DELETE', '/v1/tags/arn%3Aaws%3Amq%3Aus-east-1%3A1%3Abroker%3Ax%3Ab-1'), 'DeleteTags');
    assert.equal(resolveMqOperation('GET', '/v1/brokers/b-1/users/u'), 'DescribeUser');
    assert.equal(resolveMqOperation('GET', '/v1/nothing'), undefined);
    assert.equal(resolveMqOperation('PATCH', '/v1/brokers'), undefined);
  });
});

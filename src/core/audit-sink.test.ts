import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AuditEventType,
  MemoryAuditSink,
  REDACTED_VALUE,
  isSecretFieldName,
  normalizeAuditEvent,
  redactParameters,
} from './audit-sink.ts';

test('redactParameters masks passwords at any depth, as Amazon MQ records show them', () => {
  const redacted = redactParameters({
    brokerName: 'orders',
    users: [{ username: 'app', password: 'correct-horse-battery' }],
    user: { newPassword: 'another-secret-pw' },
  });
  assert.deepEqual(redacted, {
    brokerName: 'orders',
    users: [{ username: 'app', password: REDACTED_VALUE }],
    user: { newPassword: REDACTED_VALUE },
  });
});

test('redactParameters masks secret access keys, session tokens and grant tokens but keeps access key ids', () => {
  const redacted = redactParameters({
    AccessKeyId: 'AKIAEXAMPLE',
    SecretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN',
    'x-amz-security-token': 'IQoJb3JpZ2luX2VjEXAMPLE',
    GrantTokens: ['grant-token-1', 'grant-token-2'],
    GrantToken: 'grant-token-3',
    NextToken: 'page-2',
  });
  assert.equal(redacted['AccessKeyId'], 'AKIAEXAMPLE');
  assert.equal(redacted['SecretAccessKey'], REDACTED_VALUE);
  assert.equal(redacted['sessionToken'], REDACTED_VALUE);
  assert.equal(redacted['x-amz-security-token'], REDACTED_VALUE);
  assert.equal(redacted['GrantTokens'], REDACTED_VALUE);
  assert.equal(redacted['GrantToken'], REDACTED_VALUE);
  assert.equal(redacted['NextToken'], 'page-2', 'a pagination cursor is not a secret');
});

test('redactParameters masks KMS plaintext, ciphertext blobs, key material and binary values', () => {
  const redacted = redactParameters({
    KeyId: 'alias/orders',
    Plaintext: 'aGVsbG8=',
    CiphertextBlob: 'AQICAHh...',
    EncryptedKeyMaterial: 'AAAA',
    ImportToken: 'BBBB',
    raw: Buffer.from('secret bytes'),
    EncryptionContext: { broker: 'b-1' },
  });
  assert.deepEqual(redacted, {
    KeyId: 'alias/orders',
    Plaintext: REDACTED_VALUE,
    CiphertextBlob: REDACTED_VALUE,
    EncryptedKeyMaterial: REDACTED_VALUE,
    ImportToken: REDACTED_VALUE,
    raw: REDACTED_VALUE,
    EncryptionContext: { broker: 'b-1' },
  });
});

test('redactParameters masks message bodies and configuration data', () => {
  const redacted = redactParameters({ routingKey: 'rk', body: 'card 4111111111111111', data: 'PGJyb2tlcj4=' });
  assert.deepEqual(redacted, { routingKey: 'rk', body: REDACTED_VALUE, data: REDACTED_VALUE });
});

test('redactParameters masks credentials in URLs', () => {
  const redacted = redactParameters({ hosts: ['ldaps://admin:pa55word@ldap.example.com:636'] });
  assert.deepEqual(redacted, { hosts: [`ldaps://admin:${REDACTED_VALUE}@ldap.example.com:636`] });
});

test('redactParameters cuts off deep nesting and does not modify its input', () => {
  type Nested = { next?: Nested; password?: string };
  const input: Nested = { password: 'pw-pw-pw-pw-pw' };
  let deep: Nested = input;
  for (let i = 0; i < 20; i++) deep = { next: deep };
  const redacted = JSON.stringify(redactParameters(deep as Record<string, unknown>));
  assert.ok(!redacted.includes('pw-pw-pw'));
  assert.equal(input.password, 'pw-pw-pw-pw-pw');
});

test('isSecretFieldName catches variants by pattern', () => {
  for (const name of ['password', 'Password', 'consolePassword', 'secret_access_key', 'TotpSecret', 'refreshToken', 'PrivateKeyPem', 'plaintextDataKey']) {
    assert.equal(isSecretFieldName(name), true, name);
  }
  for (const name of ['username', 'brokerName', 'accessKeyId', 'KeyId', 'nextToken']) assert.equal(isSecretFieldName(name), false, name);
});

test('normalizeAuditEvent keeps only known userIdentity fields and redacts every parameter bag', () => {
  const event = normalizeAuditEvent(
    {
      eventSource: 'mq.amazonaws.com',
      eventName: 'CreateUser',
      eventType: AuditEventType.AwsApiCall,
      userIdentity: { type: 'IAMUser', accessKeyId: 'AKIA1', secretAccessKey: 'leak' } as never,
      requestParameters: { password: 'p4ssw0rd-p4ssw0rd' },
      responseElements: { token: 'tok' },
      additionalEventData: { body: 'hello' },
      readOnly: false,
    },
    '2026-11-29T00:00:00.000Z',
    '6f1c9a4e-0000-4000-8000-000000000000',
  );
  assert.deepEqual(event.userIdentity, { type: 'IAMUser', accessKeyId: 'AKIA1' });
  assert.equal(event.eventTime, '2026-11-29T00:00:00.000Z');
  assert.equal(event.eventID, '6f1c9a4e-0000-4000-8000-000000000000');
  assert.equal(event.eventVersion, '1.08');
  const text = JSON.stringify(event);
  for (const secret of ['leak', 'p4ssw0rd', '"tok"', 'hello']) assert.ok(!text.includes(secret), secret);
});

test('MemoryAuditSink records normalized events and counts those after close as rejected', async () => {
  const sink = new MemoryAuditSink(() => 0);
  sink.record({ eventSource: 'sealmq.broker', eventName: 'AuthenticationFailed', eventType: 'BrokerUserEvent' });
  await sink.close();
  sink.record({ eventSource: 'sealmq.broker', eventName: 'ConnectionOpened', eventType: 'BrokerUserEvent' });
  assert.equal(sink.events.length, 1);
  assert.equal(sink.events[0]!.eventTime, '1970-01-01T00:00:00.000Z');
  assert.equal(sink.stats().rejectedEvents, 1);
});

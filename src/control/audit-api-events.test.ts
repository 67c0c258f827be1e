import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeAuditEvent } from '../core/audit-sink.ts';
import { apiCallEvent, claimedAccessKeyId, isReadOnlyOperation, kmsResources, mqResources } from './audit-api-events.ts';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';

describe('audit events of API calls', () => {
  it('readOnly is Describe*, List* and Get*', () => {
    for (const name of ['DescribeBroker', 'ListKeys', 'GetKeyPolicy']) assert.equal(isReadOnlyOperation(name), true, name);
    for (const name of ['CreateBroker', 'Decrypt', 'RebootBroker', 'UpdateUser']) assert.equal(isReadOnlyOperation(name), false, name);
  });

  it('the claimed access key id comes from the Authorization header or X-Amz-Credential, and only when it looks like one', () => {
    assert.equal(claimedAccessKeyId('AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE000001/20261129/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=ab', ''), 'AKIAEXAMPLE000001');
    assert.equal(claimedAccessKeyId(undefined, 'X-Amz-Credential=AKIAEXAMPLE000002%2F20261129%2Fus-east-1%2Fmq%2Faws4_request'), 'AKIAEXAMPLE000002');
    assert.equal(claimedAccessKeyId('AWS4-HMAC-SHA256 Credential=not a key/x', ''), undefined);
    assert.equal(claimedAccessKeyId('Bearer whatever', ''), undefined);
  });

  it('KMS resources: the ARN in the response, else the KeyId as an ARN', () => {
    const arn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${KEY_ID}`;
    assert.deepEqual(kmsResources(REGION, ACCOUNT, { KeyId: 'alias/x' }, { KeyMetadata: { Arn: arn } })?.map((r) => r.ARN), [arn]);
    assert.deepEqual(kmsResources(REGION, ACCOUNT, { KeyId: KEY_ID }, undefined)?.map((r) => r.ARN), [arn]);
    assert.deepEqual(kmsResources(REGION, ACCOUNT, { KeyId: 'alias/orders' }, undefined)?.map((r) => r.ARN), [`arn:aws:kms:${REGION}:${ACCOUNT}:alias/orders`]);
    assert.equal(kmsResources(REGION, ACCOUNT, {}, { Keys: [] }), undefined);
  });

  it('MQ resources: the broker ARN in the response, else the one authorized for the id in the path; tags by their ARN', () => {
    const brokerArn = `arn:aws:mq:${REGION}:${ACCOUNT}:broker:orders:b-1`;
    assert.deepEqual(mqResources(REGION, ACCOUNT, '/v1/brokers', { brokerArn, brokerId: 'b-1' })?.map((r) => r.ARN), [brokerArn]);
    assert.deepEqual(mqResources(REGION, ACCOUNT, '/v1/brokers/b-1/reboot', undefined)?.map((r) => r.ARN), [`arn:aws:mq:${REGION}:${ACCOUNT}:broker:*:b-1`]);
    assert.deepEqual(mqResources(REGION, ACCOUNT, `/v1/tags/${encodeURIComponent(brokerArn)}`, undefined)?.map((r) => r.ARN), [brokerArn]);
    assert.equal(mqResources(REGION, ACCOUNT, '/v1/brokers', undefined), undefined);
  });

  it('a refused call has no responseElements; secrets in parameters and responses never survive the sink', () => {
    const caller = { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/alice`, principalId: 'AIDA1', policies: [], accessKeyId: 'AKIAEXAMPLE000001' };
    const outcome = { requestId: 'r-1', sourceIPAddress: '127.0.0.1', userAgent: 'ua', errorCode: undefined, errorMessage: undefined, region: REGION, accountId: ACCOUNT };
    const created = apiCallEvent(
      { eventSource: 'iam.amazonaws.com', eventName: 'CreateAccessKey', operationKnown: true, caller, requestParameters: { UserName: 'alice' }, responseElements: { AccessKey: { AccessKeyId: 'AKIA2', SecretAccessKey: 'very-secret' } } },
      outcome,
    );
    const stored = JSON.stringify(normalizeAuditEvent(created, '2026-11-29T00:00:00.000Z', 'e-1'));
    assert.doesNotMatch(stored, /very-secret/);
    assert.match(stored, /"userName":"alice"/);
    const refused = apiCallEvent(
      { eventSource: 'kms.amazonaws.com', eventName: 'Decrypt', operationKnown: true, caller, requestParameters: { CiphertextBlob: 'AQID' }, responseElements: { Plaintext: 'x' } },
      { ...outcome, errorCode: 'AccessDeniedException', errorMessage: 'not authorized' },
    );
    assert.equal(refused.responseElements, null);
    assert.equal(refused.readOnly, false);
    assert.equal(refused.errorCode, 'AccessDeniedException');
    assert.doesNotMatch(JSON.stringify(normalizeAuditEvent(refused, '2026-11-29T00:00:00.000Z', 'e-2')), /AQID/);
    const anonymous = apiCallEvent({ eventSource: 'mq.amazonaws.com', eventName: 'ListBrokers', operationKnown: true, claimedAccessKeyId: 'AKIAEXAMPLE000009' }, outcome);
    assert.deepEqual(anonymous.userIdentity, { type: 'Unknown', accessKeyId: 'AKIAEXAMPLE000009' });
  });
});

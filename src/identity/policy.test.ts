import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { PolicyDocument, PolicyStatement } from './caller.ts';
import { evaluate, evaluatePolicies, parsePolicyDocument, PolicyDocumentError, wildcardMatch, type PolicyRequest } from './policy.ts';

const account = '111122223333';
const alice = `arn:aws:iam::${account}:user/alice`;
const keyArn = `arn:aws:kms:us-east-1:${account}:key/k1`;
const rootDelegation: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }],
};
const allowAll: PolicyDocument = { Statement: { Effect: 'Allow', Action: '*', Resource: '*' } };

function req(overrides: Partial<PolicyRequest>): PolicyRequest {
  return {
    action: 'kms:Decrypt',
    resource: keyArn,
    principalArn: alice,
    principalAccount: account,
    identityPolicies: [],
    resourcePolicyRequired: true,
    ...overrides,
  };
}

describe('wildcards', () => {
  it('* and ? match as IAM does', () => {
    assert.ok(wildcardMatch('kms:*', 'kms:Decrypt'));
    assert.ok(wildcardMatch('kms:De?rypt', 'kms:Decrypt'));
    assert.ok(wildcardMatch('kms:*crypt', 'kms:ReEncrypt'));
    assert.ok(!wildcardMatch('kms:En*', 'kms:Decrypt'));
    assert.ok(wildcardMatch('KMS:DECRYPT', 'kms:Decrypt', true));
    assert.ok(!wildcardMatch('KMS:DECRYPT', 'kms:Decrypt'));
    assert.ok(wildcardMatch('a*b*c', 'aXXbYYbZc'));
    assert.ok(!wildcardMatch('a*b*c', 'aXXbYYbZ'));
  });
});

describe('wildcards (property)', () => {
  it('agrees with a regular-expression reference on random patterns', () => {
    const reference = (pattern: string, value: string) =>
      new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's').test(value);
    const alphabet = fc.constantFrom('a', 'b', ':', '*', '?');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 8 }), fc.array(fc.constantFrom('a', 'b', ':'), { maxLength: 10 }), (p, v) => {
        const pattern = p.join('');
        const value = v.join('');
        return wildcardMatch(pattern, value) === reference(pattern, value);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('policy evaluation', () => {
  it('a key policy naming the account root delegates to identity policies', () => {
    assert.equal(evaluate(req({ resourcePolicy: rootDelegation })), 'ImplicitDeny');
    assert.equal(evaluate(req({ resourcePolicy: rootDelegation, identityPolicies: [allowAll] })), 'Allow');
  });

  it('an identity policy alone is not enough when a resource policy is required', () => {
    const other: PolicyDocument = { Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:user/bob` }, Action: 'kms:*', Resource: '*' }] };
    assert.equal(evaluate(req({ resourcePolicy: other, identityPolicies: [allowAll] })), 'ImplicitDeny');
    assert.equal(evaluate(req({ resourcePolicy: other, identityPolicies: [allowAll], resourcePolicyRequired: false })), 'Allow');
  });

  it('a resource policy naming the principal allows without identity policies', () => {
    const direct: PolicyDocument = { Statement: [{ Effect: 'Allow', Principal: { AWS: [alice] }, Action: ['kms:Decrypt'], Resource: '*' }] };
    assert.equal(evaluate(req({ resourcePolicy: direct })), 'Allow');
    assert.equal(evaluate(req({ resourcePolicy: direct, action: 'kms:Encrypt' })), 'ImplicitDeny');
  });

  it('an explicit deny anywhere wins', () => {
    const deny: PolicyDocument = { Statement: [{ Effect: 'Deny', Action: 'kms:decrypt', Resource: keyArn }] };
    const r = evaluatePolicies(req({ resourcePolicy: rootDelegation, identityPolicies: [allowAll, deny] }));
    assert.deepEqual(r, { decision: 'ExplicitDeny', explicitDenyIn: 'identity-based' });
    const keyDeny: PolicyDocument = {
      Statement: [...(rootDelegation.Statement as never[]), { Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*' }],
    };
    assert.equal(evaluatePolicies(req({ resourcePolicy: keyDeny, identityPolicies: [allowAll] })).explicitDenyIn, 'resource-based');
  });

  it('NotAction and NotResource', () => {
    const p: PolicyDocument = { Statement: [{ Effect: 'Allow', NotAction: 'kms:Decrypt', Resource: '*' }] };
    assert.equal(evaluate(req({ identityPolicies: [p], resourcePolicyRequired: false })), 'ImplicitDeny');
    assert.equal(evaluate(req({ identityPolicies: [p], resourcePolicyRequired: false, action: 'kms:Encrypt' })), 'Allow');
    const q: PolicyDocument = { Statement: [{ Effect: 'Allow', Action: '*', NotResource: 'arn:aws:kms:*:*:key/k1' }] };
    assert.equal(evaluate(req({ identityPolicies: [q], resourcePolicyRequired: false })), 'ImplicitDeny');
    assert.equal(evaluate(req({ identityPolicies: [q], resourcePolicyRequired: false, resource: 'arn:aws:kms:us-east-1:1:key/k2' })), 'Allow');
  });

  it('conditions: StringEquals on encryption context, StringLike, Bool, IfExists, Null, ForAllValues', () => {
    const cond = (Condition: NonNullable<PolicyStatement['Condition']>) =>
      ({ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Condition }] }) as PolicyDocument;
    const run = (policy: PolicyDocument, context: PolicyRequest['context']) =>
      evaluate(req({ identityPolicies: [policy], resourcePolicyRequired: false, context }));
    const ctx = cond({ StringEquals: { 'kms:EncryptionContext:Broker': 'b-1' } });
    assert.equal(run(ctx, { 'kms:encryptioncontext:broker': 'b-1' }), 'Allow');
    assert.equal(run(ctx, { 'kms:EncryptionContext:Broker': 'b-2' }), 'ImplicitDeny');
    assert.equal(run(ctx, {}), 'ImplicitDeny');
    assert.equal(run(cond({ StringLike: { 'kms:ViaService': 'mq.*.amazonaws.com' } }), { 'kms:ViaService': 'mq.us-east-1.amazonaws.com' }), 'Allow');
    assert.equal(run(cond({ StringEquals: { 'kms:CallerAccount': account } }), { 'kms:CallerAccount': account }), 'Allow');
    assert.equal(run(cond({ Bool: { 'kms:GrantIsForAWSResource': 'true' } }), { 'kms:GrantIsForAWSResource': true }), 'Allow');
    assert.equal(run(cond({ Bool: { 'kms:GrantIsForAWSResource': true } }), { 'kms:GrantIsForAWSResource': false }), 'ImplicitDeny');
    assert.equal(run(cond({ StringEqualsIfExists: { 'kms:ViaService': 'x' } }), {}), 'Allow');
    assert.equal(run(cond({ Null: { 'kms:ViaService': 'true' } }), {}), 'Allow');
    assert.equal(run(cond({ Null: { 'kms:ViaService': 'true' } }), { 'kms:ViaService': 'x' }), 'ImplicitDeny');
    const all = cond({ 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['a', 'b'] } });
    assert.equal(run(all, { 'kms:EncryptionContextKeys': ['a'] }), 'Allow');
    assert.equal(run(all, { 'kms:EncryptionContextKeys': ['a', 'c'] }), 'ImplicitDeny');
    assert.equal(run(cond({ StringNotEquals: { 'aws:PrincipalArn': alice } }), {}), 'ImplicitDeny');
    assert.equal(run(cond({ NumericLessThan: { 'x': '1' } } as never), {}), 'ImplicitDeny');
  });
});

describe('parsePolicyDocument', () => {
  it('accepts a key policy and rejects malformed ones with a reason', () => {
    assert.ok(parsePolicyDocument(JSON.stringify(rootDelegation), { requirePrincipal: true }));
    const bad = [
      'not json',
      '{}',
      '{"Statement":[{"Effect":"Maybe","Action":"*","Principal":"*"}]}',
      '{"Statement":[{"Effect":"Allow","Principal":"*"}]}',
      '{"Statement":[{"Effect":"Allow","Action":"*"}]}',
      '{"Statement":[{"Effect":"Allow","Action":"*","Principal":{"AWS":"bob"}}]}',
      '{"Statement":[{"Effect":"Allow","Action":"*","Principal":"*","Condition":{"Weird":{"a":"b"}}}]}',
      '{"Version":"2099-01-01","Statement":[{"Effect":"Allow","Action":"*","Principal":"*"}]}',
    ];
    for (const text of bad) assert.throws(() => parsePolicyDocument(text, { requirePrincipal: true }), PolicyDocumentError, text);
  });
});

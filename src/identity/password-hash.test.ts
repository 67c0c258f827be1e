import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashPassword, needsRehash, PASSWORD_MAX_BYTES, PasswordRejectedError, verifyPassword } from './password-hash.ts';

const cheap = { logN: 10 };

describe('password hashing', () => {
  it('hashes with OWASP scrypt parameters by default (N=2^17, r=8, p=1) in a self-describing string', async () => {
    const encoded = await hashPassword('correct horse battery staple');
    assert.match(encoded, /^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.equal(await verifyPassword('correct horse battery staple', encoded), true);
    assert.equal(needsRehash(encoded), false);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const encoded = await hashPassword('s3cret-passw0rd', cheap);
    assert.equal(await verifyPassword('s3cret-passw0rd', encoded), true);
    assert.equal(await verifyPassword('s3cret-passw0rd!', encoded), false);
    assert.equal(await verifyPassword('', encoded), false);
  });

  it('salts each hash: the same password hashes differently', async () => {
    const a = await hashPassword('same password', cheap);
    const b = await hashPassword('same password', cheap);
    assert.notEqual(a, b);
    assert.notEqual(a.split('$')[3], b.split('$')[3]);
  });

  it('refuses malformed or tampered encodings without throwing', async () => {
    const encoded = await hashPassword('pw', cheap);
    assert.equal(await verifyPassword('pw', 'plaintext'), false);
    assert.equal(await verifyPassword('pw', encoded.replace('ln=10', 'ln=11')), false);
    const parts = encoded.split('$');
    parts[5] = Buffer.alloc(32, 1).toString('base64').replace(/=+$/, '');
    assert.equal(await verifyPassword('pw', parts.join('$')), false);
  });

  it('never puts the password in the encoded string', async () => {
    const encoded = await hashPassword('marker-password-1234', cheap);
    assert.equal(encoded.includes('marker-password-1234'), false);
  });

  it('caps the password length to bound the work of one attempt', async () => {
    const long = 'x'.repeat(PASSWORD_MAX_BYTES + 1);
    await assert.rejects(hashPassword(long, cheap), PasswordRejectedError);
    const encoded = await hashPassword('x'.repeat(PASSWORD_MAX_BYTES), cheap);
    assert.equal(await verifyPassword(long, encoded), false);
  });

  it('asks for a rehash when stored parameters are weaker than the current ones', async () => {
    const encoded = await hashPassword('pw', cheap);
    assert.equal(needsRehash(encoded), true);
    assert.equal(needsRehash(encoded, cheap), false);
  });
});

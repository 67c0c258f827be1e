import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aes256Gcm, randomSecretBytes, AEAD_TAG_BYTES } from './aead.ts';
import { DecryptionFailedError } from './key-provider.ts';

describe('aes256Gcm', () => {
  const plaintextDataKey = randomSecretBytes(32);
  const nonce = Buffer.alloc(12, 7);
  const aad = Buffer.from('segment 1 chunk 2');

  it('round-trips and appends a 16-byte tag', () => {
    const plaintext = Buffer.from('hello, queue');
    const sealed = aes256Gcm.seal(plaintextDataKey, nonce, aad, plaintext);
    assert.equal(sealed.length, plaintext.length + AEAD_TAG_BYTES);
    assert.notDeepEqual(sealed.subarray(0, plaintext.length), plaintext);
    assert.deepEqual(aes256Gcm.open(plaintextDataKey, nonce, aad, sealed), plaintext);
    assert.deepEqual(Buffer.concat(aes256Gcm.sealParts(plaintextDataKey, nonce, aad, plaintext)), sealed);
    assert.deepEqual(aes256Gcm.open(plaintextDataKey, nonce, aad, aes256Gcm.seal(plaintextDataKey, nonce, aad, Buffer.alloc(0))), Buffer.alloc(0));
  });

  it('matches a known-answer vector (NIST GCM test case 14: zero key, zero IV, 16 zero bytes)', () => {
    const sealed = aes256Gcm.seal(Buffer.alloc(32), Buffer.alloc(12), Buffer.alloc(0), Buffer.alloc(16));
    assert.equal(sealed.toString('hex'), 'cea7403d4d606b6e074ec5d3baf39d18' + 'd0d1c8a799996bf0265b98b5d48ab919');
  });

  it('fails uniformly on any changed byte of ciphertext, tag, AAD, nonce or key', () => {
    const sealed = aes256Gcm.seal(plaintextDataKey, nonce, aad, Buffer.from('secret body'));
    for (let i = 0; i < sealed.length; i++) {
      const bad = Buffer.from(sealed);
      bad[i]! ^= 0x01;
      assert.throws(() => aes256Gcm.open(plaintextDataKey, nonce, aad, bad), DecryptionFailedError);
    }
    assert.throws(() => aes256Gcm.open(plaintextDataKey, nonce, Buffer.from('segment 1 chunk 3'), sealed), DecryptionFailedError);
    assert.throws(() => aes256Gcm.open(plaintextDataKey, Buffer.alloc(12, 8), aad, sealed), DecryptionFailedError);
    assert.throws(() => aes256Gcm.open(randomSecretBytes(32), nonce, aad, sealed), DecryptionFailedError);
    assert.throws(() => aes256Gcm.open(plaintextDataKey, nonce, aad, sealed.subarray(0, 10)), /decryption failed/);
  });

  it('refuses keys and nonces of the wrong size', () => {
    assert.throws(() => aes256Gcm.seal(Buffer.alloc(16), nonce, aad, Buffer.alloc(1)), RangeError);
    assert.throws(() => aes256Gcm.seal(plaintextDataKey, Buffer.alloc(16), aad, Buffer.alloc(1)), RangeError);
  });
});

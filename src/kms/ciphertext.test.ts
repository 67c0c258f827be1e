import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  CIPHERTEXT_OVERHEAD_BYTES,
  CiphertextAuthError,
  CiphertextFormatError,
  encodeEncryptionContext,
  openCiphertext,
  parseCiphertextHeader,
  sealCiphertext,
} from './ciphertext.ts';

describe('encryption context encoding', () => {
  it('known answer: count, then sorted length-prefixed UTF-8 pairs', () => {
    assert.equal(encodeEncryptionContext({}).toString('hex'), '00000000');
    assert.equal(encodeEncryptionContext(undefined).toString('hex'), '00000000');
    assert.equal(
      encodeEncryptionContext({ b: '2', a: '1' }).toString('hex'),
      '00000002' + '00000001' + '61' + '00000001' + '31' + '00000001' + '62' + '00000001' + '32',
    );
  });

  it('Precondition: distinct contexts never encode alike ({"ab":"c"} is not {"a":"bc"})', () => {
    assert.notDeepEqual(encodeEncryptionContext({ ab: 'c' }), encodeEncryptionContext({ a: 'bc' }));
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.string()), fc.dictionary(fc.string(), fc.string()), (a, b) => {
        const same = JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
        return encodeEncryptionContext(a).equals(encodeEncryptionContext(b)) === same;
      }),
    );
  });

  it('order of pairs does not matter', () => {
    assert.deepEqual(encodeEncryptionContext({ x: '1', y: '2', é: '3' }), encodeEncryptionContext({ é: '3', y: '2', x: '1' }));
  });
});

describe('ciphertext blob', () => {
  const material = randomBytes(32);
  const header = { keyId: randomUUID(), materialVersion: 7 };

  it('round-trips any plaintext and context; the header names key and material version', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 4096 }), fc.dictionary(fc.string(), fc.string()), (plaintext, context) => {
        const blob = sealCiphertext(material, header, Buffer.from(plaintext), context);
        assert.equal(blob.length, plaintext.length + CIPHERTEXT_OVERHEAD_BYTES);
        assert.deepEqual(parseCiphertextHeader(blob), header);
        assert.deepEqual(openCiphertext(material, blob, context), Buffer.from(plaintext));
      }),
      { numRuns: 50 },
    );
  });

  it('any changed byte, another context or another material fails authentication', () => {
    const blob = sealCiphertext(material, header, Buffer.from('secret'), { a: 'b' });
    for (let i = 0; i < blob.length; i++) {
      const changed = Buffer.from(blob);
      changed[i] = changed[i]! ^ 0x80;
      assert.throws(() => openCiphertext(material, changed, { a: 'b' }), (e: unknown) => e instanceof CiphertextAuthError || e instanceof CiphertextFormatError);
    }
    assert.throws(() => openCiphertext(material, blob, { a: 'c' }), CiphertextAuthError);
    assert.throws(() => openCiphertext(randomBytes(32), blob, { a: 'b' }), CiphertextAuthError);
    assert.throws(() => parseCiphertextHeader(blob.subarray(0, CIPHERTEXT_OVERHEAD_BYTES - 1)), CiphertextFormatError);
  });

  it('Precondition: a fresh random nonce for every blob', () => {
    const a = sealCiphertext(material, header, Buffer.from('same'), {});
    const b = sealCiphertext(material, header, Buffer.from('same'), {});
    assert.notDeepEqual(a.subarray(21, 33), b.subarray(21, 33));
  });
});

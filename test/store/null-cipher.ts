// A cipher that does not encrypt: copies the plaintext and appends 16 zero bytes as a "tag". Only for
// the benchmark's unencrypted reference and for control tests that prove a check can fail. It is
// reachable only through SegmentMessageStore.open's internals argument, never from configuration.

import { AEAD_TAG_BYTES, type RecordCipher } from '../../src/crypto/aead.ts';

const ZERO_TAG = Buffer.alloc(AEAD_TAG_BYTES);

export const nullCipher: RecordCipher = {
  name: 'NULL (benchmark only)',
  seal(_plaintextDataKey, _nonce, _aad, plaintext) {
    const out = Buffer.alloc(plaintext.length + AEAD_TAG_BYTES);
    plaintext.copy(out, 0);
    return out;
  },
  sealParts(_plaintextDataKey, _nonce, _aad, plaintext) {
    return [Buffer.from(plaintext), ZERO_TAG];
  },
  open(_plaintextDataKey, _nonce, _aad, ciphertextAndTag) {
    return Buffer.from(ciphertextAndTag.subarray(0, ciphertextAndTag.length - AEAD_TAG_BYTES));
  },
};

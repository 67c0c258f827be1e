import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifyPassword } from '../../identity/password-hash.ts';
import { scryptPasswordHasher } from './password-hasher.ts';

describe('scryptPasswordHasher', () => {
  it('produces a hash that identity/ verifies, and never the password itself', async () => {
    const hash = await scryptPasswordHasher({ logN: 10 }).hash('Correct-Horse-Battery-9');
    assert.ok(!hash.includes('Correct-Horse'));
    assert.equal(await verifyPassword('Correct-Horse-Battery-9', hash), true);
    assert.equal(await verifyPassword('Correct-Horse-Battery-8', hash), false);
  });
});

// The chunk framing pieces are built in pooled (not zero-filled) buffers: every byte of each must
// still be written, whatever the pool held before.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHUNK_HEADER_BYTES, ChunkKind, chunkAad, chunkHeaderIntact, chunkNonce, encodeChunkHeader } from './segment-format.ts';

/** Leaves the shared Buffer pool full of `byte`, so an unwritten byte would show. */
function dirtyPool(byte = 0xa5): void {
  for (let i = 0; i < 64; i++) Buffer.allocUnsafe(128).fill(byte);
}

describe('segment format', () => {
  it('a chunk nonce is four zero bytes then the chunk index, big-endian', () => {
    dirtyPool();
    assert.deepEqual(chunkNonce(0), Buffer.alloc(12));
    dirtyPool();
    assert.deepEqual(chunkNonce(0x0102_0304_0506), Buffer.from('000000000000010203040506', 'hex'));
  });

  it('a chunk header carries its length, kind and check field and nothing else', () => {
    dirtyPool();
    const header = encodeChunkHeader(ChunkKind.DATA, 0x01020304);
    assert.equal(header.length, CHUNK_HEADER_BYTES);
    assert.equal(header.readUInt32BE(0), 0x01020304);
    assert.equal(header[4], ChunkKind.DATA);
    assert.ok(chunkHeaderIntact(header));
    assert.deepEqual(encodeChunkHeader(ChunkKind.DATA, 0x01020304), header);
  });

  it('the AAD is the same bytes whatever the pool held', () => {
    const place = { brokerId: 'b-1', segmentId: 7, chunkIndex: 3, fileOffset: 4096, chunkHeader: encodeChunkHeader(ChunkKind.DATA, 100) };
    dirtyPool(0x5a);
    const clean = Buffer.from(chunkAad(place));
    dirtyPool(0xa5);
    assert.deepEqual(chunkAad(place), clean);
    assert.equal(clean.length, 4 + 2 + 2 + 3 + 8 + 8 + 8 + CHUNK_HEADER_BYTES);
    const withHeader = chunkAad({ ...place, segmentHeader: Buffer.from('segment header') });
    assert.deepEqual(withHeader.subarray(clean.length), Buffer.from('segment header'));
  });
});

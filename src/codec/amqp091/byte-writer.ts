// Writes AMQP 0-9-1 primitive types into a growable buffer. Encoders write a whole frame (or a run of
// frames) into one writer and copy out exactly the bytes written, so a frame costs one allocation of
// its final size. Range checks are Buffer's own: a value out of range for its wire type is a bug in
// the caller and throws a RangeError. Field tables live in field-table.ts.

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_64 = 2 ** 64;
const SHORTSTR_MAX_BYTES = 255;

/** A growable big-endian writer. Not shared across awaits: encoders use it synchronously. */
export class ByteWriter {
  private buf: Buffer;
  /** Next write offset, i.e. the number of bytes written so far. */
  pos = 0;

  constructor(capacityBytes = 256) {
    this.buf = Buffer.allocUnsafe(capacityBytes);
  }

  /** Bytes the backing buffer holds before it must grow. */
  get capacityBytes(): number {
    return this.buf.length;
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const needed = this.pos + n;
    if (needed <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < needed) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Starts over, keeping the backing buffer. */
  reset(): void {
    this.pos = 0;
  }

  /** A copy of the bytes written so far, exactly sized, that stays valid after the writer is reused. */
  toBuffer(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    return out;
  }

  /** Copies the bytes written so far into `target` at `targetStart`. */
  copyTo(target: Uint8Array, targetStart = 0): void {
    target.set(this.buf.subarray(0, this.pos), targetStart);
  }

  u8(v: number): void {
    this.ensure(1);
    this.pos = this.buf.writeUInt8(v, this.pos);
  }

  i8(v: number): void {
    this.ensure(1);
    this.pos = this.buf.writeInt8(v, this.pos);
  }

  u16(v: number): void {
    this.ensure(2);
    this.pos = this.buf.writeUInt16BE(v, this.pos);
  }

  i16(v: number): void {
    this.ensure(2);
    this.pos = this.buf.writeInt16BE(v, this.pos);
  }

  u32(v: number): void {
    this.ensure(4);
    this.pos = this.buf.writeUInt32BE(v, this.pos);
  }

  i32(v: number): void {
    this.ensure(4);
    this.pos = this.buf.writeInt32BE(v, this.pos);
  }

  /**
   * An unsigned 64-bit integer from a non-negative integer below 2^64. Above 2^53 a number is a
   * rounded value, written exactly as that value: so what ByteReader.u64 read, this writes back.
   */
  u64(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v >= TWO_POW_64) {
      throw new RangeError(`longlong must be an integer in [0, 2^64), got ${v}`);
    }
    this.ensure(8);
    this.buf.writeUInt32BE(Math.floor(v / TWO_POW_32), this.pos);
    this.buf.writeUInt32BE(v % TWO_POW_32, this.pos + 4);
    this.pos += 8;
  }

  u64Big(v: bigint): void {
    this.ensure(8);
    this.pos = this.buf.writeBigUInt64BE(v, this.pos);
  }

  i64Big(v: bigint): void {
    this.ensure(8);
    this.pos = this.buf.writeBigInt64BE(v, this.pos);
  }

  f32(v: number): void {
    this.ensure(4);
    this.pos = this.buf.writeFloatBE(v, this.pos);
  }

  f64(v: number): void {
    this.ensure(8);
    this.pos = this.buf.writeDoubleBE(v, this.pos);
  }

  bytes(v: Uint8Array): void {
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  /** Overwrites a 32-bit length written earlier at `at` (lengths are known only after the content). */
  patchU32(at: number, v: number): void {
    this.buf.writeUInt32BE(v, at);
  }

  /** shortstr: UTF-8, at most 255 bytes; longer is a bug in the caller (RangeError). */
  shortstr(v: string): void {
    this.ensure(1 + v.length * 3);
    const n = this.buf.write(v, this.pos + 1, 'utf8');
    if (n > SHORTSTR_MAX_BYTES) {
      throw new RangeError(`shortstr is ${n} bytes, more than ${SHORTSTR_MAX_BYTES}`);
    }
    this.buf[this.pos] = n;
    this.pos += 1 + n;
  }

  /** longstr: 32-bit length then the bytes; a string is written as UTF-8. */
  longstr(v: string | Uint8Array): void {
    if (typeof v === 'string') {
      this.ensure(4 + v.length * 3);
      const n = this.buf.write(v, this.pos + 4, 'utf8');
      this.buf.writeUInt32BE(n, this.pos);
      this.pos += 4 + n;
    } else {
      this.u32(v.length);
      this.bytes(v);
    }
  }
}

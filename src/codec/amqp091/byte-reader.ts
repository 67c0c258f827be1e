// Reads AMQP 0-9-1 primitive types (big-endian integers, shortstr, longstr) from a bounded window of
// a Buffer. Every read checks the window first and throws a FRAME_ERROR decode error instead of
// reading past it, so that a length field from the peer can never make us read or allocate beyond
// the frame we already hold. Field tables live in field-table.ts; frames in frame-decoder.ts.

import { isUtf8 } from 'node:buffer';
import { Amqp091DecodeError } from './errors.ts';

const TWO_POW_32 = 0x1_0000_0000;

/** A cursor over `buf[pos, end)`. Strings and byte strings returned are views, not copies. */
export class ByteReader {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    /** End of the window; field-table.ts narrows it while it reads a nested table. */
    public end: number,
  ) {}

  /** Octets left in the window. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws a FRAME_ERROR decode error unless `n` more octets are in the window. */
  need(n: number): void {
    if (n > this.end - this.pos) {
      throw new Amqp091DecodeError('TRUNCATED', 'FRAME_ERROR', 'field runs past the end of its frame');
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  i8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  i16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /**
   * An unsigned 64-bit integer as a number (delivery tags, body sizes, timestamps). Values above
   * 2^53 lose precision; no value we issue gets there, and limits are checked on the result.
   */
  u64(): number {
    this.need(8);
    const hi = this.buf.readUInt32BE(this.pos);
    const lo = this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return hi * TWO_POW_32 + lo;
  }

  /** An unsigned 64-bit integer, exactly. */
  u64Big(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A signed 64-bit integer, exactly. */
  i64Big(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  f32(): number {
    this.need(4);
    const v = this.buf.readFloatBE(this.pos);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  /** `n` octets as a view into the underlying buffer. */
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /**
   * shortstr: octet length, then that many octets of UTF-8. Octets that are not UTF-8 are refused
   * with SYNTAX_ERROR rather than replaced: a replaced name would no longer match, and could grow
   * past 255 octets when we send it on. (RabbitMQ accepts any octets; clients send UTF-8.)
   */
  shortstr(): string {
    const n = this.u8();
    this.need(n);
    const start = this.pos;
    const end = start + n;
    this.pos = end;
    const buf = this.buf;
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (buf[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return buf.toString('latin1', start, end);
    if (!isUtf8(buf.subarray(start, end))) {
      throw new Amqp091DecodeError('BAD_SHORTSTR', 'SYNTAX_ERROR', 'short string is not valid UTF-8');
    }
    return buf.toString('utf8', start, end);
  }

  /** longstr: 32-bit length, then that many octets, as a view (binary: not necessarily UTF-8). */
  longstr(): Buffer {
    return this.bytes(this.u32());
  }
}

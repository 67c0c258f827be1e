import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { StompDecodeError, type StompDecodeErrorCode } from './errors.ts';
import type { StompDecoded, StompFrame, StompVersion } from './frame.ts';
import { StompFrameDecoder, type StompFrameDecoderOptions } from './frame-decoder.ts';

/** Spec-style frame text: `^@` is the NUL octet. */
function bytes(text: string): Buffer {
  return Buffer.from(text.replace(/\^@/g, '\0'), 'utf8');
}

/** Feeds `input` to a fresh decoder and returns what it yields, or the decode error it threw. */
function run(input: Buffer, options: StompFrameDecoderOptions = {}): { out: StompDecoded[]; error?: StompDecodeError; decoder: StompFrameDecoder } {
  const decoder = new StompFrameDecoder(options);
  const out: StompDecoded[] = [];
  decoder.push(input);
  try {
    for (const f of decoder.frames()) out.push(f);
  } catch (err) {
    assert.ok(err instanceof StompDecodeError, `only StompDecodeError, got ${String(err)}`);
    return { out, error: err, decoder };
  }
  return { out, decoder };
}

function frames(input: Buffer, options: StompFrameDecoderOptions = {}): StompFrame[] {
  const { out, error } = run(input, options);
  assert.equal(error, undefined, `unexpected ${error?.code}: ${error?.message}`);
  return out.filter((f): f is StompFrame => f.type === 'frame');
}

function one(text: string | Buffer, options: StompFrameDecoderOptions = {}): StompFrame {
  const fs = frames(typeof text === 'string' ? bytes(text) : text, options);
  assert.equal(fs.length, 1);
  return fs[0]!;
}

function expectError(input: string | Buffer, code: StompDecodeErrorCode, options: StompFrameDecoderOptions = {}): StompDecodeError {
  const { error } = run(typeof input === 'string' ? bytes(input) : input, options);
  assert.ok(error !== undefined, `expected ${code}`);
  assert.equal(error.code, code, error.message);
  assert.match(error.message, /^[ -~]{1,80}$/, 'short printable ASCII');
  return error;
}

const server = { peer: 'server' } as const;

describe('STOMP frame decoder: the STOMP 1.2 specification examples', () => {
  it('CONNECT and STOMP, with heart-beat', () => {
    const f = one('CONNECT\naccept-version:1.2\nhost:stomp.github.org\n\n^@');
    assert.equal(f.command, 'CONNECT');
    assert.deepEqual([...f.headers], [['accept-version', '1.2'], ['host', 'stomp.github.org']]);
    assert.equal(f.body.length, 0);
    const s = one('STOMP\naccept-version:1.0,1.1,2.0\nhost:stomp.github.org\nheart-beat:0,1000\n\n^@');
    assert.equal(s.command, 'STOMP');
    assert.equal(s.headers.get('heart-beat'), '0,1000');
  });

  it('CONNECTED and ERROR from a server', () => {
    assert.equal(one('CONNECTED\nversion:1.2\n\n^@', server).headers.get('version'), '1.2');
    const err = one('ERROR\nversion:1.2,2.1\ncontent-type:text/plain\n\nSupported protocol versions are 1.2 2.1^@', server);
    assert.equal(err.command, 'ERROR');
    assert.equal(err.body.toString(), 'Supported protocol versions are 1.2 2.1');
  });

  it('SEND with a text body, without and with content-length', () => {
    const f = one('SEND\ndestination:/queue/a\ncontent-type:text/plain\n\nhello queue a\n^@');
    assert.equal(f.command, 'SEND');
    assert.equal(f.headers.get('destination'), '/queue/a');
    assert.equal(f.body.toString(), 'hello queue a\n');
    const g = one('SEND\ndestination:/queue/a\ncontent-type:text/plain\ncontent-length:14\n\nhello queue a\n^@');
    assert.deepEqual(g.body, f.body);
  });

  it('SUBSCRIBE, UNSUBSCRIBE, ACK, NACK, BEGIN, COMMIT, ABORT, DISCONNECT', () => {
    const input = bytes(
      [
        'SUBSCRIBE\nid:0\ndestination:/queue/foo\nack:client\n\n^@',
        'UNSUBSCRIBE\nid:0\n\n^@',
        'ACK\nid:12345\ntransaction:tx1\n\n^@',
        'NACK\nid:12345\ntransaction:tx1\n\n^@',
        'BEGIN\ntransaction:tx1\n\n^@',
        'SEND\ndestination:/queue/a\ntransaction:tx1\ncontent-type:text/plain\n\nmessage in tx^@',
        'COMMIT\ntransaction:tx1\n\n^@',
        'ABORT\ntransaction:tx1\n\n^@',
        'SEND\ndestination:/queue/a\nreceipt:message-12345\n\nhello queue a^@',
        'DISCONNECT\nreceipt:77\n\n^@',
      ].join(''),
    );
    const fs = frames(input);
    assert.deepEqual(
      fs.map((f) => f.command),
      ['SUBSCRIBE', 'UNSUBSCRIBE', 'ACK', 'NACK', 'BEGIN', 'SEND', 'COMMIT', 'ABORT', 'SEND', 'DISCONNECT'],
    );
    assert.equal(fs[0]!.headers.get('ack'), 'client');
    assert.equal(fs[2]!.headers.get('transaction'), 'tx1');
    assert.equal(fs[9]!.headers.get('receipt'), '77');
  });

  it('MESSAGE and RECEIPT from a server', () => {
    const m = one('MESSAGE\nsubscription:0\nmessage-id:007\ndestination:/queue/a\ncontent-type:text/plain\n\nhello queue a^@', server);
    assert.deepEqual(Object.fromEntries(m.headers), {
      subscription: '0',
      'message-id': '007',
      destination: '/queue/a',
      'content-type': 'text/plain',
    });
    assert.equal(m.body.toString(), 'hello queue a');
    assert.equal(one('RECEIPT\nreceipt-id:message-12345\n\n^@', server).headers.get('receipt-id'), 'message-12345');
  });

  it('the ERROR frame example, whose body is a frame with an LF-ended text', () => {
    const body =
      'The message:\n-----\nMESSAGE\ndestined:/queue/a\nreceipt:message-12345\n\nHello queue a!\n-----\n' +
      'Did not contain a destination header, which is REQUIRED\nfor message propagation.\n';
    assert.equal(Buffer.byteLength(body), 170, 'as the spec example declares');
    const f = one(`ERROR\nreceipt-id:message-12345\ncontent-type:text/plain\ncontent-length:170\nmessage:malformed frame received\n\n${body}^@`, server);
    assert.equal(f.headers.get('message'), 'malformed frame received');
    assert.equal(f.body.toString(), body);
  });

  it('repeated header entries: only the first is used ("foo:World" wins)', () => {
    const f = one('MESSAGE\nfoo:World\nfoo:Hello\n\n^@', server);
    assert.equal(f.headers.get('foo'), 'World');
    assert.equal(f.headers.size, 1);
  });

  it('the first content-length wins too', () => {
    const f = one('SEND\ncontent-length:3\ncontent-length:1\n\na\0b^@');
    assert.deepEqual(f.body, Buffer.from('a\0b'));
  });
});

describe('STOMP frame decoder: EOLs and heart-beats', () => {
  it('yields one heart-beat per EOL (LF or CR LF) between, before and after frames', () => {
    const { out, error } = run(bytes('\n\r\nCONNECT\naccept-version:1.2\n\n^@\n\r\n\nSEND\n\n^@\r\n'));
    assert.equal(error, undefined);
    assert.deepEqual(
      out.map((f) => (f.type === 'frame' ? f.command : 'hb')),
      ['hb', 'hb', 'CONNECT', 'hb', 'hb', 'hb', 'SEND', 'hb'],
    );
  });

  it('waits on a lone CR for what follows, and refuses CR then something else', () => {
    const d = new StompFrameDecoder();
    d.push(Buffer.from('\r'));
    assert.equal(d.next(), undefined);
    d.push(Buffer.from('\n'));
    assert.deepEqual(d.next(), { type: 'heartbeat' });
    assert.equal(d.bufferedBytes, 0);
    expectError('\rSEND\n\n^@', 'BAD_COMMAND');
  });

  it('1.2 accepts CR LF on every line', () => {
    const f = one('SEND\r\ndestination:/queue/a\r\nreceipt:1\r\n\r\nbody^@', { version: '1.2' });
    assert.deepEqual(Object.fromEntries(f.headers), { destination: '/queue/a', receipt: '1' });
    assert.equal(f.body.toString(), 'body');
  });

  it('1.0 and 1.1 end lines in LF only: a CR is part of the value, and a CR LF is not a blank line', () => {
    for (const version of ['1.0', '1.1'] as const) {
      const f = one('SEND\r\ndestination:/queue/a\r\n\n^@', { version });
      assert.equal(f.headers.get('destination'), '/queue/a\r', version);
      expectError('SEND\ndestination:/queue/a\n\r\n^@', 'BAD_HEADER_LINE', { version });
    }
  });
});

describe('STOMP frame decoder: header escaping per version', () => {
  const escaped = 'SEND\nk\\cey:a\\nb\\cc\\\\d\\re\n\n^@';

  it('1.2 decodes \\\\ \\n \\c \\r in names and values', () => {
    assert.deepEqual([...one(escaped, { version: '1.2' }).headers], [['k:ey', 'a\nb:c\\d\re']]);
  });

  it('1.1 decodes them too (\\r as ActiveMQ and stompjs use it)', () => {
    assert.deepEqual([...one(escaped, { version: '1.1' }).headers], [['k:ey', 'a\nb:c\\d\re']]);
  });

  it('1.0 has no escaping: backslashes are data', () => {
    assert.deepEqual([...one(escaped, { version: '1.0' }).headers], [['k\\cey', 'a\\nb\\cc\\\\d\\re']]);
  });

  it('CONNECT and CONNECTED are never unescaped, in any version', () => {
    for (const version of ['1.1', '1.2'] as const) {
      assert.equal(one('CONNECT\nlogin:a\\cb\n\n^@', { version }).headers.get('login'), 'a\\cb');
      assert.equal(one('CONNECTED\nserver:x\\ty\n\n^@', { version, peer: 'server' }).headers.get('server'), 'x\\ty');
    }
  });

  it('a value keeps its colons after the first (as ActiveMQ reads them)', () => {
    assert.equal(one('SEND\nselector:a = \'x:y\'\n\n^@').headers.get('selector'), "a = 'x:y'");
  });

  it('refuses an undefined escape (\\t) and a trailing backslash in 1.1 and 1.2', () => {
    for (const version of ['1.1', '1.2'] as const) {
      expectError('SEND\nfoo:a\\tb\n\n^@', 'BAD_ESCAPE', { version });
      expectError('SEND\nfoo:ab\\\n\n^@', 'BAD_ESCAPE', { version });
      expectError('SEND\nfo\\o:ab\n\n^@', 'BAD_ESCAPE', { version });
    }
  });

  it('applies new limits with setLimits to the frames after the current one', () => {
    const d = new StompFrameDecoder({ frameSizeMaxBytes: 100 });
    d.push(bytes(`CONNECT\naccept-version:1.2\n\n^@SEND\n\n${'x'.repeat(200)}^@SEND\n\n${'y'.repeat(2000)}^@`));
    assert.equal((d.next() as StompFrame).command, 'CONNECT');
    d.setLimits({ frameSizeMaxBytes: 1000 });
    assert.equal((d.next() as StompFrame).body.length, 200);
    assert.equal(d.decodeLimits.frameSizeMaxBytes, 1000);
    assert.throws(() => d.next(), (err: unknown) => err instanceof StompDecodeError && err.code === 'FRAME_TOO_LARGE');
    assert.throws(() => new StompFrameDecoder().setLimits({ frameSizeMaxBytes: 1 }), RangeError);
  });

  it('switches rules with setVersion after CONNECT', () => {
    // Both frames in one chunk: the second is parsed only when asked for, under the new rules.
    const d = new StompFrameDecoder({ version: '1.2' });
    d.push(bytes('CONNECT\naccept-version:1.0\nhost:a\\b\n\n^@SEND\nfoo:a\\tb\n\n^@'));
    assert.equal((d.next() as StompFrame).headers.get('host'), 'a\\b');
    d.setVersion('1.0');
    assert.equal((d.next() as StompFrame).headers.get('foo'), 'a\\tb');
    assert.equal(d.stompVersion, '1.0');
    assert.throws(() => d.setVersion('2.0' as StompVersion), RangeError);
  });
});

describe('STOMP frame decoder: bodies', () => {
  it('reads a binary body holding NULs by content-length, spaces around the number tolerated', () => {
    const body = Buffer.from([0, 1, 0, 255, 0]);
    for (const cl of ['5', ' 5', '5 ']) {
      const f = one(Buffer.concat([bytes(`SEND\ncontent-length:${cl}\n\n`), body, Buffer.from([0])]));
      assert.deepEqual(f.body, body);
    }
  });

  it('reads content-length:0 and an empty NUL-ended body', () => {
    assert.equal(one('SEND\ncontent-length:0\n\n^@').body.length, 0);
    assert.equal(one('SEND\n\n^@').body.length, 0);
  });

  it('refuses a content-length body not followed by NUL', () => {
    expectError('SEND\ncontent-length:2\n\nabc^@', 'MISSING_NUL');
    expectError('SEND\ncontent-length:4\n\nab^@\nX', 'MISSING_NUL');
  });

  it('refuses a content-length that is not a number of octets', () => {
    for (const cl of ['', 'abc', '-1', '+1', '1e3', '0x10', '1.5', '1 2', '1234567890123456']) {
      expectError(`SEND\ncontent-length:${cl}\n\n^@`, 'BAD_CONTENT_LENGTH');
    }
  });

  it('takes Uint8Array chunks as well as Buffers', () => {
    const d = new StompFrameDecoder();
    const raw = new Uint8Array(bytes('xxSEND\ncontent-length:2\n\nhi^@'));
    d.push(raw.subarray(2, 10));
    d.push(raw.subarray(10));
    assert.equal((d.next() as StompFrame).body.toString(), 'hi');
  });

  it('does not modify the chunks it is given, and bodies stay intact as more bytes arrive', () => {
    const input = bytes('SEND\ncontent-length:3\n\nabc^@SEND\n\nxyz^@SE');
    const copy = Buffer.from(input);
    const d = new StompFrameDecoder();
    d.push(input.subarray(0, 10));
    assert.equal(d.next(), undefined);
    d.push(input.subarray(10));
    const first = d.next() as StompFrame;
    const second = d.next() as StompFrame;
    assert.equal(d.next(), undefined);
    d.push(bytes('ND\n\n'));
    d.push(Buffer.alloc(3000, 'q'));
    d.push(bytes('^@'));
    assert.equal((d.next() as StompFrame).body.length, 3000);
    assert.equal(first.body.toString(), 'abc');
    assert.equal(second.body.toString(), 'xyz');
    assert.deepEqual(input, copy);
  });
});

describe('STOMP frame decoder: commands and header lines', () => {
  it('refuses unknown and lower-case commands, and the other side\'s commands', () => {
    expectError('FOO\n\n^@', 'BAD_COMMAND');
    expectError('send\n\n^@', 'BAD_COMMAND');
    expectError('SEND \n\n^@', 'BAD_COMMAND');
    expectError('MESSAGE\n\n^@', 'BAD_COMMAND');
    expectError('CONNECTED\n\n^@', 'BAD_COMMAND');
    expectError('SEND\n\n^@', 'BAD_COMMAND', server);
    expectError('\0SEND\n\n^@', 'BAD_COMMAND');
  });

  it('refuses an HTTP request or TLS hello by its first line, without waiting for an LF', () => {
    const d = new StompFrameDecoder();
    d.push(Buffer.from('GET /stomp HTTP'));
    assert.throws(() => d.next(), (err: unknown) => err instanceof StompDecodeError && err.code === 'BAD_COMMAND');
    assert.equal(d.bufferedBytes, 0, 'released on failure');
    expectError(Buffer.concat([Buffer.from('16030100a5010000a10303', 'hex'), Buffer.alloc(32, 0x11)]), 'BAD_COMMAND');
  });

  it('refuses a command or header that is not UTF-8', () => {
    expectError(Buffer.from([0x53, 0xff, 0x0a, 0x0a, 0]), 'BAD_UTF8');
    expectError(Buffer.concat([bytes('SEND\nfoo:'), Buffer.from([0xc3, 0x28]), bytes('\n\n^@')]), 'BAD_UTF8');
    assert.equal(one(Buffer.concat([bytes('SEND\nfoo:'), Buffer.from([0xc3, 0xa9]), bytes('\n\n^@')])).headers.get('foo'), 'é');
  });

  it('refuses header lines without a colon, with an empty name, or with a NUL', () => {
    expectError('SEND\nfoo\n\n^@', 'BAD_HEADER_LINE');
    expectError('SEND\n:bar\n\n^@', 'BAD_HEADER_LINE');
    expectError('SEND\nfoo:b\0r\n\n^@', 'BAD_HEADER_LINE');
    // A frame that forgot its blank line: the NUL ends up in a header line.
    expectError('SEND\ndestination:/queue/a\n^@SEND\n\n^@', 'BAD_HEADER_LINE');
    assert.equal(one('SEND\nfoo:\n\n^@').headers.get('foo'), '');
  });

  it('keeps failing with the same error once it has failed', () => {
    const d = new StompFrameDecoder();
    d.push(bytes('FOO\n\n^@'));
    let first: unknown;
    assert.throws(() => d.next(), (err) => ((first = err), true));
    d.push(bytes('SEND\n\n^@'));
    assert.throws(() => d.next(), (err) => err === first);
  });
});

describe('STOMP frame decoder: limits, checked before the bytes beyond them are buffered', () => {
  const limits = { frameSizeMaxBytes: 200, bodySizeMaxBytes: 100, headerSizeMaxBytes: 20, headerLineCountMax: 3 };

  it('header line count: the maximum passes, one more is refused', () => {
    assert.equal(one('SEND\na:1\nb:2\nc:3\n\n^@', limits).headers.size, 3);
    expectError('SEND\na:1\nb:2\nc:3\nd:4\n\n^@', 'TOO_MANY_HEADERS', limits);
    expectError('SEND\na:1\na:2\na:3\na:4\n\n^@', 'TOO_MANY_HEADERS', limits);
  });

  it('header line size: the maximum passes; one octet more is refused before its LF arrives', () => {
    assert.equal(one(`SEND\nh:${'x'.repeat(18)}\n\n^@`, limits).headers.get('h')?.length, 18);
    const d = new StompFrameDecoder(limits);
    d.push(bytes(`SEND\nh:${'x'.repeat(18)}`));
    assert.equal(d.next(), undefined);
    d.push(bytes('y'));
    assert.throws(() => d.next(), (err: unknown) => err instanceof StompDecodeError && err.code === 'HEADER_TOO_LARGE');
    // In 1.2 the CR of a CR LF counts, so a line of the maximum leaves no room for one.
    expectError(`SEND\nh:${'x'.repeat(18)}\r\n\n^@`, 'HEADER_TOO_LARGE', limits);
  });

  it('a content-length over the body maximum is refused as soon as the headers end', () => {
    const d = new StompFrameDecoder(limits);
    d.push(bytes('SEND\ncontent-length:101\n\n'));
    assert.throws(() => d.next(), (err: unknown) => err instanceof StompDecodeError && err.code === 'BODY_TOO_LARGE');
    expectError('SEND\ncontent-length:999999999999999\n\n', 'BODY_TOO_LARGE', { ...limits, headerSizeMaxBytes: 40 });
    assert.equal(one(Buffer.concat([bytes('SEND\ncontent-length:100\n\n'), Buffer.alloc(101)]), limits).body.length, 100);
  });

  it('a NUL-ended body is refused at its first octet over the maximum', () => {
    assert.equal(one(`SEND\n\n${'b'.repeat(100)}^@`, limits).body.length, 100);
    const d = new StompFrameDecoder(limits);
    d.push(bytes(`SEND\n\n${'b'.repeat(100)}`));
    assert.equal(d.next(), undefined);
    d.push(bytes('b'));
    assert.throws(() => d.next(), (err: unknown) => err instanceof StompDecodeError && err.code === 'BODY_TOO_LARGE');
  });

  it('frame size: a frame of exactly the maximum passes, one octet more is refused', () => {
    const opts = { ...limits, headerLineCountMax: 100 };
    const head = 'SEND\n' + 'h:123456789012345\n'.repeat(5) + '\n'; // 5 + 90 + 1 = 96 octets
    const body = (n: number) => Buffer.concat([bytes(head), Buffer.alloc(n, 'b'), Buffer.from([0])]);
    assert.equal(one(body(200 - 96 - 1 - 4), { ...opts, bodySizeMaxBytes: 1000 }).body.length, 99);
    // Headers alone over the maximum.
    expectError('SEND\n' + 'h:123456789012345\n'.repeat(11) + '\n^@', 'FRAME_TOO_LARGE', opts);
    const frameOf = (n: number) => Buffer.concat([bytes(head), Buffer.alloc(n, 'b'), Buffer.from([0])]);
    assert.equal(one(frameOf(103), { ...opts, bodySizeMaxBytes: 1000 }).body.length, 103);
    expectError(frameOf(104), 'FRAME_TOO_LARGE', { ...opts, bodySizeMaxBytes: 1000 });
    expectError(Buffer.concat([bytes(`SEND\ncontent-length:200\n\n`)]), 'FRAME_TOO_LARGE', { ...opts, bodySizeMaxBytes: 1000 });
  });

  it('holds at most frameSizeMaxBytes between pushes of a stream cut anywhere', () => {
    const stream = bytes(
      'CONNECT\naccept-version:1.2\nhost:h\n\n^@\n' +
        'SEND\ndestination:/queue/a\ncontent-length:5\n\nab\0cd^@\r\n' +
        `SEND\ndestination:/queue/b\n\n${'z'.repeat(150)}^@` +
        'DISCONNECT\nreceipt:9\n\n^@',
    );
    const whole = run(stream, { ...limits, bodySizeMaxBytes: 150 });
    assert.equal(whole.error, undefined);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 30 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const d = new StompFrameDecoder({ ...limits, bodySizeMaxBytes: 150 });
        const out: StompDecoded[] = [];
        for (let i = 1; i < points.length; i++) {
          d.push(stream.subarray(points[i - 1], points[i]));
          for (const f of d.frames()) out.push(f);
          assert.ok(d.bufferedBytes <= 200);
        }
        assert.deepStrictEqual(out, whole.out);
        assert.equal(d.bufferedBytes, 0);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses limits that make no sense', () => {
    assert.throws(() => new StompFrameDecoder({ frameSizeMaxBytes: 10 }), RangeError);
    assert.throws(() => new StompFrameDecoder({ bodySizeMaxBytes: -1 }), RangeError);
    assert.throws(() => new StompFrameDecoder({ headerSizeMaxBytes: 1.5 }), RangeError);
    assert.deepEqual(new StompFrameDecoder().decodeLimits.headerLineCountMax, 1000);
  });
});

describe('STOMP frame decoder: streaming', () => {
  it('gives the same frames fed one octet at a time', () => {
    const stream = bytes('\nCONNECT\r\naccept-version:1.2\r\n\r\n^@SEND\ncontent-length:3\nx:a\\cb\n\n\0\0\0^@\r\nSEND\n\nhi^@');
    const whole = run(stream);
    const d = new StompFrameDecoder();
    const out: StompDecoded[] = [];
    for (let i = 0; i < stream.length; i++) {
      d.push(stream.subarray(i, i + 1));
      for (const f of d.frames()) out.push(f);
    }
    assert.deepStrictEqual(out, whole.out);
    assert.equal(out.length, 5);
  });

  it('assembles a 1 MiB body trickled in small chunks in linear time', () => {
    const body = Buffer.alloc(1 << 20);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
    const frame = Buffer.concat([bytes(`SEND\ncontent-length:${body.length}\n\n`), body, Buffer.from([0])]);
    const nulEnded = Buffer.concat([bytes('SEND\n\n'), Buffer.alloc(1 << 20, 'a'), Buffer.from([0])]);
    const started = performance.now();
    for (const input of [frame, nulEnded]) {
      const d = new StompFrameDecoder();
      const out: StompDecoded[] = [];
      for (let at = 0; at < input.length; at += 7) {
        d.push(input.subarray(at, at + 7));
        for (const f of d.frames()) out.push(f);
      }
      assert.equal(out.length, 1);
      assert.equal((out[0] as StompFrame).body.length, 1 << 20);
    }
    assert.ok(performance.now() - started < 5000, 'quadratic rescans would take minutes');
  });
});

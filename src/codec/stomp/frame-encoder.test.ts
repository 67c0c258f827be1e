import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeHeaderText, encodeHeaderText, type StompDecoded, type StompFrame } from './frame.ts';
import { StompFrameDecoder } from './frame-decoder.ts';
import { encodeStompFrame, encodeStompHeartbeat, isStompHeaderEncodable, StompFrameWriter } from './frame-encoder.ts';
import { expectedHeaders, type FrameCase, frameCaseArb } from './test-arbitraries.ts';

function text(b: Buffer): string {
  return b.toString('utf8').replace(/\0/g, '^@');
}

describe('STOMP frame encoder: known frames', () => {
  it('CONNECTED, as the 1.2 spec shows it', () => {
    const f = encodeStompFrame({ command: 'CONNECTED', headers: { version: '1.2', 'heart-beat': '0,10000', server: 'SealMQ/1.0' } }, '1.2');
    assert.equal(text(f), 'CONNECTED\nversion:1.2\nheart-beat:0,10000\nserver:SealMQ/1.0\n\n^@');
  });

  it('MESSAGE with a body gets content-length first; a given content-length is replaced', () => {
    const f = encodeStompFrame(
      {
        command: 'MESSAGE',
        headers: [
          ['subscription', '0'],
          ['message-id', '007'],
          ['destination', '/queue/a'],
          ['content-length', '999'],
          ['content-type', 'text/plain'],
        ],
        body: 'hello queue a',
      },
      '1.2',
    );
    assert.equal(
      text(f),
      'MESSAGE\ncontent-length:13\nsubscription:0\nmessage-id:007\ndestination:/queue/a\ncontent-type:text/plain\n\nhello queue a^@',
    );
  });

  it('RECEIPT, ERROR with an escaped message, and a binary body', () => {
    assert.equal(text(encodeStompFrame({ command: 'RECEIPT', headers: { 'receipt-id': '77' } }, '1.1')), 'RECEIPT\nreceipt-id:77\n\n^@');
    const err = encodeStompFrame({ command: 'ERROR', headers: { message: 'bad frame: unknown command' }, body: 'see\nbelow' }, '1.2');
    assert.equal(text(err), 'ERROR\ncontent-length:9\nmessage:bad frame\\c unknown command\n\nsee\nbelow^@');
    const bin = encodeStompFrame({ command: 'SEND', headers: { destination: '/queue/a' }, body: new Uint8Array([0, 1, 0]) }, '1.0');
    assert.deepEqual(bin, Buffer.concat([Buffer.from('SEND\ncontent-length:3\ndestination:/queue/a\n\n'), Buffer.from([0, 1, 0, 0])]));
  });

  it('an empty body gets no content-length; contentLength: false leaves it out of a text body', () => {
    assert.equal(text(encodeStompFrame({ command: 'SEND', headers: { 'content-length': '5' } }, '1.2')), 'SEND\n\n^@');
    const t = encodeStompFrame({ command: 'SEND', body: 'hi' }, '1.2', { contentLength: false });
    assert.equal(text(t), 'SEND\n\nhi^@');
    assert.throws(() => encodeStompFrame({ command: 'SEND', body: 'a\0b' }, '1.2', { contentLength: false }), RangeError);
  });

  it('a heart-beat is one LF', () => {
    assert.deepEqual(encodeStompHeartbeat(), Buffer.from('\n'));
  });
});

describe('STOMP frame encoder: header escaping per version', () => {
  const nasty = 'a:b\nc\\d\re';

  it('1.2 escapes backslash, LF, colon and CR', () => {
    assert.equal(encodeHeaderText(nasty, '1.2'), 'a\\cb\\nc\\\\d\\re');
    const f = encodeStompFrame({ command: 'SEND', headers: [[nasty, nasty]] }, '1.2');
    assert.equal(text(f), 'SEND\na\\cb\\nc\\\\d\\re:a\\cb\\nc\\\\d\\re\n\n^@');
  });

  it('1.1 escapes backslash, LF and colon, and sends CR as is (its lines end in LF only)', () => {
    assert.equal(encodeHeaderText(nasty, '1.1'), 'a\\cb\\nc\\\\d\re');
  });

  it('1.0, and CONNECT/CONNECTED in every version, write headers as they are', () => {
    assert.equal(text(encodeStompFrame({ command: 'SEND', headers: { k: 'a:b\\c' } }, '1.0')), 'SEND\nk:a:b\\c\n\n^@');
    for (const version of ['1.1', '1.2'] as const) {
      assert.equal(text(encodeStompFrame({ command: 'CONNECT', headers: { passcode: 'p:a\\ss' } }, version)), 'CONNECT\npasscode:p:a\\ss\n\n^@');
    }
  });

  it('refuses headers an unescaped frame cannot carry, and says so beforehand', () => {
    const cases: Array<[string, string, '1.0' | '1.1' | '1.2']> = [
      ['k', 'a\nb', '1.0'],
      ['k:x', 'v', '1.0'],
      ['k', 'v\r', '1.2'],
      ['', 'v', '1.1'],
      ['k', 'a\0b', '1.2'],
    ];
    for (const [name, value, version] of cases) {
      const command = version === '1.0' ? 'SEND' : 'CONNECT';
      assert.equal(isStompHeaderEncodable(version, command, name, value), false, JSON.stringify([name, value, version]));
      assert.throws(() => encodeStompFrame({ command, headers: [[name, value]] }, version), RangeError);
    }
    assert.equal(isStompHeaderEncodable('1.0', 'SEND', 'k', 'v\r'), true);
    assert.equal(isStompHeaderEncodable('1.2', 'SEND', 'k:x', 'a\nb\r'), true);
    assert.equal(isStompHeaderEncodable('1.2', 'SEND', 'k', 'a\0'), false);
  });

  it('escaping round-trips any text in 1.1 and 1.2', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.constantFrom('1.1' as const, '1.2' as const), (s, version) => {
        assert.equal(decodeHeaderText(encodeHeaderText(s, version)), s);
      }),
      { numRuns: 2000 },
    );
  });
});

function decodeAll(input: Buffer, c: FrameCase, cuts: number[] = []): StompDecoded[] {
  const d = new StompFrameDecoder({ version: c.version, peer: c.peer });
  const out: StompDecoded[] = [];
  let from = 0;
  for (const to of [...cuts, input.length]) {
    d.push(input.subarray(from, to));
    from = to;
    for (const f of d.frames()) out.push(f);
  }
  assert.equal(d.bufferedBytes, 0);
  return out;
}

describe('STOMP codec: randomised round trips (encode -> decode)', () => {
  it('random frames of every command and version decode to what was encoded, whole and in random chunks', () => {
    fc.assert(
      fc.property(
        fc.array(frameCaseArb, { minLength: 1, maxLength: 4 }).map((cs) => cs.filter((c) => c.version === cs[0]!.version && c.peer === cs[0]!.peer)),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.array(fc.constantFrom('\n', '\r\n'), { maxLength: 3 }),
        (cases, rawCuts, eols) => {
          const c0 = cases[0]!;
          const input = Buffer.concat(
            cases.flatMap((c) => [
              encodeStompFrame({ command: c.command, headers: c.headers, body: c.body }, c.version, { contentLength: c.contentLength }),
              Buffer.from(eols.join('')),
            ]),
          );
          const cuts = rawCuts.map((n) => n % (input.length + 1)).sort((a, b) => a - b);
          const whole = decodeAll(input, c0);
          const frames = whole.filter((f): f is StompFrame => f.type === 'frame');
          assert.equal(whole.length - frames.length, cases.length * eols.length, 'one heart-beat per EOL');
          assert.equal(frames.length, cases.length);
          frames.forEach((f, i) => {
            const c = cases[i]!;
            assert.equal(f.command, c.command);
            assert.deepEqual([...f.headers], expectedHeaders(c));
            assert.deepEqual(f.body, c.body);
          });
          assert.deepStrictEqual(decodeAll(input, c0, cuts), whole);
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe('STOMP frame writer', () => {
  it('writes what encodeStompFrame writes, back to back, and a buffer once taken never changes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(frameCaseArb, fc.boolean(), fc.boolean()), { minLength: 1, maxLength: 12 }),
        fc.constantFrom(1, 64, 4096),
        (steps, chunkBytes) => {
          const writer = new StompFrameWriter(chunkBytes);
          const taken: Array<{ view: Buffer; copy: Buffer }> = [];
          const expected: Buffer[] = [];
          for (const [c, heartbeat, take] of steps) {
            writer.frame({ command: c.command, headers: c.headers, body: c.body }, c.version, { contentLength: c.contentLength });
            expected.push(encodeStompFrame({ command: c.command, headers: c.headers, body: c.body }, c.version, { contentLength: c.contentLength }));
            if (heartbeat) {
              writer.bytes(encodeStompHeartbeat());
              expected.push(encodeStompHeartbeat());
            }
            if (take) {
              const pending = writer.pendingBytes;
              const views = writer.take();
              assert.equal(views.reduce((n, v) => n + v.length, 0), pending);
              for (const view of views) taken.push({ view, copy: Buffer.from(view) });
              assert.equal(writer.pendingBytes, 0);
            }
          }
          for (const view of writer.take()) taken.push({ view, copy: Buffer.from(view) });
          assert.deepEqual(writer.take(), [], 'nothing pending after a take');
          for (const t of taken) assert.deepEqual(t.view, t.copy, 'a taken buffer was written over');
          assert.deepEqual(Buffer.concat(taken.map((t) => t.view)), Buffer.concat(expected));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('appends nothing for a frame it refuses', () => {
    const writer = new StompFrameWriter();
    writer.frame({ command: 'RECEIPT', headers: { 'receipt-id': '1' } }, '1.2');
    assert.throws(() => writer.frame({ command: 'SEND', headers: [['k', 'a\0b']] }, '1.2'), RangeError);
    assert.throws(() => writer.frame({ command: 'SEND', body: 'a\0b' }, '1.2', { contentLength: false }), RangeError);
    assert.equal(text(Buffer.concat(writer.take())), 'RECEIPT\nreceipt-id:1\n\n^@');
  });
});

describe('STOMP frame writer: chunk sizes', () => {
  it('a quiet connection holds a small chunk; a busy turn grows to chunkBytes in a few steps', () => {
    const writer = new StompFrameWriter(64 * 1024);
    writer.frame({ command: 'RECEIPT', headers: { 'receipt-id': '1' } }, '1.2');
    const small = writer.take();
    assert.equal(small.length, 1);
    // (A 1 KiB chunk comes from Node's shared Buffer pool.)
    assert.ok(small[0]!.buffer.byteLength <= Math.max(1024, Buffer.poolSize), `first chunk in ${small[0]!.buffer.byteLength} bytes`);
    const body = Buffer.alloc(1024, 0x61);
    for (let i = 0; i < 200; i++) writer.frame({ command: 'MESSAGE', headers: { 'message-id': String(i) }, body }, '1.2');
    const burst = writer.take();
    assert.ok(burst.length <= 12, `${burst.length} pieces for 200 KiB`);
    const largest = Math.max(...burst.map((b) => b.buffer.byteLength));
    assert.ok(largest >= 64 * 1024 && largest <= 64 * 1024 + 2048, `largest chunk ${largest} bytes`);
    assert.equal(Buffer.concat(burst).toString('latin1').split('\0').length - 1, 200);
  });
});

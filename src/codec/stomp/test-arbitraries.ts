// fast-check arbitraries for STOMP frames, shared by the round-trip and fuzz tests: random frames of
// every command and version whose headers the encoder can write, and what decoding them must give.

import fc from 'fast-check';
import {
  STOMP_CLIENT_COMMANDS,
  STOMP_SERVER_COMMANDS,
  STOMP_VERSIONS,
  type StompCommand,
  type StompVersion,
} from './frame.ts';
import { isStompHeaderEncodable } from './frame-encoder.ts';

/** A frame to encode, the version to encode it in, and who sends it. */
export interface FrameCase {
  readonly version: StompVersion;
  readonly peer: 'client' | 'server';
  readonly command: StompCommand;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
  /** Whether to write content-length (false only for bodies without NUL). */
  readonly contentLength: boolean;
}

const CLIENT = new Set<string>(STOMP_CLIENT_COMMANDS);

/** Header text heavy in the octets that need escaping, with some multi-byte UTF-8. */
export const headerTextArb = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'b', 'z', '-', ':', '\n', '\r', '\\', ' ', 'c', 'n', 'r', 'é', '😀', '\t'), maxLength: 12 }),
  fc.constantFrom('destination', 'id', 'ack', 'receipt', 'content-type', 'content-length', 'message-id', 'foo'),
  fc.string({ unit: 'binary', maxLength: 8 }).filter((s) => !s.includes('\0') && Buffer.from(s).toString() === s),
);

/** A random frame that encodeStompFrame accepts. */
export const frameCaseArb: fc.Arbitrary<FrameCase> = fc
  .record({
    version: fc.constantFrom(...STOMP_VERSIONS),
    command: fc.constantFrom<StompCommand>(...STOMP_CLIENT_COMMANDS, ...STOMP_SERVER_COMMANDS),
    headers: fc.array(fc.tuple(headerTextArb, headerTextArb), { maxLength: 6 }),
    body: fc.oneof(
      fc.constant(Buffer.alloc(0)),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.string({ maxLength: 40 }).map((s) => Buffer.from(s)),
    ),
    contentLength: fc.boolean(),
  })
  .map(({ version, command, headers, body, contentLength }) => ({
    version,
    peer: CLIENT.has(command) ? ('client' as const) : ('server' as const),
    command,
    headers: headers.filter(([name, value]) => isStompHeaderEncodable(version, command, name, value)),
    body,
    contentLength: contentLength || body.includes(0),
  }));

/** The headers a decoder must yield for `c` encoded: content-length first if written, then first occurrences. */
export function expectedHeaders(c: FrameCase): Array<[string, string]> {
  const map = new Map<string, string>();
  if (c.contentLength && c.body.length > 0) map.set('content-length', String(c.body.length));
  for (const [name, value] of c.headers) {
    if (name !== 'content-length' && !map.has(name)) map.set(name, value);
  }
  return [...map];
}

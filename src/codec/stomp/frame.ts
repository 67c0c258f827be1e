// STOMP frame vocabulary shared by the decoder and the encoder: versions, the commands each side
// sends, the frame and heartbeat values, and header value escaping per version. Which frames are
// legal in which session state, version negotiation and required headers (`host`, `id`, `ack`) are
// the session's; this file knows only what changes the bytes.
//
//   frame     = command EOL *( header EOL ) EOL *OCTET NUL *( EOL )
//   command   = "SEND" | "SUBSCRIBE" | ... (case-sensitive)
//   header    = header-name ":" header-value     (first colon splits; first occurrence wins)
//   EOL       = [CR] LF                           (on header lines CR LF in 1.2 only; frame-decoder.ts)
//
// Escaping (STOMP 1.1 and 1.2 "Value Encoding"), on every frame except CONNECT and CONNECTED:
//
//   \\ <-> backslash    \n <-> LF    \c <-> colon    \r <-> CR (1.2; 1.1 decoding accepts it too)
//
// STOMP 1.0 has no escaping at all: a value cannot hold LF, a name cannot hold a colon.

import { StompDecodeError } from './errors.ts';

/** The STOMP versions spoken. */
export const STOMP_VERSIONS = ['1.0', '1.1', '1.2'] as const;
/** A STOMP protocol version, as written in `accept-version` and `version` headers. */
export type StompVersion = (typeof STOMP_VERSIONS)[number];

/** Commands a client sends (STOMP 1.2 "Client Frames"). */
export const STOMP_CLIENT_COMMANDS = [
  'CONNECT',
  'STOMP',
  'SEND',
  'SUBSCRIBE',
  'UNSUBSCRIBE',
  'ACK',
  'NACK',
  'BEGIN',
  'COMMIT',
  'ABORT',
  'DISCONNECT',
] as const;
/** Commands a server sends (STOMP 1.2 "Server Frames"). */
export const STOMP_SERVER_COMMANDS = ['CONNECTED', 'MESSAGE', 'RECEIPT', 'ERROR'] as const;

/** A command a client sends. */
export type StompClientCommand = (typeof STOMP_CLIENT_COMMANDS)[number];
/** A command a server sends. */
export type StompServerCommand = (typeof STOMP_SERVER_COMMANDS)[number];
/** Any STOMP command. */
export type StompCommand = StompClientCommand | StompServerCommand;

/** Octets in the longest command, `UNSUBSCRIBE` (`DISCONNECT`, `CONNECTED` are shorter). */
export const COMMAND_MAX_BYTES = 11;

/** A decoded frame. `body` is a view into the pushed bytes: copy it to keep it past the chunk's life. */
export interface StompFrame {
  readonly type: 'frame';
  readonly command: StompCommand;
  /** Headers unescaped, in arrival order; for a repeated header only the first occurrence (1.2). */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
}

/** An EOL between frames: the peer's heart-beat (STOMP 1.1+ "Heart-beating"). */
export interface StompHeartbeat {
  readonly type: 'heartbeat';
}

/** Anything the decoder yields. */
export type StompDecoded = StompFrame | StompHeartbeat;

/** Whether headers of `command` are escaped in `version`: never in 1.0, nor in CONNECT/CONNECTED. */
export function headersEscaped(version: StompVersion, command: StompCommand): boolean {
  return version !== '1.0' && command !== 'CONNECT' && command !== 'CONNECTED';
}

const ESCAPED = /[\\\n:\r]/;
const ESCAPED_ALL = /[\\\n:\r]/g;
const ESCAPED_NO_CR = /[\\\n:]/;
const ESCAPED_NO_CR_ALL = /[\\\n:]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', ':': '\\c', '\r': '\\r' };

/**
 * Escapes a header name or value for a frame whose headers are escaped. 1.2 escapes CR as `\r`;
 * 1.1 defines no escape for CR, and needs none: its lines end in LF only, so CR is sent as is.
 */
export function encodeHeaderText(text: string, version: '1.1' | '1.2'): string {
  if (version === '1.2') return ESCAPED.test(text) ? text.replace(ESCAPED_ALL, (c) => ESCAPES[c]!) : text;
  return ESCAPED_NO_CR.test(text) ? text.replace(ESCAPED_NO_CR_ALL, (c) => ESCAPES[c]!) : text;
}

/**
 * Unescapes a header name or value received in an escaped frame. An undefined escape sequence is a
 * fatal protocol error (1.2 and 1.1 "Value Encoding": "Undefined escape sequences such as \t ... MUST
 * be treated as a fatal protocol error"). `\r` is accepted in 1.1 too, as ActiveMQ does: clients such
 * as @stomp/stompjs escape CR whatever the version.
 */
export function decodeHeaderText(text: string): string {
  let at = text.indexOf('\\');
  if (at < 0) return text;
  let out = '';
  let from = 0;
  while (at >= 0) {
    out += text.slice(from, at);
    switch (text.charCodeAt(at + 1)) {
      case 0x5c:
        out += '\\';
        break;
      case 0x6e:
        out += '\n';
        break;
      case 0x63:
        out += ':';
        break;
      case 0x72:
        out += '\r';
        break;
      default:
        throw new StompDecodeError('BAD_ESCAPE', 'undefined escape sequence in a header');
    }
    from = at + 2;
    at = text.indexOf('\\', from);
  }
  return out + text.slice(from);
}

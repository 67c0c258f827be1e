// ActiveMQ destination names as each protocol spells them: STOMP (`/queue/x`), MQTT (`a/b` is the
// topic `a.b`) and AMQP 1.0 addresses (`queue://x`), ActiveMQ's wildcard matcher (`*`, `>`) used for
// topic subscriptions and authorization entries, and name validation. Pure functions: no engine
// state. Whether a destination exists, or who may use it, is the engine's business, not this file's.
//
// A final `>` matches any number of trailing segments, ZERO included (`a.>` matches `a`, `a.b` and
// `a.b.c`): this is ActiveMQ 5's PrefixDestinationFilter ("want to look for the case where A matches
// A.>"), and what MQTT users expect of `a/#` [MQTT-4.7.1-2]. Only a whole final segment `>` is a
// wildcard (repeated final `>`s collapse to one); elsewhere `>` is literal, as in ActiveMQ's
// WildcardDestinationFilter. `*` is a wildcard only as a whole segment.

import { AmqError, type Destination, type DestinationKind } from './api.ts';

/** ActiveMQ's segment separator. */
export const SEGMENT_SEPARATOR = '.';
/** Matches exactly one segment. */
export const ANY_SEGMENT = '*';
/** Matches the remaining segments (zero or more, see the file header). */
export const ANY_DESCENDANT = '>';
/** A destination name's length limit, in UTF-8 bytes. */
export const DESTINATION_NAME_MAX_BYTES = 255;

const STOMP_PREFIXES: ReadonlyArray<readonly [string, DestinationKind]> = [
  ['/queue/', 'queue'],
  ['/topic/', 'topic'],
  ['/temp-queue/', 'temp-queue'],
  ['/temp-topic/', 'temp-topic'],
  // ActiveMQ hands these out as reply-to for temporary destinations of another connection.
  ['/remote-temp-queue/', 'temp-queue'],
  ['/remote-temp-topic/', 'temp-topic'],
];

const QUALIFIED_PREFIXES: ReadonlyArray<readonly [string, DestinationKind]> = [
  ['queue://', 'queue'],
  ['topic://', 'topic'],
  ['temp-queue://', 'temp-queue'],
  ['temp-topic://', 'temp-topic'],
];

function invalid(message: string): never {
  throw new AmqError('invalid-destination', message);
}

/** True when a name holds a wildcard (ActiveMQ's ActiveMQDestination.isPattern: any `*` or `>`). */
export function isWildcardName(name: string): boolean {
  return name.includes(ANY_SEGMENT) || name.includes(ANY_DESCENDANT);
}

/**
 * Checks a destination name: non-empty, at most 255 UTF-8 bytes, no control characters, no `,`
 * (ActiveMQ reads a comma as a composite destination, which this engine does not offer).
 * Wildcards are allowed here; `checkSendDestination` refuses them.
 */
export function checkDestinationName(name: string): void {
  if (typeof name !== 'string' || name.length === 0) invalid('destination name is empty');
  if (Buffer.byteLength(name, 'utf8') > DESTINATION_NAME_MAX_BYTES) {
    invalid(`destination name longer than ${DESTINATION_NAME_MAX_BYTES} bytes`);
  }
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) invalid(`destination name has a control character at ${i}`);
    // A lone surrogate cannot be encoded as UTF-8 and would change on a round trip.
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = name.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) invalid(`destination name has invalid UTF-16 at ${i}`);
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      invalid(`destination name has invalid UTF-16 at ${i}`);
    }
    if (c === 0x2c) invalid('composite destinations (",") are not supported');
  }
}

/** Checks a destination and its name (wildcards allowed: a subscription or a permission pattern). */
export function checkDestination(d: Destination): void {
  if (d.kind !== 'queue' && d.kind !== 'topic' && d.kind !== 'temp-queue' && d.kind !== 'temp-topic') {
    invalid('unknown destination kind');
  }
  checkDestinationName(d.name);
}

/** Checks a destination a message is sent to: as `checkDestination`, and no wildcard. */
export function checkSendDestination(d: Destination): void {
  checkDestination(d);
  if (isWildcardName(d.name)) invalid('cannot send to a wildcard destination');
}

function parsePrefixed(
  text: string,
  prefixes: ReadonlyArray<readonly [string, DestinationKind]>,
): Destination | undefined {
  for (const [prefix, kind] of prefixes) {
    if (text.startsWith(prefix)) {
      const name = text.slice(prefix.length);
      checkDestinationName(name);
      return { kind, name };
    }
  }
  return undefined;
}

/**
 * A STOMP `destination` header as ActiveMQ reads it (LegacyFrameTranslator): `/queue/x`,
 * `/topic/x`, `/temp-queue/x`, `/temp-topic/x` (and the `/remote-temp-*` forms ActiveMQ sends as
 * reply-to), also `queue://x` and `topic://x`. Surrounding spaces are trimmed first, as ActiveMQ
 * does for clients that pad headers; the prefix is stripped and the rest kept as is, so `/queue/a/b`
 * is the queue `a/b`. Anything else is refused.
 */
export function parseStompDestination(text: string): Destination {
  if (typeof text !== 'string') invalid('destination is missing');
  const trimmed = text.trim();
  const d = parsePrefixed(trimmed, STOMP_PREFIXES) ?? parsePrefixed(trimmed, QUALIFIED_PREFIXES);
  if (d === undefined) {
    invalid('STOMP destinations must begin with /queue/, /topic/, /temp-queue/ or /temp-topic/');
  }
  return d;
}

/** The STOMP spelling of a destination (`/queue/x` ...), the inverse of `parseStompDestination`. */
export function formatStompDestination(d: Destination): string {
  return `/${d.kind}/${d.name}`;
}

/**
 * ActiveMQ's MQTT name mapping (MQTTProtocolSupport.convertMQTTToActiveMQ): a character swap,
 * `/`<->`.`, `+`<->`*`, `#`<->`>`. Being its own inverse, it maps every MQTT name to exactly one
 * ActiveMQ name and back.
 */
function swapMqttActiveMq(name: string): string {
  let out = '';
  for (const ch of name) {
    switch (ch) {
      case '/': out += '.'; break;
      case '.': out += '/'; break;
      case '+': out += '*'; break;
      case '*': out += '+'; break;
      case '#': out += '>'; break;
      case '>': out += '#'; break;
      default: out += ch;
    }
  }
  return out;
}

/**
 * Checks an MQTT topic name a message is published to: 1-65535 UTF-8 bytes, no `+` or `#`
 * [MQTT-3.3.2-2], no U+0000 [MQTT-1.5.3-2]; then the ActiveMQ name rules.
 */
export function checkMqttTopicName(topic: string): void {
  if (typeof topic !== 'string' || topic.length === 0) invalid('MQTT topic name is empty');
  if (topic.includes('+') || topic.includes('#')) invalid('MQTT topic name has a wildcard');
  checkDestinationName(swapMqttActiveMq(topic));
}

/**
 * Checks an MQTT topic filter: non-empty, `#` only as the whole last level [MQTT-4.7.1-2], `+` only
 * as a whole level [MQTT-4.7.1-3]; then the ActiveMQ name rules.
 */
export function checkMqttTopicFilter(filter: string): void {
  if (typeof filter !== 'string' || filter.length === 0) invalid('MQTT topic filter is empty');
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as string;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      invalid('MQTT "#" must be the whole last level of a topic filter');
    }
    if (level.includes('+') && level !== '+') invalid('MQTT "+" must be a whole level of a topic filter');
  }
  checkDestinationName(swapMqttActiveMq(filter));
}

/** The ActiveMQ topic an MQTT client publishes to: `a/b` is the topic `a.b`. */
export function mqttTopicToDestination(topic: string): Destination {
  checkMqttTopicName(topic);
  return { kind: 'topic', name: swapMqttActiveMq(topic) };
}

/** The ActiveMQ topic pattern of an MQTT filter: `a/+/#` is `a.*.>`. Checks the filter first. */
export function mqttFilterToPattern(filter: string): string {
  checkMqttTopicFilter(filter);
  return swapMqttActiveMq(filter);
}

/** The MQTT topic name of an ActiveMQ destination (inverse of `mqttTopicToDestination`). */
export function destinationToMqttTopic(d: Destination): string {
  return swapMqttActiveMq(d.name);
}

/**
 * An AMQP 1.0 address as ActiveMQ's AMQP transport reads it: `queue://x`, `topic://x`,
 * `temp-queue://x`, `temp-topic://x`, also `/queue/x` and `/topic/x` (the prefixes RabbitMQ-style
 * clients use), and a bare `x` as `defaultKind` (ActiveMQ's default is a queue).
 */
export function parseAmqpAddress(address: string, defaultKind: DestinationKind = 'queue'): Destination {
  if (typeof address !== 'string') invalid('address is missing');
  const d = parsePrefixed(address, QUALIFIED_PREFIXES) ?? parsePrefixed(address, STOMP_PREFIXES);
  if (d !== undefined) return d;
  checkDestinationName(address);
  return { kind: defaultKind, name: address };
}

/** The AMQP 1.0 address of a destination in ActiveMQ's qualified form (`queue://x` ...). */
export function formatAmqpAddress(d: Destination): string {
  return `${d.kind}://${d.name}`;
}

/** Splits a name into segments at `.`; `a..b` has an empty middle segment, as in ActiveMQ. */
export function splitDestinationName(name: string): string[] {
  return name.split(SEGMENT_SEPARATOR);
}

/**
 * True when `name` (a concrete destination name) matches `pattern` with ActiveMQ's wildcards: a
 * `*` segment matches exactly one segment, a final `>` segment matches zero or more trailing segments
 * (see the file header), any other segment must be equal (`a*` and a middle `>` are literal).
 * Linear in the number of segments.
 */
export function destinationMatches(pattern: string, name: string): boolean {
  if (!isWildcardName(pattern)) return pattern === name;
  return new DestinationPattern(pattern).matches(name);
}

/** A compiled ActiveMQ wildcard pattern, for matching many names against one pattern. */
export class DestinationPattern {
  readonly pattern: string;
  readonly #segments: readonly string[];
  readonly #trailingAny: boolean;

  constructor(pattern: string) {
    this.pattern = pattern;
    const segments = splitDestinationName(pattern);
    let fixed = segments.length;
    while (fixed > 0 && segments[fixed - 1] === ANY_DESCENDANT) fixed--;
    this.#trailingAny = fixed < segments.length;
    this.#segments = segments.slice(0, fixed);
  }

  matches(name: string): boolean {
    const path = splitDestinationName(name);
    const fixed = this.#segments;
    if (this.#trailingAny ? path.length < fixed.length : path.length !== fixed.length) return false;
    for (let i = 0; i < fixed.length; i++) {
      const p = fixed[i] as string;
      if (p !== ANY_SEGMENT && p !== path[i]) return false;
    }
    return true;
  }
}

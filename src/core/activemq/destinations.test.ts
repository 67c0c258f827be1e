import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Destination, DestinationKind } from './api.ts';
import {
  DESTINATION_NAME_MAX_BYTES,
  DestinationPattern,
  checkDestination,
  checkDestinationName,
  checkMqttTopicFilter,
  checkSendDestination,
  destinationMatches,
  destinationToMqttTopic,
  formatAmqpAddress,
  formatStompDestination,
  isWildcardName,
  mqttFilterToPattern,
  mqttTopicToDestination,
  parseAmqpAddress,
  parseStompDestination,
} from './destinations.ts';

const invalidDestination = { name: 'AmqError', code: 'invalid-destination' };
const KINDS: DestinationKind[] = ['queue', 'topic', 'temp-queue', 'temp-topic'];

/** Valid names: printable text without `,`, up to the byte limit. */
const nameArb = fc
  .string({ unit: fc.constantFrom('a', 'B', '1', '.', '/', '-', '_', '*', '>', '+', '#', ' ', 'é', '€', '😀', ':'), minLength: 1, maxLength: 60 });
const destinationArb = fc.record({ kind: fc.constantFrom(...KINDS), name: nameArb });

describe('destination names', () => {
  it('accepts ordinary names and names of exactly 255 UTF-8 bytes', () => {
    for (const name of ['orders', 'a.b.c', 'a/b', 'ActiveMQ.DLQ', 'é'.repeat(127) + 'x', '€'.repeat(85)]) {
      checkDestinationName(name);
    }
    assert.equal(Buffer.byteLength('€'.repeat(85)), DESTINATION_NAME_MAX_BYTES);
  });

  it('refuses empty, over-long, control characters, lone surrogates and composite names', () => {
    for (const name of ['', '€'.repeat(86), 'a'.repeat(256), 'a\u0000b', 'a\nb', 'a\u007fb', 'a\u0085b', 'a\ud800b', 'a\udc00', 'a,b']) {
      assert.throws(() => checkDestinationName(name), invalidDestination, JSON.stringify(name));
    }
  });

  it('refuses sending to wildcards but allows them in patterns', () => {
    for (const name of ['a.*', 'a.>', '*', '>', 'a*b']) {
      assert.equal(isWildcardName(name), true);
      checkDestination({ kind: 'topic', name });
      assert.throws(() => checkSendDestination({ kind: 'topic', name }), invalidDestination);
    }
    checkSendDestination({ kind: 'queue', name: 'a.b' });
    assert.throws(() => checkDestination({ kind: 'exchange' as DestinationKind, name: 'x' }), invalidDestination);
  });
});

describe('STOMP destinations (ActiveMQ LegacyFrameTranslator)', () => {
  const cases: Array<[string, Destination]> = [
    ['/queue/orders', { kind: 'queue', name: 'orders' }],
    ['/queue/a.b.c', { kind: 'queue', name: 'a.b.c' }],
    ['/queue/foo/bar', { kind: 'queue', name: 'foo/bar' }],
    ['/topic/prices.>', { kind: 'topic', name: 'prices.>' }],
    ['/temp-queue/ID:1', { kind: 'temp-queue', name: 'ID:1' }],
    ['/temp-topic/t1', { kind: 'temp-topic', name: 't1' }],
    ['/remote-temp-queue/ID:2', { kind: 'temp-queue', name: 'ID:2' }],
    ['/remote-temp-topic/ID:3', { kind: 'temp-topic', name: 'ID:3' }],
    ['queue://q', { kind: 'queue', name: 'q' }],
    ['topic://t.x', { kind: 'topic', name: 't.x' }],
    ['  /queue/padded ', { kind: 'queue', name: 'padded' }], // ActiveMQ trims padded headers
  ];
  for (const [text, expected] of cases) {
    it(`parses ${text}`, () => assert.deepEqual(parseStompDestination(text), expected));
  }

  it('refuses names without a known prefix, and empty names', () => {
    for (const text of ['orders', '/queue/', '/queue/  ', '/topic/', '/exchange/x', 'queue/x', '/Queue/x', '', 'queue://', '/queue/a,b']) {
      assert.throws(() => parseStompDestination(text), invalidDestination, text);
    }
  });

  it('formats each kind', () => {
    assert.equal(formatStompDestination({ kind: 'queue', name: 'a.b' }), '/queue/a.b');
    assert.equal(formatStompDestination({ kind: 'topic', name: 'a' }), '/topic/a');
    assert.equal(formatStompDestination({ kind: 'temp-queue', name: 'q' }), '/temp-queue/q');
    assert.equal(formatStompDestination({ kind: 'temp-topic', name: 't' }), '/temp-topic/t');
  });

  it('round-trips every valid destination without surrounding spaces', () => {
    fc.assert(fc.property(destinationArb.filter((d) => d.name.trim() === d.name), (d) => {
      assert.deepEqual(parseStompDestination(formatStompDestination(d)), { ...d });
    }), { numRuns: 2000 });
  });
});

describe('MQTT mapping (ActiveMQ MQTTProtocolSupport)', () => {
  it('maps topic names: / and . swap', () => {
    assert.deepEqual(mqttTopicToDestination('a/b'), { kind: 'topic', name: 'a.b' });
    assert.deepEqual(mqttTopicToDestination('sensors/room.1/temp'), { kind: 'topic', name: 'sensors.room/1.temp' });
    assert.deepEqual(mqttTopicToDestination('/a'), { kind: 'topic', name: '.a' });
    assert.deepEqual(mqttTopicToDestination('a*b'), { kind: 'topic', name: 'a+b' });
    assert.equal(destinationToMqttTopic({ kind: 'topic', name: 'a.b' }), 'a/b');
    assert.equal(destinationToMqttTopic({ kind: 'topic', name: 'foo/bar.baz' }), 'foo.bar/baz');
  });

  it('refuses wildcards and bad names in topic names', () => {
    for (const topic of ['a/+', 'a/#', '#', '+', '', 'a\u0000b', 'x'.repeat(256)]) {
      assert.throws(() => mqttTopicToDestination(topic), invalidDestination, topic);
    }
  });

  it('maps filters: + is *, # is >', () => {
    assert.equal(mqttFilterToPattern('a/+/#'), 'a.*.>');
    assert.equal(mqttFilterToPattern('#'), '>');
    assert.equal(mqttFilterToPattern('+'), '*');
    assert.equal(mqttFilterToPattern('+/+'), '*.*');
    assert.equal(mqttFilterToPattern('a/b'), 'a.b');
    assert.equal(mqttFilterToPattern('/#'), '.>');
  });

  it('validates filters: # only as the whole last level, + only as a whole level', () => {
    for (const filter of ['a/#/b', 'a#', 'a/b#', '#/a', '##', 'a+/b', 'a/+b', '++', '', 'a/#/#']) {
      assert.throws(() => checkMqttTopicFilter(filter), invalidDestination, filter);
      assert.throws(() => mqttFilterToPattern(filter), invalidDestination, filter);
    }
    for (const filter of ['#', '+', 'a/#', '+/#', '+/+/c', '/+', 'a//b', 'a/+/']) checkMqttTopicFilter(filter);
  });

  const levelArb = fc.string({ unit: fc.constantFrom('a', 'b', '.', '*', '>', '$', 'é'), maxLength: 3 });
  const topicArb = fc.array(levelArb, { minLength: 1, maxLength: 5 }).map((l) => l.join('/')).filter((t) => t.length > 0);

  it('round-trips topic names', () => {
    fc.assert(fc.property(topicArb, (topic) => {
      const d = mqttTopicToDestination(topic);
      assert.equal(d.kind, 'topic');
      assert.equal(destinationToMqttTopic(d), topic);
    }), { numRuns: 3000 });
  });

  /** MQTT 3.1.1 section 4.7 matching over levels (`a/#` also matches `a`). */
  function mqttMatches(filter: string[], topic: string[]): boolean {
    if (filter.length === 0) return topic.length === 0;
    const [head, ...rest] = filter;
    if (head === '#') return true;
    if (topic.length === 0) return false;
    return (head === '+' || head === topic[0]) && mqttMatches(rest, topic.slice(1));
  }

  it('matches as MQTT does once mapped', () => {
    const filterLevelArb = fc.oneof(levelArb, fc.constant('+'));
    const filterArb = fc
      .tuple(fc.array(filterLevelArb, { minLength: 0, maxLength: 4 }), fc.boolean())
      .map(([levels, hash]) => (hash ? [...levels, '#'] : levels))
      .filter((levels) => levels.length > 0 && levels.join('/').length > 0);
    const topicLevelsArb = fc.array(fc.constantFrom('a', 'b', '', 'a.b', '*'), { minLength: 1, maxLength: 5 })
      .filter((levels) => levels.join('/').length > 0);
    fc.assert(fc.property(filterArb, topicLevelsArb, (filter, topic) => {
      const pattern = mqttFilterToPattern(filter.join('/'));
      const name = mqttTopicToDestination(topic.join('/')).name;
      assert.equal(destinationMatches(pattern, name), mqttMatches(filter, topic), `${filter.join('/')} vs ${topic.join('/')}`);
    }), { numRuns: 5000 });
  });
});

describe('AMQP 1.0 addresses (ActiveMQ AMQP transport)', () => {
  const cases: Array<[string, Destination]> = [
    ['queue://orders', { kind: 'queue', name: 'orders' }],
    ['topic://prices.eu', { kind: 'topic', name: 'prices.eu' }],
    ['temp-queue://ID:x:1', { kind: 'temp-queue', name: 'ID:x:1' }],
    ['temp-topic://ID:x:2', { kind: 'temp-topic', name: 'ID:x:2' }],
    ['/queue/q', { kind: 'queue', name: 'q' }],
    ['/topic/t', { kind: 'topic', name: 't' }],
    ['plain.name', { kind: 'queue', name: 'plain.name' }],
  ];
  for (const [address, expected] of cases) {
    it(`parses ${address}`, () => assert.deepEqual(parseAmqpAddress(address), expected));
  }

  it('uses the default kind for a bare address', () => {
    assert.deepEqual(parseAmqpAddress('news', 'topic'), { kind: 'topic', name: 'news' });
    assert.deepEqual(parseAmqpAddress('queue://q', 'topic'), { kind: 'queue', name: 'q' });
  });

  it('refuses empty and invalid addresses', () => {
    for (const address of ['', 'queue://', 'topic://', '/queue/', 'a\u0001', 'a,b']) {
      assert.throws(() => parseAmqpAddress(address), invalidDestination, address);
    }
  });

  it('formats in the qualified form and round-trips', () => {
    assert.equal(formatAmqpAddress({ kind: 'topic', name: 'a.b' }), 'topic://a.b');
    assert.equal(formatAmqpAddress({ kind: 'temp-queue', name: 'x' }), 'temp-queue://x');
    fc.assert(fc.property(destinationArb, (d) => {
      assert.deepEqual(parseAmqpAddress(formatAmqpAddress(d)), { ...d });
    }), { numRuns: 2000 });
  });
});

describe('wildcard matching (ActiveMQ DestinationFilter)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['a.b.c', 'a.b.c', true],
    ['a.b.c', 'a.b', false],
    ['a.b', 'a.b.c', false],
    ['a.*.c', 'a.b.c', true],
    ['a.*.c', 'a.b.d', false],
    ['a.*', 'a.b', true],
    ['a.*', 'a.b.c', false],
    ['a.*', 'a', false],
    ['*', 'a', true],
    ['*', 'a.b', false],
    ['*.*', 'a.b', true],
    ['a.>', 'a', true], // PrefixDestinationFilter: "A matches A.>"
    ['a.>', 'a.b', true],
    ['a.>', 'a.b.c.d', true],
    ['a.>', 'b.a', false],
    ['a.>', 'ab', false],
    ['a.>.>', 'a.b', true], // repeated final '>' collapse
    ['>', 'a', true],
    ['>', 'a.b.c', true],
    ['*.>', 'a', true],
    ['*.>', 'a.b.c', true],
    ['a.*.>', 'a', false], // '*' still needs its segment (PrefixDestinationFilter does not compact it)
    ['a.*.>', 'a.b', true],
    ['a.*.>', 'a.b.c', true],
    ['a.>.c', 'a.b.c', false], // a middle '>' is literal
    ['a.>.c', 'a.>.c', true],
    ['a*', 'ab', false], // '*' is a wildcard only as a whole segment
    ['a*', 'a*', true],
    ['a.*.b', 'a..b', true],
    ['a..b', 'a..b', true],
    ['prices.*.eu', 'prices.stock.eu', true],
  ];
  for (const [pattern, name, expected] of cases) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${name}`, () => {
      assert.equal(destinationMatches(pattern, name), expected);
      assert.equal(new DestinationPattern(pattern).matches(name), expected);
    });
  }

  /** ActiveMQ's PrefixDestinationFilter / WildcardDestinationFilter / SimpleDestinationFilter, written plainly. */
  function reference(pattern: string, name: string): boolean {
    const p = pattern.split('.');
    const path = name.split('.');
    if (p[p.length - 1] === '>') {
      let last = p.length - 1;
      while (last >= 0 && p[last] === '>') last--;
      const prefixes = p.slice(0, last + 1);
      if (path.length < prefixes.length) return false;
      return prefixes.every((s, i) => s === '*' || s === path[i]);
    }
    if (p.includes('*')) return p.length === path.length && p.every((s, i) => s === '*' || s === path[i]);
    return pattern === name;
  }

  it('agrees with a plain reference on random patterns', () => {
    const segment = fc.constantFrom('a', 'b', '', '*', '>', 'a*');
    const nameSegment = fc.constantFrom('a', 'b', '', 'ab');
    fc.assert(fc.property(
      fc.array(segment, { minLength: 1, maxLength: 5 }),
      fc.array(nameSegment, { minLength: 1, maxLength: 6 }),
      (p, n) => {
        assert.equal(destinationMatches(p.join('.'), n.join('.')), reference(p.join('.'), n.join('.')));
      },
    ), { numRuns: 5000 });
  });
});

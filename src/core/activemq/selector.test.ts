import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AmqError, type AmqMessage, type AmqPropertyValue } from './api.ts';
import {
  SELECTOR_IN_LIST_MAX,
  SELECTOR_NESTING_MAX,
  SELECTOR_TEXT_MAX_CHARS,
  parseSelector,
  type SelectorContext,
} from './selector.ts';

const invalidSelector = { name: 'AmqError', code: 'invalid-selector' };

function makeMessage(
  properties: Record<string, AmqPropertyValue> = {},
  fields: Partial<AmqMessage> = {},
): AmqMessage {
  return {
    body: new Uint8Array([1, 2, 3]),
    bodyType: 'text',
    persistent: true,
    priority: 4,
    expiration: 0,
    timestamp: 1_700_000_000_000,
    properties,
    ...fields,
  };
}

/** The message of ActiveMQ's SelectorTest.createMessage(), in our model. */
function activeMqTestMessage(extra: Record<string, AmqPropertyValue> = {}): AmqMessage {
  return makeMessage({
    name: 'James',
    location: 'London',
    byteProp: 123,
    byteProp2: 33,
    shortProp: 123,
    intProp: 123,
    longProp: 123n,
    floatProp: 123,
    doubleProp: 123,
    rank: 123,
    version: 2,
    quote: "'In God We Trust'",
    foo: '_foo',
    punctuation: '!#$&()*+,-./:;<=>?@[\\]^`{|}~',
    trueProp: true,
    falseProp: false,
    ...extra,
  }, { type: 'selector-test', messageId: 'connection:1:1:1:1' });
}

function check(message: AmqMessage, text: string, expected: boolean, context?: SelectorContext): void {
  assert.equal(parseSelector(text).matches(message, context), expected, text);
}

describe('selectors: ActiveMQ SelectorTest cases', () => {
  const m = activeMqTestMessage();

  it('boolean properties', () => {
    check(m, '(trueProp OR falseProp) AND trueProp', true);
    check(m, '(trueProp OR falseProp) AND falseProp', false);
    check(m, 'trueProp', true);
    check(m, 'falseProp', false);
    check(m, 'name', false); // a non-boolean property as a condition is false
    check(m, 'missing', false);
  });

  it('JMS header fields', () => {
    check(m, "JMSType = 'selector-test'", true);
    check(m, "JMSType = 'crap'", false);
    check(m, "JMSMessageID = 'connection:1:1:1:1'", true);
    check(m, "JMSMessageID = 'id:not-test:1:1:1:1'", false);
    const m2 = makeMessage({}, { type: '1001' });
    check(m2, "JMSType='1001'", true);
    check(m2, "JMSType='1001' OR JMSType='1002'", true);
  });

  it('basic comparisons', () => {
    check(m, "name = 'James'", true);
    check(m, 'rank > 100', true);
    check(m, 'rank >= 123', true);
    check(m, 'rank >= 124', false);
    check(m, 'rank <= 123 AND rank < 124 AND rank <> 122', true);
  });

  it('property types compare numerically', () => {
    for (const p of ['byteProp', 'shortProp', 'intProp', 'longProp', 'floatProp', 'doubleProp']) {
      check(m, `${p} = 123`, true);
      check(m, `${p} = 10`, false);
      check(m, `${p} = 123.0`, true);
    }
    check(m, 'byteProp2 = 33', true);
  });

  it('AND and OR with unknowns', () => {
    check(m, "name = 'James' and rank < 200", true);
    check(m, "name = 'James' and rank > 200", false);
    check(m, "name = 'Foo' and rank < 200", false);
    check(m, "unknown = 'Foo' and anotherUnknown < 200", false);
    check(m, "name = 'James' or rank < 200", true);
    check(m, "name = 'James' or rank > 200", true);
    check(m, "name = 'Foo' or rank < 200", true);
    check(m, "name = 'Foo' or rank > 200", false);
    check(m, "unknown = 'Foo' or anotherUnknown < 200", false);
  });

  it('arithmetic', () => {
    check(m, 'rank + 2 = 125', true);
    check(m, '(rank + 2) = 125', true);
    check(m, '125 = (rank + 2)', true);
    check(m, 'rank + version = 125', true);
    check(m, 'rank + 2 < 124', false);
    check(m, "name + '!' = 'James!'", true);
    check(m, 'rank - 2 = 121', true);
    check(m, 'rank - version = 121', true);
    check(m, 'rank - 2 > 122', false);
    check(m, 'rank * 2 = 246', true);
    check(m, 'rank * version = 246', true);
    check(m, 'rank * 2 < 130', false);
    check(m, 'rank / version = 61.5', true);
    check(m, 'rank / 3 > 100.0', false);
    check(m, 'rank / 3 > 100', false);
    check(m, 'version / 2 = 1', true);
    check(m, '5 / 2 = 2.5', true); // ActiveMQ divides in doubles
    check(m, 'rank % 10 = 3', true);
    check(m, '-rank = -123 AND +rank = 123 AND - -rank = 123', true);
    check(m, 'rank * 2 - version * 3 = 240', true); // precedence
    check(m, '2 + 3 * 4 = 14 AND (2 + 3) * 4 = 20 AND 10 - 4 - 3 = 3', true);
  });

  it('BETWEEN', () => {
    check(m, 'rank between 100 and 150', true);
    check(m, 'rank between 10 and 120', false);
    check(m, 'rank between 123 and 123', true);
    check(m, 'rank not between 10 and 120', true);
    check(m, 'rank not between 100 and 150', false);
    check(m, 'rank between 100 and 150 and name = \'James\'', true);
    check(m, 'missing between 1 and 2', false);
    check(m, 'missing not between 1 and 2', false);
  });

  it('IN', () => {
    check(m, "name in ('James', 'Bob', 'Gromit')", true);
    check(m, "name in ('Bob', 'James', 'Gromit')", true);
    check(m, "name in ('Gromit', 'Bob', 'James')", true);
    check(m, "name in ('Gromit', 'Bob', 'Cheddar')", false);
    check(m, "name not in ('Gromit', 'Bob', 'Cheddar')", true);
    check(m, "name in ('James')", true);
    check(m, "rank in ('123')", false); // not a string: unknown
    check(m, "rank not in ('123')", false);
  });

  it('IS NULL', () => {
    check(m, 'dummy is null', true);
    check(m, 'dummy is not null', false);
    check(m, 'name is not null', true);
    check(m, 'name is null', false);
  });

  it('LIKE over several properties', () => {
    const base = {
      modelClassId: 'com.whatever.something.foo.bar',
      modelInstanceId: '170',
      modelRequestError: 'abc',
      modelCorrelatedClientId: 'whatever',
    };
    const text = "modelClassId LIKE 'com.whatever.something.%' AND modelInstanceId = '170' AND (modelRequestError IS NULL OR modelCorrelatedClientId = 'whatever')";
    check(activeMqTestMessage(base), text, true);
    check(activeMqTestMessage({ ...base, modelCorrelatedClientId: 'shouldFailNow' }), text, false);
    const { modelRequestError: _, ...withoutError } = base;
    check(activeMqTestMessage({ ...withoutError, modelCorrelatedClientId: 'shouldNotMatch' }), text, true);
  });

  it('Mats Henricson cases', () => {
    check(m, 'SessionserverId=1870414179', false);
    check(activeMqTestMessage({ SessionserverId: 1870414179n }), 'SessionserverId=1870414179', true);
    check(activeMqTestMessage({ SessionserverId: 1234n }), 'SessionserverId=1870414179', false);
    const notIn = "Command NOT IN ('MirrorLobbyRequest', 'MirrorLobbyReply')";
    check(m, notIn, false);
    check(activeMqTestMessage({ Command: 'Cheese' }), notIn, true);
    check(activeMqTestMessage({ Command: 'MirrorLobbyRequest' }), notIn, false);
    check(activeMqTestMessage({ Command: 'MirrorLobbyReply' }), notIn, false);
  });

  it('floating-point literals', () => {
    for (const text of [
      '1.0 < 1.1', '-1.1 < 1.0', '1.0E1 < 1.1E1', '-1.1E1 < 1.0E1', '1. < 1.1', '-1.1 < 1.', '1.E1 < 1.1E1',
      '-1.1E1 < 1.E1', '.1 < .5', '-.5 < .1', '.1E1 < .5E1', '-.5E1 < .1E1', '4E10 < 5E10', '5E8 < 5E10',
      '-4E10 < 2E10', '-5E8 < 2E2', '4E+10 < 5E+10', '4E-10 < 5E-10', '1.5e3 = 1500', '1e0 = 1',
    ]) check(m, text, true);
  });

  it('string quotes and LIKE', () => {
    check(m, "quote = '''In God We Trust'''", true);
    check(m, "quote LIKE '''In G_d We Trust'''", true);
    check(m, "quote LIKE '''In Gd_ We Trust'''", false);
    check(m, "quote NOT LIKE '''In G_d We Trust'''", false);
    check(m, "quote NOT LIKE '''In Gd_ We Trust'''", true);
    check(m, "foo LIKE '%oo'", true);
    check(m, "foo LIKE '%ar'", false);
    check(m, "foo NOT LIKE '%oo'", false);
    check(m, "foo NOT LIKE '%ar'", true);
    check(m, "foo LIKE '!_%' ESCAPE '!'", true);
    check(m, "quote LIKE '!_%' ESCAPE '!'", false);
    check(m, "foo NOT LIKE '!_%' ESCAPE '!'", false);
    check(m, "quote NOT LIKE '!_%' ESCAPE '!'", true);
    check(m, "punctuation LIKE '!#$&()*+,-./:;<=>?@[\\]^`{|}~'", true);
  });

  it('invalid selectors', () => {
    for (const text of ['3+5', 'True AND 3+5', "=TEST 'test'"]) {
      assert.throws(() => parseSelector(text), invalidSelector, text);
    }
  });
});

describe('selectors: JMS 2.0 section 3.8.1 examples (and the JORAM conformance suite)', () => {
  it('LIKE', () => {
    check(makeMessage({ phone: '123' }), "phone LIKE '12%3'", true);
    check(makeMessage({ phone: '12993' }), "phone LIKE '12%3'", true);
    check(makeMessage({ phone: '1234' }), "phone LIKE '12%3'", false);
    check(makeMessage({ phone: '1234' }), "phone NOT LIKE '12%3'", true);
    check(makeMessage({ word: 'lose' }), "word LIKE 'l_se'", true);
    check(makeMessage({ word: 'loose' }), "word LIKE 'l_se'", false);
    check(makeMessage({ underscored: '_foo' }), "underscored LIKE '\\_%' ESCAPE '\\'", true);
    check(makeMessage({ underscored: 'bar' }), "underscored LIKE '\\_%' ESCAPE '\\'", false);
  });

  it('BETWEEN is the pair of comparisons', () => {
    for (const age of [14, 15, 17, 19, 20]) {
      const m = makeMessage({ age });
      check(m, 'age BETWEEN 15 and 19', age >= 15 && age <= 19);
      check(m, 'age NOT BETWEEN 15 AND 19', age < 15 || age > 19);
    }
  });

  it('IN and NOT IN', () => {
    check(makeMessage({ Country: 'UK' }), "Country IN ('UK', 'US', 'France')", true);
    check(makeMessage({ Country: 'Peru' }), "Country IN ('UK', 'US', 'France')", false);
    check(makeMessage({ Country: 'Peru' }), "Country NOT IN ('UK', 'US', 'France')", true);
    check(makeMessage({}), "Country NOT IN ('UK', 'US', 'France')", false); // NULL: unknown
  });

  it('IS NULL and the example selector', () => {
    check(makeMessage({ prop_name: 'not null' }), 'prop_name IS NULL', false);
    check(makeMessage({}), 'prop_name IS NULL', true);
    const car = "JMSType = 'car' AND color = 'blue' AND weight > 2500";
    check(makeMessage({ color: 'blue', weight: 2600 }, { type: 'car' }), car, true);
    check(makeMessage({ color: 'blue', weight: 2400 }, { type: 'car' }), car, false);
    check(makeMessage({ color: 'blue', weight: 2600 }, { type: 'truck' }), car, false);
    check(makeMessage({ color: 'blue' }, { type: 'car' }), car, false);
  });
});

describe('selectors: JMS header fields and context', () => {
  const m = makeMessage({ JMSType: 'shadowed' }, {
    persistent: false,
    priority: 7,
    messageId: 'ID:abc',
    correlationId: 'corr-1',
    type: 'order',
    expiration: 1_800_000_000_000,
    replyTo: { kind: 'temp-queue', name: 'ID:reply' },
  });

  it('reads each header field from the message', () => {
    check(m, "JMSDeliveryMode = 'NON_PERSISTENT'", true);
    check(makeMessage(), "JMSDeliveryMode = 'PERSISTENT'", true);
    check(m, 'JMSPriority > 5 AND JMSPriority = 7', true);
    check(m, "JMSMessageID = 'ID:abc'", true);
    check(m, "JMSCorrelationID = 'corr-1'", true);
    check(m, "JMSType = 'order'", true); // the header field, not a property of the same name
    check(m, 'JMSTimestamp = 1700000000000', true);
    check(m, 'JMSExpiration > JMSTimestamp', true);
    check(m, "JMSReplyTo = 'temp-queue://ID:reply'", true);
    check(makeMessage(), 'JMSCorrelationID IS NULL AND JMSType IS NULL AND JMSReplyTo IS NULL AND JMSMessageID IS NULL', true);
  });

  it('reads destination and redelivery from the context', () => {
    const d = { destination: { kind: 'queue' as const, name: 'FOO.BAR' } };
    check(m, "JMSDestination = 'queue://FOO.BAR'", true, d);
    check(m, 'JMSDestination IS NULL', true);
    check(m, 'JMSRedelivered = FALSE AND JMSXDeliveryCount = 1', true);
    check(m, 'JMSRedelivered', true, { redelivered: true, deliveryCount: 2 });
    check(m, 'JMSXDeliveryCount >= 3', true, { redelivered: true, deliveryCount: 3 });
    check(m, 'NOT JMSRedelivered', true, { deliveryCount: 1 });
  });

  it('keeps identifiers case-sensitive and keywords case-insensitive', () => {
    const p = makeMessage({ name: 'James', rank: 1 });
    check(p, "NAME = 'James'", false);
    check(p, "name In ('James') aNd NoT rank Is NuLl AnD rank BeTwEeN 0 aNd 2 Or FaLsE", true);
    check(p, 'rank = 1 and TRUE and not false', true);
  });

  it('reads "quoted" identifiers', () => {
    check(makeMessage({ 'content-type': 'text/plain', 'a b': 1 }), `"content-type" = 'text/plain' AND "a b" = 1`, true);
    check(makeMessage({ 'say"hi': 'x' }), `"say""hi" = 'x'`, true);
  });

  it('skips comments', () => {
    check(makeMessage({ a: 1 }), 'a = 1 -- trailing comment', true);
    check(makeMessage({ a: 1 }), "/* leading */ a /* middle */ = 1 -- x\n AND a <> 2", true);
  });

  it('treats bytes and other non-JMS property values as NULL', () => {
    const p = makeMessage({ raw: new Uint8Array([1]), nothing: null });
    check(p, 'raw IS NULL AND nothing IS NULL', true);
    check(p, "raw = 'x'", false);
    check(p, "NOT (raw = 'x')", false);
  });
});

describe('selectors: types and three-valued logic', () => {
  const m = makeMessage({ s: 'abc', n: 5, f: 2.5, big: 9007199254740993n, t: true, fl: false });

  it('compares different types as false, and <> as true', () => {
    check(m, 's = 5', false);
    check(m, 's <> 5', true);
    check(m, "n = '5'", false);
    check(m, "n <> '5'", true);
    check(m, 't = 1', false);
    check(m, "t = 'true'", false);
    check(m, "NOT (s = 5)", true);
    check(m, "s > n", false);
    check(m, 's < n', false);
  });

  it('promotes numbers exactly, including 64-bit longs', () => {
    check(m, 'n = 5.0 AND f = 2.5 AND f > 2 AND n > f', true);
    check(m, 'big = 9007199254740993', true);
    check(m, 'big = 9007199254740992', false);
    check(m, 'big > 9007199254740992', true);
    check(m, 'big + 1 = 9007199254740994', true);
    check(m, '9223372036854775807 + 1 = -9223372036854775808', true); // Java long overflow
    check(m, '-9223372036854775808 < 0', true);
    check(m, '0x1F = 31 AND 0X10 = 16 AND 017 = 15 AND 0 = 00 AND 10L = 10 AND 0x7FFFFFFFFFFFFFFF = 9223372036854775807', true);
    check(m, '18446744073709551616 > 1E19', true); // beyond long: a double
  });

  it('orders strings and booleans at run time as ActiveMQ does', () => {
    check(makeMessage({ a: 'apple', b: 'banana' }), 'a < b', true);
    check(makeMessage({ a: 'apple', b: 'banana' }), 'a >= b', false);
    check(makeMessage({ x: false, y: true }), 'x < y', true);
  });

  it('follows SQL three-valued logic', () => {
    check(m, 'missing = 1', false);
    check(m, 'NOT (missing = 1)', false);
    check(m, 'missing <> 1', false);
    check(m, 'missing = 1 OR n = 5', true);
    check(m, 'missing = 1 AND n = 5', false);
    check(m, 'NOT (missing = 1 AND n = 5)', false); // unknown
    check(m, 'NOT (missing = 1 AND n = 6)', true); // false
    check(m, 'NOT (missing = 1 OR n = 6)', false);
    check(m, 'missing + 1 IS NULL', true);
    check(m, "(s = 'x') IS NULL", false);
    check(m, '(missing = 1) IS NULL', true);
    check(m, 'NULL IS NULL', true);
    check(m, 'NULL', false);
    check(m, 'NOT NULL', false);
  });

  it('gives NOT lower precedence than comparisons (JMS grammar)', () => {
    check(m, "NOT s = 'abc'", false);
    check(m, "NOT s = 'x'", true);
    check(m, 'NOT n BETWEEN 1 AND 4', true);
  });

  it('treats arithmetic on non-numbers and division by zero as in ActiveMQ', () => {
    check(m, 's - 1 IS NULL', true);
    check(m, 't * 2 IS NULL', true);
    check(m, 'n / 0 > 1000', true); // a double division: +Infinity
    check(m, "s + 1 = 'abc1'", true);
    check(m, "n + 'x' IS NULL", true);
  });

  it('applies LIKE to strings only', () => {
    check(m, "n LIKE '5'", false);
    check(m, "n NOT LIKE '5'", true);
    check(m, "missing LIKE '%'", false);
    check(m, "missing NOT LIKE '%'", false);
  });
});

describe('selectors: LIKE', () => {
  const like = (value: string, pattern: string, escape?: string): boolean => {
    const esc = escape === undefined ? '' : ` ESCAPE '${escape.replaceAll("'", "''")}'`;
    return parseSelector(`v LIKE '${pattern.replaceAll("'", "''")}'${esc}`).matches(makeMessage({ v: value }));
  };

  it('matches % and _ as SQL does', () => {
    const cases: Array<[string, string, boolean]> = [
      ['', '%', true], ['', '_', false], ['', '', true], ['a', '', false], ['abc', 'abc', true], ['abc', 'ab', false],
      ['abc', 'a%', true], ['abc', '%c', true], ['abc', '%b%', true], ['abc', 'a_c', true], ['abc', '___', true],
      ['abc', '____', false], ['abc', '%%%', true], ['abc', 'a%b%c', true], ['abc', 'a%c%', true],
      ['aXbXc', '%b%', true], ['aXbXc', 'a%X%c', true], ['abab', '%ab', true], ['abab', 'ab%ab', true],
      ['aba', 'ab%ab', false], ['mississippi', 'm%iss%ppi', true], ['mississippi', 'm%issi_pi', true],
      ['mississippi', '%s_s%', true], ['line1\nline2', 'line1%', true], ['line1\nline2', 'line1_line2', true],
      ['😀', '_', true], ['😀x', '__', true], ['a😀b', 'a_b', true], ['a😀b', '%_b', true], ['😀', '__', false],
      ['.*', '.*', true], ['ab', '.*', false], ['a+b', 'a+b', true], ['(x)', '(_)', true], ['[a]', '[a]', true],
    ];
    for (const [value, pattern, expected] of cases) assert.equal(like(value, pattern), expected, `${value} LIKE ${pattern}`);
  });

  it('escapes only %, _ and the escape character itself (ActiveMQ)', () => {
    assert.equal(like('50%', '50!%', '!'), true);
    assert.equal(like('500', '50!%', '!'), false);
    assert.equal(like('a_b', 'a!_b', '!'), true);
    assert.equal(like('axb', 'a!_b', '!'), false);
    assert.equal(like('a!', 'a!!', '!'), true);
    assert.equal(like('a!b', 'a!b', '!'), true); // not followed by a special: literal
    assert.equal(like('a!', 'a!', '!'), true); // at the end: literal
    assert.equal(like('a\\b', 'a\\b', '\\'), true);
    assert.equal(like("it's", "it's"), true);
    assert.equal(like('x%', 'x\'%', "'"), true);
  });

  it('agrees with a reference matcher on random strings', () => {
    const reference = (value: string, pattern: string): boolean => {
      let source = '';
      for (const ch of pattern) {
        source += ch === '%' ? '.*' : ch === '_' ? '.' : ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      }
      return new RegExp(`^${source}$`, 'su').test(value);
    };
    const alphabet = fc.constantFrom('a', 'b', '%', '_', '😀', '.');
    fc.assert(fc.property(
      fc.string({ unit: fc.constantFrom('a', 'b', '😀', '.'), maxLength: 10 }),
      fc.string({ unit: alphabet, maxLength: 8 }),
      (value, pattern) => assert.equal(like(value, pattern), reference(value, pattern), `${value} LIKE ${pattern}`),
    ), { numRuns: 5000 });
  });

  it('stays fast on patterns that make backtracking matchers explode', () => {
    // A backtracking matcher takes exponential time here; the segment matcher takes one scan per
    // segment. The test asserts the answer; a hang would fail it by timeout.
    const value = 'a'.repeat(20_000);
    assert.equal(like(value, '%a%a%a%a%a%a%a%a%a%a%a%a%b'), false);
    assert.equal(like(value, `${'%a'.repeat(100)}%`), true);
    assert.equal(like(value, '_'.repeat(4000)), false);
    assert.equal(like(value.slice(0, 4000), '_'.repeat(4000)), true);
  });
});

describe('selectors: errors and limits', () => {
  it('refuses bad syntax with the position', () => {
    const bad = [
      'a =', 'a = 1)', '(a = 1', 'a == 1', 'a != 1', 'a = = 1', 'AND a = 1', 'a = 1 AND', 'NOT', 'a IS 1',
      'a IS NOT 5', 'a LIKE b', 'a LIKE 5', "a LIKE 'x' ESCAPE", "a LIKE 'x' ESCAPE 'ab'", "a LIKE 'x' ESCAPE ''",
      'a IN ()', 'a IN (1)', "a IN ('x',)", "a IN 'x'", "5 IN ('x')", "(a + 1) IN ('x')", 'a BETWEEN 1', 'a BETWEEN 1 OR 2',
      "'unterminated", '"unterminated', '""', '/* unterminated', '0x', '09', '1abc = 1', "1'x'", '0x8000000000000000 = 1',
      '9223372036854775808 = 1', '1.5.5 = 1', 'a = 1 b', 'a = NULL', 'NULL = a', 'a <> NULL', "'a' < 'b'", 'a < TRUE',
      '(a = 1) < 2', 'a > NULL', "TRUE = 1", "'x' = 1", "'x' + 1", '5', "'text'", 'a + 1', '-TRUE', "a = -'x'",
      'a # 1', 'a = 1;', 'a.b = 1', '@a = 1', 'a = 1 OR', 'XPATH \'//a\'', 'a = TRUE * 2',
    ];
    for (const text of bad) {
      assert.throws(() => parseSelector(text), (e: unknown) => {
        assert.ok(e instanceof AmqError, text);
        assert.equal(e.code, 'invalid-selector', text);
        assert.match(e.message, /^invalid selector: .+ at position \d+$/, text);
        return true;
      }, text);
    }
  });

  it('treats a blank selector as none, as ActiveMQ does', () => {
    for (const text of ['', '   ', '\n\t', '-- only a comment']) assert.equal(parseSelector(text).matches(makeMessage()), true);
  });

  it('keeps the text it was given', () => {
    assert.equal(parseSelector("a = 'x'").text, "a = 'x'");
  });

  it('bounds the text length', () => {
    const padded = 'a = 1' + ' '.repeat(SELECTOR_TEXT_MAX_CHARS - 5);
    assert.equal(parseSelector(padded).matches(makeMessage({ a: 1 })), true);
    assert.throws(() => parseSelector(padded + ' '), invalidSelector);
  });

  it('bounds nesting', () => {
    const nested = (depth: number): string => '('.repeat(depth) + 'a = 1' + ')'.repeat(depth);
    assert.equal(parseSelector(nested(SELECTOR_NESTING_MAX)).matches(makeMessage({ a: 1 })), true);
    assert.throws(() => parseSelector(nested(SELECTOR_NESTING_MAX + 1)), invalidSelector);
    assert.throws(() => parseSelector('NOT '.repeat(SELECTOR_NESTING_MAX + 1) + 'a = 1'), invalidSelector);
    assert.throws(() => parseSelector('a = ' + '-'.repeat(SELECTOR_NESTING_MAX + 1) + '1'), invalidSelector);
  });

  it('bounds IN lists', () => {
    const list = (n: number): string => `a IN ('x'${",''".repeat(n - 1)})`;
    assert.equal(parseSelector(list(SELECTOR_IN_LIST_MAX)).matches(makeMessage({ a: 'x' })), true);
    assert.throws(() => parseSelector(list(SELECTOR_IN_LIST_MAX + 1)), invalidSelector);
  });

  it('evaluates the longest flat chains the length limit allows', () => {
    const ors = Array.from({ length: 300 }, (_, i) => `a = ${i}`).join(' OR ');
    assert.ok(ors.length <= SELECTOR_TEXT_MAX_CHARS, 'fits the limit');
    assert.equal(parseSelector(ors).matches(makeMessage({ a: 299 })), true);
    const sum = 'a' + ' + a'.repeat(1000) + ' = 1001';
    assert.ok(sum.length <= SELECTOR_TEXT_MAX_CHARS, 'fits the limit');
    assert.equal(parseSelector(sum).matches(makeMessage({ a: 1 })), true);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const propertyNames = ['s', 'n', 'f', 'b', 'big', 'raw', 'missing', 'nan'];
const identifierArb = fc.constantFrom(...propertyNames, 'JMSPriority', 'JMSType', 'JMSRedelivered', 'JMSXDeliveryCount');
const stringLiteralArb = fc.string({ unit: fc.constantFrom('a', 'b', "'", '%', '_', '😀'), maxLength: 4 })
  .map((s) => `'${s.replaceAll("'", "''")}'`);
const numberLiteralArb = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.constantFrom('0.5', '1E3', '.25', '0x1F', '017', '9223372036854775807', '-9223372036854775808', '3L'),
);
const numericArb: fc.Arbitrary<string> = fc.letrec<{ num: string }>((tie) => ({
  num: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    identifierArb,
    numberLiteralArb,
    fc.tuple(tie('num'), fc.constantFrom('+', '-', '*', '/', '%'), tie('num')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie('num').map((a) => `-(${a})`),
  ),
})).num;
const valueArb = fc.oneof(numericArb, stringLiteralArb, identifierArb);

const predicateArb: fc.Arbitrary<string> = fc.letrec<{ p: string }>((tie) => ({
  p: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(numericArb, fc.constantFrom('=', '<>', '<', '>', '<=', '>='), numericArb).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(identifierArb, fc.constantFrom('=', '<>'), valueArb).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(numericArb, fc.boolean(), numericArb, numericArb).map(([a, not, l, h]) => `${a} ${not ? 'NOT ' : ''}BETWEEN ${l} AND ${h}`),
    fc.tuple(identifierArb, fc.boolean(), fc.array(stringLiteralArb, { minLength: 1, maxLength: 3 }))
      .map(([a, not, items]) => `${a} ${not ? 'NOT ' : ''}IN (${items.join(', ')})`),
    fc.tuple(identifierArb, fc.boolean(), stringLiteralArb).map(([a, not, p]) => `${a} ${not ? 'NOT ' : ''}LIKE ${p}`),
    fc.tuple(valueArb, fc.boolean()).map(([a, not]) => `${a} IS ${not ? 'NOT ' : ''}NULL`),
    fc.constantFrom('TRUE', 'FALSE', 'NULL', 'b', 'JMSRedelivered', 's'),
    fc.tuple(tie('p'), fc.constantFrom('AND', 'OR'), tie('p')).map(([a, op, b]) => `(${a}) ${op} (${b})`),
    tie('p').map((a) => `NOT (${a})`),
  ),
})).p;

const propertyValueArb: fc.Arbitrary<AmqPropertyValue> = fc.oneof(
  fc.string({ maxLength: 4 }),
  fc.integer({ min: -5, max: 5 }),
  fc.double(),
  fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 2 }),
);
const messageArb = fc.tuple(
  fc.dictionary(fc.constantFrom(...propertyNames), propertyValueArb),
  fc.integer({ min: 0, max: 9 }),
  fc.option(fc.string({ maxLength: 3 }), { nil: undefined }),
).map(([properties, priority, type]) => makeMessage(properties, { priority, type }));
const contextArb: fc.Arbitrary<SelectorContext> = fc.record({
  redelivered: fc.option(fc.boolean(), { nil: undefined }),
  deliveryCount: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
});

/** The three-valued truth of a predicate, observed only through `matches`. */
function truth(p: string, message: AmqMessage, context: SelectorContext): 'T' | 'F' | 'U' {
  if (parseSelector(p).matches(message, context)) return 'T';
  if (parseSelector(`NOT (${p})`).matches(message, context)) return 'F';
  return 'U';
}

describe('selectors: properties', () => {
  it('random selectors parse and never throw at match time', () => {
    fc.assert(fc.property(predicateArb, messageArb, contextArb, (p, message, context) => {
      const selector = parseSelector(p);
      assert.equal(typeof selector.matches(message, context), 'boolean');
    }), { numRuns: 5000 });
  });

  it('NOT p selects exactly when p is known and not selected; unknown selects neither', () => {
    fc.assert(fc.property(predicateArb, messageArb, contextArb, (p, message, context) => {
      const selected = parseSelector(p).matches(message, context);
      const negated = parseSelector(`NOT (${p})`).matches(message, context);
      const unknown = parseSelector(`(${p}) IS NULL`).matches(message, context);
      if (unknown) {
        assert.equal(selected, false, p);
        assert.equal(negated, false, p);
      } else {
        assert.equal(negated, !selected, p);
      }
    }), { numRuns: 3000 });
  });

  it('AND and OR follow the SQL truth tables', () => {
    const and = { TT: 'T', TF: 'F', TU: 'U', FT: 'F', FF: 'F', FU: 'F', UT: 'U', UF: 'F', UU: 'U' } as const;
    const or = { TT: 'T', TF: 'T', TU: 'T', FT: 'T', FF: 'F', FU: 'U', UT: 'T', UF: 'U', UU: 'U' } as const;
    fc.assert(fc.property(predicateArb, predicateArb, messageArb, (p, q, message) => {
      const tp = truth(p, message, {});
      const tq = truth(q, message, {});
      assert.equal(truth(`(${p}) AND (${q})`, message, {}), and[`${tp}${tq}`], `${p} AND ${q}`);
      assert.equal(truth(`(${p}) OR (${q})`, message, {}), or[`${tp}${tq}`], `${p} OR ${q}`);
    }), { numRuns: 1500 });
  });

  it('the parser ends on any input with a selector or an invalid-selector error', () => {
    const tokenArb = fc.constantFrom(
      'a', 'b', 'JMSType', "'x'", "''", "'", '"q"', '1', '0x1', '017', '1.5e3', '.5', '(', ')', ',', '=', '<>', '<', '>',
      '<=', '>=', '+', '-', '*', '/', '%', 'AND', 'OR', 'NOT', 'BETWEEN', 'IN', 'LIKE', 'ESCAPE', 'IS', 'NULL', 'TRUE',
      'FALSE', '--', '/*', '*/', '\n', ' ', '😀', '\u0000',
    );
    const inputArb = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.array(tokenArb, { maxLength: 30 }).map((t) => t.join(' ')),
      fc.array(tokenArb, { maxLength: 30 }).map((t) => t.join('')),
    );
    let parsed = 0;
    fc.assert(fc.property(inputArb, (text) => {
      let selector;
      try {
        selector = parseSelector(text);
      } catch (e) {
        assert.ok(e instanceof AmqError && e.code === 'invalid-selector', `${JSON.stringify(text)}: ${String(e)}`);
        return;
      }
      parsed++;
      assert.equal(typeof selector.matches(makeMessage({ a: 1, b: 'x' })), 'boolean');
    }), { numRuns: 12_000 });
    assert.ok(parsed > 0, 'some inputs parse');
  });
});

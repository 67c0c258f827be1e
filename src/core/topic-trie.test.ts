import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TopicTrie, splitTopicKey } from './topic-trie.ts';

function matches(bindingKey: string, routingKey: string): boolean {
  const trie = new TopicTrie<string>();
  trie.add(bindingKey, 'b');
  let found = false;
  trie.match(routingKey, () => (found = true));
  return found;
}

/** A straightforward reference matcher over word lists. */
function reference(binding: string[], key: string[]): boolean {
  if (binding.length === 0) return key.length === 0;
  const [head, ...rest] = binding;
  if (head === '#') {
    for (let i = 0; i <= key.length; i++) if (reference(rest, key.slice(i))) return true;
    return false;
  }
  if (key.length === 0) return false;
  return (head === '*' || head === key[0]) && reference(rest, key.slice(1));
}

describe('topic matching', () => {
  const cases: Array<[string, string, boolean]> = [
    ['a.b.c', 'a.b.c', true],
    ['a.b.c', 'a.b', false],
    ['a.*.c', 'a.b.c', true],
    ['a.*.c', 'a.c', false],
    ['a.*', 'a.b.c', false],
    ['a.#', 'a', true],
    ['a.#', 'a.b.c', true],
    ['#.c', 'c', true],
    ['#.c', 'a.b.c', true],
    ['#', '', true],
    ['*', '', false],
    ['', '', true],
    ['', 'a', false],
    ['#', 'a.b', true],
    ['a.#.z', 'a.z', true],
    ['a.#.z', 'a.b.c.z', true],
    ['a.#.z', 'a.b.c', false],
    ['#.#', 'a', true],
    ['*.#', '', false],
    ['*.*', 'a.', true], // "a." has two words: "a" and ""
    ['a.*', 'a.', true],
    ['*', 'a.b', false],
    ['stock.*.nyse', 'stock.usd.nyse', true],
    ['*.orange.*', 'quick.orange.rabbit', true],
    ['*.*.rabbit', 'quick.orange.rabbit', true],
    ['lazy.#', 'lazy.orange.male.rabbit', true],
    ['*.orange.*', 'quick.orange.male.rabbit', false],
  ];
  for (const [binding, key, expected] of cases) {
    it(`'${binding}' ${expected ? 'matches' : 'does not match'} '${key}'`, () => {
      assert.equal(matches(binding, key), expected);
    });
  }

  it('a literal "*" or "#" word in a routing key is not a wildcard', () => {
    assert.equal(matches('a.b', 'a.*'), false);
    assert.equal(matches('a.*', 'a.*'), true);
  });

  it('splits the empty key into zero words', () => {
    assert.deepEqual(splitTopicKey(''), []);
    assert.deepEqual(splitTopicKey('a..b'), ['a', '', 'b']);
  });

  it('agrees with a reference matcher on random keys', () => {
    const word = fc.constantFrom('a', 'b', 'c', '');
    const bword = fc.constantFrom('a', 'b', '*', '#');
    fc.assert(
      fc.property(fc.array(bword, { maxLength: 5 }), fc.array(word, { maxLength: 5 }), (b, k) => {
        const bindingKey = b.join('.');
        const routingKey = k.join('.');
        return matches(bindingKey, routingKey) === reference(splitTopicKey(bindingKey), splitTopicKey(routingKey));
      }),
      { numRuns: 2000 },
    );
  });

  it('removes bindings (and prunes) so they no longer match', () => {
    const trie = new TopicTrie<string>();
    trie.add('a.*.c', 'x');
    trie.add('a.#', 'y');
    trie.remove('a.*.c', 'x');
    const found: string[] = [];
    trie.match('a.b.c', (v) => found.push(v));
    assert.deepEqual(found, ['y']);
    trie.remove('a.#', 'y');
    trie.remove('never.added', 'z');
    found.length = 0;
    trie.match('a.b.c', (v) => found.push(v));
    assert.deepEqual(found, []);
  });
});

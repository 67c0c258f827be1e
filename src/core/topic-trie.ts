// The topic exchange's matcher: a trie over dot-separated words where `*` matches exactly one word
// and `#` matches zero or more, as RabbitMQ's rabbit_exchange_type_topic does. As there, the empty
// key has zero words ("" is matched by "#" but not by "*"), and "a." has two words ("a" and "").

/** Splits a routing or binding key into words; the empty key has none (RabbitMQ split_topic_key). */
export function splitTopicKey(key: string): string[] {
  return key === '' ? [] : key.split('.');
}

interface TrieNode<T> {
  readonly children: Map<string, TrieNode<T>>;
  star: TrieNode<T> | undefined;
  hash: TrieNode<T> | undefined;
  readonly values: Set<T>;
}

function newNode<T>(): TrieNode<T> {
  return { children: new Map(), star: undefined, hash: undefined, values: new Set() };
}

/** Values stored under topic binding keys, found by routing key. */
export class TopicTrie<T> {
  readonly #root: TrieNode<T> = newNode();

  add(bindingKey: string, value: T): void {
    let node = this.#root;
    for (const word of splitTopicKey(bindingKey)) {
      if (word === '*') node = node.star ??= newNode();
      else if (word === '#') node = node.hash ??= newNode();
      else {
        let child = node.children.get(word);
        if (child === undefined) node.children.set(word, (child = newNode()));
        node = child;
      }
    }
    node.values.add(value);
  }

  remove(bindingKey: string, value: T): void {
    const path: Array<{ node: TrieNode<T>; word: string }> = [];
    let node: TrieNode<T> | undefined = this.#root;
    for (const word of splitTopicKey(bindingKey)) {
      path.push({ node, word });
      node = word === '*' ? node.star : word === '#' ? node.hash : node.children.get(word);
      if (node === undefined) return;
    }
    node.values.delete(value);
    // Prune nodes left empty so that churned bindings do not grow the trie.
    for (let i = path.length - 1; i >= 0; i--) {
      if (node.values.size > 0 || node.children.size > 0 || node.star || node.hash) break;
      const { node: parent, word } = path[i]!;
      if (word === '*') parent.star = undefined;
      else if (word === '#') parent.hash = undefined;
      else parent.children.delete(word);
      node = parent;
    }
  }

  /** The last routing key matched and its words: publishers mostly repeat one topic. */
  #lastKey: string | undefined;
  #lastWords: readonly string[] = [];

  /** Calls `found` for each value whose binding key matches; a value may be reported more than once. */
  match(routingKey: string, found: (value: T) => void): void {
    if (routingKey !== this.#lastKey) {
      this.#lastWords = splitTopicKey(routingKey);
      this.#lastKey = routingKey;
    }
    walk(this.#root, this.#lastWords, 0, found);
  }
}

function walk<T>(node: TrieNode<T>, words: readonly string[], i: number, found: (value: T) => void): void {
  if (i === words.length) {
    for (const value of node.values) found(value);
    // A trailing `#` matches zero words.
    if (node.hash !== undefined) walk(node.hash, words, i, found);
    return;
  }
  const child = node.children.get(words[i]!);
  if (child !== undefined) walk(child, words, i + 1, found);
  if (node.star !== undefined) walk(node.star, words, i + 1, found);
  if (node.hash !== undefined) for (let j = i; j <= words.length; j++) walk(node.hash, words, j, found);
}

// JMS message selectors (JMS 2.0 section 3.8.1.1, the SQL-92 subset) as ActiveMQ evaluates them:
// `parseSelector` compiles the text once into a tree of closures; `Selector.matches` runs per message
// per consumer with no allocation beyond what the values need. Which consumers get a selector and
// what happens to messages a consumer does not select is the engine's business, not this file's.
//
// Semantics, and where they follow ActiveMQ (SelectorParser.jj and org.apache.activemq.filter)
// rather than the letter of JMS:
// - Three-valued logic: a missing property is NULL; any comparison or arithmetic with NULL is
//   unknown, and unknown is not selected. AND, OR and NOT follow SQL's truth tables. (ActiveMQ's
//   `=` answers false rather than unknown when only its right side is NULL; we follow JMS.)
// - Comparing values of different types (a string with a number, a boolean with a string) is false,
//   and `<>` is NOT `=` (so it is true there), as in ActiveMQ's ComparisonExpression. Numbers compare
//   exactly across integer and floating types (numeric promotion). Strings and booleans may also be
//   ordered with `<`, `>` ... as ActiveMQ allows (UTF-16 order; FALSE < TRUE).
// - NOT binds looser than comparisons (`NOT a = 1` is `NOT (a = 1)`), as in SQL and JMS; ActiveMQ's
//   grammar makes NOT a tight unary, so there `NOT a = 1` compares a boolean with 1.
// - `x NOT BETWEEN a AND b` is `x < a OR x > b`; `LIKE` on a non-string is false; `IN` applies to
//   an identifier only and is unknown on a non-string (ActiveMQ's LikeExpression, InExpression). IN
//   lists hold string literals. In LIKE, the ESCAPE character escapes only `%`, `_` and itself.
// - `=` and `<>` refuse the NULL literal (use IS NULL); `<`, `>`, `<=`, `>=` refuse string and
//   boolean literals and conditions at parse time (ActiveMQ's checkLessThanOperand).
// - Exact numerics are 64-bit integers (Java long, here bigint): decimal, hex `0x1F`, octal `017`,
//   decimal with an optional `L`; `+`, `-`, `*` of two of them wrap at 64 bits. `/` and `%` always
//   give doubles, and so does any arithmetic with a JS number, as in ActiveMQ's ArithmeticExpression.
//   `+` with a string on the left concatenates (ActiveMQ: `name + '!' = 'James!'`). Arithmetic on a
//   non-number is unknown.
// - Identifiers are case-sensitive letters, digits, `_` and `$` (Unicode letters, as JMS says);
//   "double-quoted" identifiers allow any name (a STOMP header like "my-header"), an extension.
//   Keywords are case-insensitive; `-- line` and `/* block */` comments are skipped (ActiveMQ).
//   ActiveMQ's XPATH and XQUERY extensions are not offered. A blank selector selects everything.
// - Header fields (ActiveMQ's PropertyExpression): JMSDeliveryMode ('PERSISTENT'/'NON_PERSISTENT'),
//   JMSPriority, JMSMessageID, JMSTimestamp, JMSCorrelationID, JMSType, JMSExpiration, JMSReplyTo and
//   JMSDestination (qualified, `queue://x`), JMSRedelivered and JMSXDeliveryCount (from the context).
//   Any other name (JMSXGroupID ...) is an application property; byte-array values read as NULL.
// Bounds: text at most 4096 characters, parenthesis/NOT nesting at most 64, IN lists at most 1024
// items. LIKE compiles to a segment matcher (no RegExp from user text), at worst O(text x pattern).

import { AmqError, type AmqMessage, type Destination } from './api.ts';

/** Longest selector text accepted, in UTF-16 code units. */
export const SELECTOR_TEXT_MAX_CHARS = 4096;
/** Deepest nesting of parentheses and unary operators. */
export const SELECTOR_NESTING_MAX = 64;
/** Most items in one IN list. */
export const SELECTOR_IN_LIST_MAX = 1024;

/** What a selector sees besides the message itself. */
export interface SelectorContext {
  readonly destination?: Destination | undefined;
  readonly redelivered?: boolean | undefined;
  readonly deliveryCount?: number | undefined;
}

/** A compiled JMS selector. */
export interface Selector {
  readonly text: string;
  /** True when the selector's value for this message is TRUE (FALSE and unknown are not selected). */
  matches(message: AmqMessage, context?: SelectorContext): boolean;
}

/** A runtime value: NULL (unknown) is `null`; exact literals and their sums are bigint. */
type Value = string | number | bigint | boolean | null;
type Evaluator = (message: AmqMessage, context: SelectorContext) => Value;

const EMPTY_CONTEXT: SelectorContext = {};
const LONG_MAX = (1n << 63n) - 1n;
const LONG_MIN_MAGNITUDE = 1n << 63n;

function fail(what: string, position: number): never {
  throw new AmqError('invalid-selector', `invalid selector: ${what} at position ${position + 1}`);
}

// ---------------------------------------------------------------------------------------------
// Lexer

type TokenKind = 'id' | 'keyword' | 'string' | 'exact' | 'approx' | 'op' | 'end';

interface Token {
  readonly kind: TokenKind;
  /** Keywords upper-cased; identifiers and strings unescaped; numbers as written. */
  readonly text: string;
  readonly position: number;
  /** For numeric literals. */
  readonly exact?: bigint;
  readonly approx?: number;
}

const KEYWORDS = new Set([
  'AND', 'OR', 'NOT', 'BETWEEN', 'LIKE', 'ESCAPE', 'IN', 'IS', 'NULL', 'TRUE', 'FALSE',
]);

function isIdStart(c: string): boolean {
  return /^[\p{L}\p{Nl}_$]$/u.test(c);
}

function isIdPart(c: string): boolean {
  return /^[\p{L}\p{Nl}\p{Nd}\p{Mn}\p{Mc}\p{Pc}_$]$/u.test(c);
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    const start = i;
    if (c === '-' && text[i + 1] === '-') {
      while (i < n && text[i] !== '\n' && text[i] !== '\r') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) fail('unterminated comment', start);
      i = end + 2;
      continue;
    }
    if (c === "'" || c === '"') {
      // 'string' with '' as an escaped quote; "identifier" with "" likewise.
      let value = '';
      i++;
      for (;;) {
        if (i >= n) fail(c === "'" ? 'unterminated string literal' : 'unterminated quoted identifier', start);
        const d = text[i] as string;
        if (d === c) {
          if (text[i + 1] === c) {
            value += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += d;
        i++;
      }
      if (c === '"' && value.length === 0) fail('empty quoted identifier', start);
      tokens.push({ kind: c === "'" ? 'string' : 'id', text: value, position: start });
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(text[i + 1]))) {
      const number = lexNumber(text, start);
      tokens.push(number);
      i = start + number.text.length;
      continue;
    }
    const cp = text.codePointAt(i) as number;
    const ch = String.fromCodePoint(cp);
    if (isIdStart(ch)) {
      i += ch.length;
      while (i < n) {
        const p = String.fromCodePoint(text.codePointAt(i) as number);
        if (!isIdPart(p)) break;
        i += p.length;
      }
      const word = text.slice(start, i);
      const upper = word.toUpperCase();
      if (KEYWORDS.has(upper)) tokens.push({ kind: 'keyword', text: upper, position: start });
      else tokens.push({ kind: 'id', text: word, position: start });
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '<>' || two === '<=' || two === '>=') {
      tokens.push({ kind: 'op', text: two, position: start });
      i += 2;
      continue;
    }
    if ('=<>+-*/%(),'.includes(c)) {
      tokens.push({ kind: 'op', text: c, position: start });
      i++;
      continue;
    }
    fail(`unexpected character ${JSON.stringify(ch)}`, start);
  }
  tokens.push({ kind: 'end', text: '', position: n });
  return tokens;
}

/** A numeric literal at `start`; its `text` is exactly the characters it spans. */
function lexNumber(text: string, start: number): Token {
  let i = start;
  const n = text.length;
  const c0 = text[i];
  const c1 = text[i + 1];
  if (c0 === '0' && (c1 === 'x' || c1 === 'X')) {
    i += 2;
    const digitsStart = i;
    while (i < n && /[0-9a-fA-F]/.test(text[i] as string)) i++;
    if (i === digitsStart) fail('hex literal without digits', start);
    const value = BigInt('0x' + text.slice(digitsStart, i));
    if (text[i] === 'l' || text[i] === 'L') i++;
    checkIdentifierAfterNumber(text, i);
    if (value > LONG_MAX) fail('hex literal out of range', start);
    return { kind: 'exact', text: text.slice(start, i), position: start, exact: value };
  }
  while (isDigit(text[i])) i++;
  let isFloat = false;
  if (text[i] === '.') {
    isFloat = true;
    i++;
    while (isDigit(text[i])) i++;
  }
  if ((text[i] === 'e' || text[i] === 'E') &&
    (isDigit(text[i + 1]) || ((text[i + 1] === '+' || text[i + 1] === '-') && isDigit(text[i + 2])))) {
    isFloat = true;
    i += 2;
    while (isDigit(text[i])) i++;
  }
  if (isFloat) {
    checkIdentifierAfterNumber(text, i);
    const spelled = text.slice(start, i);
    return { kind: 'approx', text: spelled, position: start, approx: Number(spelled) };
  }
  const digits = text.slice(start, i);
  if (text[i] === 'l' || text[i] === 'L') i++;
  checkIdentifierAfterNumber(text, i);
  const spelled = text.slice(start, i);
  if (digits.length > 1 && digits[0] === '0') {
    if (!/^[0-7]+$/.test(digits)) fail('invalid octal literal', start);
    const value = BigInt('0o' + digits.slice(1));
    if (value > LONG_MAX) fail('octal literal out of range', start);
    return { kind: 'exact', text: spelled, position: start, exact: value };
  }
  const value = BigInt(digits);
  // 9223372036854775808 is only valid negated (Long.MIN_VALUE); larger decimals become doubles, as
  // ActiveMQ's ConstantExpression.createFromDecimal falls back to BigDecimal.
  if (value > LONG_MIN_MAGNITUDE) return { kind: 'approx', text: spelled, position: start, approx: Number(digits) };
  return { kind: 'exact', text: spelled, position: start, exact: value };
}

function checkIdentifierAfterNumber(text: string, i: number): void {
  const next = text[i];
  if (next !== undefined && (isIdPart(next) || next === "'" || next === '"')) fail('malformed number', i);
}

// ---------------------------------------------------------------------------------------------
// Parser: recursive descent producing evaluators, with each node's static type for early errors.

/** What a node yields: 'scalar' is a string or a number (`a + b` of two properties), 'any' anything. */
type StaticType = 'boolean' | 'numeric' | 'string' | 'scalar' | 'any';

interface Node {
  readonly type: StaticType;
  readonly evaluate: Evaluator;
  /** Set on identifier reads (IN applies to identifiers only). */
  readonly identifier?: string;
  /** Set on constants, for folding unary minus and checking literal types. */
  readonly constant?: Value;
  readonly position: number;
}

function constantNode(value: Value, type: StaticType, position: number): Node {
  return { type, evaluate: () => value, constant: value, position };
}

class Parser {
  readonly #tokens: Token[];
  #index = 0;
  #depth = 0;

  constructor(tokens: Token[]) {
    this.#tokens = tokens;
  }

  get #peek(): Token {
    return this.#tokens[this.#index] as Token;
  }

  #next(): Token {
    const t = this.#tokens[this.#index] as Token;
    if (t.kind !== 'end') this.#index++;
    return t;
  }

  #isKeyword(word: string, offset = 0): boolean {
    const t = this.#tokens[this.#index + offset];
    return t !== undefined && t.kind === 'keyword' && t.text === word;
  }

  #isOp(op: string): boolean {
    const t = this.#peek;
    return t.kind === 'op' && t.text === op;
  }

  #expectOp(op: string): void {
    if (!this.#isOp(op)) this.#unexpected(`expected "${op}"`);
    this.#next();
  }

  #expectKeyword(word: string): void {
    if (!this.#isKeyword(word)) this.#unexpected(`expected ${word}`);
    this.#next();
  }

  #unexpected(what: string): never {
    const t = this.#peek;
    const found = t.kind === 'end' ? 'end of selector' : `"${t.text.length > 32 ? t.text.slice(0, 32) + '...' : t.text}"`;
    fail(`${what}, found ${found}`, t.position);
  }

  #enter(position: number): void {
    if (++this.#depth > SELECTOR_NESTING_MAX) fail(`nesting deeper than ${SELECTOR_NESTING_MAX}`, position);
  }

  #leave(): void {
    this.#depth--;
  }

  parseSelector(): Node {
    const node = this.#orExpression();
    if (this.#peek.kind !== 'end') this.#unexpected('expected end of selector');
    return asBoolean(node);
  }

  #orExpression(): Node {
    const first = this.#andExpression();
    if (!this.#isKeyword('OR')) return first;
    const operands = [asBoolean(first)];
    while (this.#isKeyword('OR')) {
      this.#next();
      operands.push(asBoolean(this.#andExpression()));
    }
    return orNode(operands);
  }

  #andExpression(): Node {
    const first = this.#notExpression();
    if (!this.#isKeyword('AND')) return first;
    const operands = [asBoolean(first)];
    while (this.#isKeyword('AND')) {
      this.#next();
      operands.push(asBoolean(this.#notExpression()));
    }
    return andNode(operands);
  }

  #notExpression(): Node {
    if (this.#isKeyword('NOT')) {
      const position = this.#next().position;
      this.#enter(position);
      const operand = asBoolean(this.#notExpression());
      this.#leave();
      return notNode(operand, position);
    }
    return this.#equalityExpression();
  }

  #equalityExpression(): Node {
    let left = this.#comparisonExpression();
    for (;;) {
      if (this.#isOp('=') || this.#isOp('<>')) {
        const op = this.#next().text;
        const right = this.#comparisonExpression();
        left = op === '=' ? comparisonNode('=', left, right) : notNode(comparisonNode('=', left, right), left.position);
      } else if (this.#isKeyword('IS')) {
        this.#next();
        let negate = false;
        if (this.#isKeyword('NOT')) {
          this.#next();
          negate = true;
        }
        this.#expectKeyword('NULL');
        const operand = left.evaluate;
        left = negate
          ? { type: 'boolean', evaluate: (m, c) => operand(m, c) !== null, position: left.position }
          : { type: 'boolean', evaluate: (m, c) => operand(m, c) === null, position: left.position };
      } else {
        return left;
      }
    }
  }

  #comparisonExpression(): Node {
    let left = this.#additiveExpression();
    for (;;) {
      const t = this.#peek;
      if (t.kind === 'op' && (t.text === '<' || t.text === '>' || t.text === '<=' || t.text === '>=')) {
        this.#next();
        left = comparisonNode(t.text, left, this.#additiveExpression());
        continue;
      }
      let negate = false;
      if (this.#isKeyword('NOT') &&
        (this.#isKeyword('LIKE', 1) || this.#isKeyword('BETWEEN', 1) || this.#isKeyword('IN', 1))) {
        this.#next();
        negate = true;
      }
      if (this.#isKeyword('LIKE')) {
        this.#next();
        left = this.#like(left, negate);
      } else if (this.#isKeyword('BETWEEN')) {
        this.#next();
        const low = this.#additiveExpression();
        this.#expectKeyword('AND');
        const high = this.#additiveExpression();
        left = negate
          ? orNode([comparisonNode('<', left, low), comparisonNode('>', left, high)])
          : andNode([comparisonNode('>=', left, low), comparisonNode('<=', left, high)]);
      } else if (this.#isKeyword('IN')) {
        this.#next();
        left = this.#in(left, negate);
      } else {
        return left;
      }
    }
  }

  #stringLiteral(what: string): Token {
    if (this.#peek.kind !== 'string') this.#unexpected(`expected a string literal ${what}`);
    return this.#next();
  }

  #like(left: Node, negate: boolean): Node {
    checkOperand(left, 'string', 'LIKE');
    const pattern = this.#stringLiteral('after LIKE');
    let escape: string | undefined;
    if (this.#isKeyword('ESCAPE')) {
      this.#next();
      const e = this.#stringLiteral('after ESCAPE');
      if ([...e.text].length !== 1) fail('ESCAPE must be a single character', e.position);
      escape = e.text;
    }
    const matcher = compileLike(pattern.text, escape);
    const operand = left.evaluate;
    const like: Node = {
      type: 'boolean',
      position: left.position,
      evaluate: (m, c) => {
        const v = operand(m, c);
        if (v === null) return null;
        if (typeof v !== 'string') return false;
        return matcher(v);
      },
    };
    return negate ? notNode(like, left.position) : like;
  }

  #in(left: Node, negate: boolean): Node {
    if (left.identifier === undefined) fail('IN applies to an identifier only', left.position);
    const open = this.#peek.position;
    this.#expectOp('(');
    const items = new Set<string>();
    let count = 0;
    for (;;) {
      items.add(this.#stringLiteral('in the IN list').text);
      if (++count > SELECTOR_IN_LIST_MAX) fail(`IN list longer than ${SELECTOR_IN_LIST_MAX}`, open);
      if (this.#isOp(',')) {
        this.#next();
        continue;
      }
      break;
    }
    this.#expectOp(')');
    const operand = left.evaluate;
    return {
      type: 'boolean',
      position: left.position,
      evaluate: (m, c) => {
        const v = operand(m, c);
        if (typeof v !== 'string') return null;
        return items.has(v) !== negate;
      },
    };
  }

  #additiveExpression(): Node {
    let left = this.#multiplicativeExpression();
    while (this.#isOp('+') || this.#isOp('-')) {
      const op = this.#next().text;
      left = arithmeticNode(op, left, this.#multiplicativeExpression());
    }
    return left;
  }

  #multiplicativeExpression(): Node {
    let left = this.#unaryExpression();
    while (this.#isOp('*') || this.#isOp('/') || this.#isOp('%')) {
      const op = this.#next().text;
      left = arithmeticNode(op, left, this.#unaryExpression());
    }
    return left;
  }

  #unaryExpression(): Node {
    if (this.#isOp('+') || this.#isOp('-')) {
      const t = this.#next();
      this.#enter(t.position);
      const next = this.#peek;
      let node: Node;
      if (t.text === '-' && next.kind === 'exact' && next.exact === LONG_MIN_MAGNITUDE) {
        // -9223372036854775808 is Long.MIN_VALUE, the one literal whose magnitude needs the minus.
        this.#next();
        node = constantNode(-LONG_MIN_MAGNITUDE, 'numeric', t.position);
      } else {
        const operand = this.#unaryExpression();
        checkOperand(operand, 'numeric', `unary ${t.text}`);
        node = t.text === '-' ? negateNode(operand, t.position) : plusNode(operand, t.position);
      }
      this.#leave();
      return node;
    }
    return this.#primaryExpression();
  }

  #primaryExpression(): Node {
    const t = this.#peek;
    switch (t.kind) {
      case 'string':
        this.#next();
        return constantNode(t.text, 'string', t.position);
      case 'exact':
        this.#next();
        if ((t.exact as bigint) > LONG_MAX) fail('integer literal out of range', t.position);
        return constantNode(t.exact as bigint, 'numeric', t.position);
      case 'approx':
        this.#next();
        return constantNode(t.approx as number, 'numeric', t.position);
      case 'id':
        this.#next();
        return identifierNode(t.text, t.position);
      case 'keyword':
        if (t.text === 'TRUE' || t.text === 'FALSE') {
          this.#next();
          return constantNode(t.text === 'TRUE', 'boolean', t.position);
        }
        if (t.text === 'NULL') {
          this.#next();
          return constantNode(null, 'any', t.position);
        }
        break;
      case 'op':
        if (t.text === '(') {
          this.#next();
          this.#enter(t.position);
          const inner = this.#orExpression();
          this.#leave();
          this.#expectOp(')');
          return inner;
        }
        break;
      case 'end':
        break;
    }
    this.#unexpected('expected a value, an identifier or "("');
  }
}

// ---------------------------------------------------------------------------------------------
// Nodes

function checkOperand(node: Node, wanted: 'boolean' | 'numeric' | 'string', operator: string): void {
  if (node.type === 'any' || node.type === wanted) return;
  if (node.type === 'scalar' && wanted !== 'boolean') return;
  {
    fail(`${operator} needs a ${wanted} operand, not a ${node.type} one`, node.position);
  }
}

/** A node used as a condition: booleans and identifiers (cast at run time) only. */
function asBoolean(node: Node): Node {
  checkOperand(node, 'boolean', 'a condition');
  if (node.type === 'boolean' || node.constant === null) return node;
  // A property used as a condition: TRUE or FALSE if boolean, NULL if missing, FALSE otherwise
  // (ActiveMQ's BooleanCastExpression).
  const operand = node.evaluate;
  return {
    type: 'boolean',
    position: node.position,
    evaluate: (m, c) => {
      const v = operand(m, c);
      return v === null ? null : v === true;
    },
  };
}

function andNode(operands: readonly Node[]): Node {
  const evaluators = operands.map((o) => o.evaluate);
  return {
    type: 'boolean',
    position: (operands[0] as Node).position,
    evaluate: (m, c) => {
      let unknown = false;
      for (const e of evaluators) {
        const v = e(m, c);
        if (v === false) return false;
        if (v === null) unknown = true;
      }
      return unknown ? null : true;
    },
  };
}

function orNode(operands: readonly Node[]): Node {
  const evaluators = operands.map((o) => o.evaluate);
  return {
    type: 'boolean',
    position: (operands[0] as Node).position,
    evaluate: (m, c) => {
      let unknown = false;
      for (const e of evaluators) {
        const v = e(m, c);
        if (v === true) return true;
        if (v === null) unknown = true;
      }
      return unknown ? null : false;
    },
  };
}

function notNode(operand: Node, position: number): Node {
  const o = operand.evaluate;
  return {
    type: 'boolean',
    position,
    evaluate: (m, c) => {
      const v = o(m, c);
      return v === null ? null : v !== true;
    },
  };
}

function isNumeric(v: Value): v is number | bigint {
  return typeof v === 'number' || typeof v === 'bigint';
}

/** Compares two non-null values: negative, zero, positive, or undefined when they do not compare. */
function compareValues(a: Value, b: Value): number | undefined {
  if (isNumeric(a)) {
    if (!isNumeric(b)) return undefined;
    // JS compares bigint with number exactly; NaN compares as nothing.
    if (a < b) return -1;
    if (a > b) return 1;
    // eslint-disable-next-line eqeqeq
    return a == b ? 0 : undefined;
  }
  if (typeof a === 'string') {
    if (typeof b !== 'string') return undefined;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'boolean') {
    if (typeof b !== 'boolean') return undefined;
    return a === b ? 0 : a ? 1 : -1;
  }
  return undefined;
}

function checkComparable(op: string, left: Node, right: Node): void {
  for (const side of [left, right]) {
    if (op === '=') {
      if (side.constant === null) fail('NULL cannot be compared with "=" or "<>" (use IS NULL)', side.position);
    } else if (side.type === 'boolean' || side.type === 'string' || side.constant === null) {
      fail(`"${op}" compares numbers, not a ${side.constant === null ? 'NULL' : side.type}`, side.position);
    }
  }
  if (left.constant !== undefined && right.constant !== undefined && left.type !== right.type) {
    fail(`a ${left.type} cannot be compared with a ${right.type}`, left.position);
  }
}

/** A comparison with a constant on the right, the usual shape (`color = 'red'`, `weight > 2500`). */
function constantComparison(op: string, left: Node, constant: string | number | bigint | boolean): Evaluator | undefined {
  const l = left.evaluate;
  if (typeof constant === 'string' || typeof constant === 'boolean') {
    if (op !== '=') return undefined;
    const kind = typeof constant;
    return (m, c) => {
      const a = l(m, c);
      if (a === null) return null;
      return typeof a === kind ? a === constant : false;
    };
  }
  // Within 2^53 a number compares as exactly as a bigint, and faster; JS compares a bigint
  // property with a number exactly too.
  const k = typeof constant === 'bigint' && Number.isSafeInteger(Number(constant)) ? Number(constant) : constant;
  const numeric = (test: (a: number | bigint) => boolean): Evaluator => (m, c) => {
    const a = l(m, c);
    if (a === null) return null;
    return typeof a === 'number' || typeof a === 'bigint' ? test(a) : false;
  };
  switch (op) {
    // eslint-disable-next-line eqeqeq
    case '=': return numeric((a) => a == k);
    case '<': return numeric((a) => a < k);
    case '>': return numeric((a) => a > k);
    case '<=': return numeric((a) => a <= k);
    case '>=': return numeric((a) => a >= k);
    default: return undefined;
  }
}

function comparisonNode(op: string, left: Node, right: Node): Node {
  checkComparable(op, left, right);
  if (right.constant !== undefined && right.constant !== null) {
    const fast = constantComparison(op, left, right.constant);
    if (fast !== undefined) return { type: 'boolean', position: left.position, evaluate: fast };
  }
  const l = left.evaluate;
  const r = right.evaluate;
  let test: (order: number) => boolean;
  switch (op) {
    case '=': test = (o) => o === 0; break;
    case '<': test = (o) => o < 0; break;
    case '>': test = (o) => o > 0; break;
    case '<=': test = (o) => o <= 0; break;
    case '>=': test = (o) => o >= 0; break;
    default: throw new Error(`assertion failed: comparison operator ${op}`);
  }
  return {
    type: 'boolean',
    position: left.position,
    evaluate: (m, c) => {
      const a = l(m, c);
      if (a === null) return null;
      const b = r(m, c);
      if (b === null) return null;
      const order = compareValues(a, b);
      return order === undefined ? false : test(order);
    },
  };
}

/** A value as `+` appends it to a string (Java's string conversion for the JMS types). */
function concatText(v: Value): string | null {
  if (v === null) return null;
  return String(v);
}

function arithmeticNode(op: string, left: Node, right: Node): Node {
  if (!(op === '+' && left.type === 'string')) checkOperand(left, 'numeric', `"${op}"`);
  if (left.type === 'numeric') checkOperand(right, 'numeric', `"${op}"`);
  if (right.type === 'boolean') checkOperand(right, 'numeric', `"${op}"`);
  const l = left.evaluate;
  const r = right.evaluate;
  let exact: ((a: bigint, b: bigint) => bigint) | undefined;
  let approx: (a: number, b: number) => number;
  switch (op) {
    case '+': exact = (a, b) => BigInt.asIntN(64, a + b); approx = (a, b) => a + b; break;
    case '-': exact = (a, b) => BigInt.asIntN(64, a - b); approx = (a, b) => a - b; break;
    case '*': exact = (a, b) => BigInt.asIntN(64, a * b); approx = (a, b) => a * b; break;
    // ActiveMQ divides and takes remainders in doubles, whatever the operand types.
    case '/': exact = undefined; approx = (a, b) => a / b; break;
    case '%': exact = undefined; approx = (a, b) => a % b; break;
    default: throw new Error(`assertion failed: arithmetic operator ${op}`);
  }
  const concat = op === '+';
  return {
    type: concat && left.type === 'string' ? 'string' : concat && left.type !== 'numeric' ? 'scalar' : 'numeric',
    position: left.position,
    evaluate: (m, c) => {
      const a = l(m, c);
      if (a === null) return null;
      const b = r(m, c);
      if (b === null) return null;
      if (concat && typeof a === 'string') return a + concatText(b);
      if (!isNumeric(a) || !isNumeric(b)) return null;
      if (exact !== undefined && typeof a === 'bigint' && typeof b === 'bigint') return exact(a, b);
      return approx(Number(a), Number(b));
    },
  };
}

function negateNode(operand: Node, position: number): Node {
  const v = operand.constant;
  if (typeof v === 'bigint') return constantNode(BigInt.asIntN(64, -v), 'numeric', position);
  if (typeof v === 'number') return constantNode(-v, 'numeric', position);
  const o = operand.evaluate;
  return {
    type: 'numeric',
    position,
    evaluate: (m, c) => {
      const x = o(m, c);
      if (typeof x === 'bigint') return BigInt.asIntN(64, -x);
      if (typeof x === 'number') return -x;
      return null;
    },
  };
}

function plusNode(operand: Node, position: number): Node {
  if (operand.constant !== undefined) return { ...operand, position };
  const o = operand.evaluate;
  return {
    type: 'numeric',
    position,
    evaluate: (m, c) => {
      const x = o(m, c);
      return isNumeric(x) ? x : null;
    },
  };
}

/** A property value as the selector sees it: bytes and other non-JMS values are NULL. */
function propertyValue(v: unknown): Value {
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'bigint':
    case 'boolean':
      return v;
    default:
      return null;
  }
}

function qualifiedName(d: Destination | undefined): string | null {
  return d === undefined ? null : `${d.kind}://${d.name}`;
}

/** JMS header fields, read from the message model (ActiveMQ's PropertyExpression table). */
const HEADER_FIELDS: Readonly<Record<string, Evaluator>> = {
  JMSDestination: (_m, c) => qualifiedName(c.destination),
  JMSReplyTo: (m) => qualifiedName(m.replyTo),
  JMSType: (m) => m.type ?? null,
  JMSDeliveryMode: (m) => (m.persistent ? 'PERSISTENT' : 'NON_PERSISTENT'),
  JMSPriority: (m) => m.priority,
  JMSMessageID: (m) => m.messageId ?? null,
  JMSTimestamp: (m) => m.timestamp,
  JMSCorrelationID: (m) => m.correlationId ?? null,
  JMSExpiration: (m) => m.expiration,
  JMSRedelivered: (_m, c) => c.redelivered ?? (c.deliveryCount !== undefined && c.deliveryCount > 1),
  JMSXDeliveryCount: (_m, c) => c.deliveryCount ?? (c.redelivered === true ? 2 : 1),
};

function identifierNode(name: string, position: number): Node {
  const header = Object.hasOwn(HEADER_FIELDS, name) ? HEADER_FIELDS[name] : undefined;
  const evaluate: Evaluator = header ??
    ((m) => (Object.hasOwn(m.properties, name) ? propertyValue(m.properties[name]) : null));
  return { type: 'any', evaluate, identifier: name, position };
}

// ---------------------------------------------------------------------------------------------
// LIKE

/** One `%`-free piece of a LIKE pattern: literal text and `_` (one character) in order. */
type Piece = ReadonlyArray<string | null>;

/**
 * Compiles a LIKE pattern into a matcher over the pattern's `%`-separated segments: the first is
 * anchored at the start, the last at the end, and each middle one is matched at its leftmost place,
 * which is correct because no segment holds `%`. No backtracking beyond one scan per segment.
 */
function compileLike(pattern: string, escape: string | undefined): (text: string) => boolean {
  const segments: Piece[] = [];
  let current: Array<string | null> = [];
  let literal = '';
  const flush = (): void => {
    if (literal !== '') current.push(literal);
    literal = '';
  };
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    const next = chars[i + 1];
    if (escape !== undefined && ch === escape && (next === '%' || next === '_' || next === escape)) {
      // As in ActiveMQ's LikeExpression, the escape character escapes only these three; elsewhere
      // (and at the end) it is an ordinary character.
      literal += next;
      i++;
    } else if (ch === '%') {
      flush();
      segments.push(current);
      current = [];
    } else if (ch === '_') {
      flush();
      current.push(null);
    } else {
      literal += ch;
    }
  }
  flush();
  segments.push(current);

  if (segments.length === 1) {
    const only = segments[0] as Piece;
    if (only.length === 1 && typeof only[0] === 'string') {
      const exact = only[0];
      return (text) => text === exact;
    }
    return (text) => matchAt(only, text, 0) === text.length;
  }
  const first = segments[0] as Piece;
  const last = segments[segments.length - 1] as Piece;
  const middle = segments.slice(1, -1).filter((s) => s.length > 0);
  const literalOf = (piece: Piece): string | undefined =>
    piece.length === 0 ? '' : piece.length === 1 && typeof piece[0] === 'string' ? piece[0] : undefined;
  // The common shapes 'abc%', '%abc' and '%abc%' as one native string search.
  const firstText = literalOf(first);
  const lastText = literalOf(last);
  if (middle.length === 0 && firstText !== undefined && lastText !== undefined) {
    const minLength = firstText.length + lastText.length;
    return (text) => text.length >= minLength && text.startsWith(firstText) && text.endsWith(lastText);
  }
  if (middle.length === 1 && firstText === '' && lastText === '') {
    const inner = literalOf(middle[0] as Piece);
    if (inner !== undefined) return (text) => text.includes(inner);
  }
  return (text) => {
    const afterFirst = matchAt(first, text, 0);
    if (afterFirst < 0) return false;
    const lastStart = matchEndingAt(last, text, text.length);
    if (lastStart < afterFirst) return false;
    let pos = afterFirst;
    for (const piece of middle) {
      const end = findLeftmost(piece, text, pos, lastStart);
      if (end < 0) return false;
      pos = end;
    }
    return true;
  };
}

/** Length of the code point at `i` (2 for a surrogate pair). */
function codePointLength(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

/** Matches `piece` at `start`; returns where the match ends, or -1. */
function matchAt(piece: Piece, text: string, start: number, limit = text.length): number {
  let pos = start;
  for (const part of piece) {
    if (part === null) {
      if (pos >= limit) return -1;
      pos += codePointLength(text, pos);
      if (pos > limit) return -1;
    } else {
      if (pos + part.length > limit || !text.startsWith(part, pos)) return -1;
      pos += part.length;
    }
  }
  return pos;
}

/** Matches `piece` so that it ends exactly at `end`; returns where it starts, or -1. */
function matchEndingAt(piece: Piece, text: string, end: number): number {
  let pos = end;
  for (let k = piece.length - 1; k >= 0; k--) {
    const part = piece[k] as string | null;
    if (part === null) {
      if (pos <= 0) return -1;
      const c = text.charCodeAt(pos - 1);
      const b = text.charCodeAt(pos - 2);
      pos -= c >= 0xdc00 && c <= 0xdfff && b >= 0xd800 && b <= 0xdbff && pos >= 2 ? 2 : 1;
    } else {
      if (pos < part.length || !text.startsWith(part, pos - part.length)) return -1;
      pos -= part.length;
    }
  }
  return pos;
}

/** The leftmost match of `piece` starting at or after `from` and ending by `limit`; its end or -1. */
function findLeftmost(piece: Piece, text: string, from: number, limit: number): number {
  const head = piece[0];
  let start = from;
  while (start <= limit) {
    if (typeof head === 'string') {
      start = text.indexOf(head, start);
      if (start < 0 || start > limit) return -1;
    }
    const end = matchAt(piece, text, start, limit);
    if (end >= 0) return end;
    if (start >= limit) return -1;
    start += codePointLength(text, start);
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------

/**
 * Compiles a JMS selector. Throws AmqError 'invalid-selector' naming what is wrong and where
 * (1-based character position); the message quotes at most a short token of the selector.
 */
export function parseSelector(text: string): Selector {
  if (typeof text !== 'string') throw new AmqError('invalid-selector', 'invalid selector: not a string');
  if (text.length > SELECTOR_TEXT_MAX_CHARS) {
    throw new AmqError('invalid-selector', `invalid selector: longer than ${SELECTOR_TEXT_MAX_CHARS} characters`);
  }
  const tokens = tokenize(text);
  // A blank selector selects everything, as ActiveMQ treats it as no selector at all.
  if (tokens.length === 1) return { text, matches: () => true };
  const root = new Parser(tokens).parseSelector().evaluate;
  return {
    text,
    matches(message: AmqMessage, context: SelectorContext = EMPTY_CONTEXT): boolean {
      return root(message, context) === true;
    },
  };
}

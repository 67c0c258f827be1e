// Generates src/codec/amqp10/generated.ts from the machine-readable AMQP 1.0 specification
// (types.xml, transport.xml, messaging.xml, security.xml, transactions.xml): the definitions, the
// primitive encodings table, the restricted types with choices as `as const` objects, and for each
// described type (performatives, delivery states, source/target, message sections, error, SASL
// frames, transactions) a TS type with camelCase fields, an encoder and a decoder. The type system
// itself (types.ts) and the field helpers (composite.ts) are hand-written; this script only turns
// spec data into calls to them.
//
//   node --import tsx scripts/gen-amqp10.ts [--check] [--spec DIR]      (npm run codegen:amqp10[:check])
//
// The spec folder defaults to ../shared/specs/amqp-1.0 relative to the repository root; `--spec DIR`
// or AMQP10_SPEC=DIR overrides it. `--check` regenerates in memory and exits 1 if the committed file
// differs; when the spec is absent (a fresh clone without ../shared) it says so and exits 0, because
// the committed output is then the only copy of the spec we have.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** One XML element: name, attributes, children (the spec files hold no text content we need). */
export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
}

export interface SpecField {
  name: string;
  type: string;
  mandatory: boolean;
  multiple: boolean;
  default?: string;
  requires?: string;
}

export interface SpecType {
  name: string;
  class: 'primitive' | 'composite' | 'restricted';
  source?: string;
  provides: string[];
  descriptor?: { name: string; code: bigint };
  fields: SpecField[];
  choices: Array<{ name: string; value: string }>;
  encodings: Array<{ name?: string; code: number; category: string; width: number }>;
  /** The spec file (without .xml) that defines it. */
  file: string;
}

export interface Spec {
  types: SpecType[];
  definitions: Array<{ name: string; value: string }>;
  /** The licence notice of the spec files (the same in each). */
  notice: string;
}

/** The spec files, in the order their types are emitted. */
export const SPEC_FILES = ['types', 'transport', 'messaging', 'security', 'transactions'] as const;

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the output goes, relative to the repository root. */
export const OUTPUT_PATH = 'src/codec/amqp10/generated.ts';
const DEFAULT_SPEC_DIR = resolve(REPO_ROOT, '../shared/specs/amqp-1.0');

function fail(message: string): never {
  throw new Error(`gen-amqp10: ${message}`);
}

/** Parses the small XML subset the spec files use: elements, attributes, comments, a declaration. */
export function parseXml(text: string, where: string): { root: XmlNode; comments: string[] } {
  const comments: string[] = [];
  const stack: XmlNode[] = [{ name: '#document', attrs: {}, children: [] }];
  const re = /<!--([\s\S]*?)-->|<\?[\s\S]*?\?>|<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+\s*=\s*"[^"]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[1] !== undefined) {
      comments.push(m[1]);
    } else if (m[3] !== undefined) {
      if (m[2] === '/') {
        const open = stack.pop();
        if (open?.name !== m[3]) fail(`${where}: </${m[3]}> closes <${open?.name}>`);
      } else {
        const attrs: Record<string, string> = {};
        for (const a of (m[4] ?? '').matchAll(/([\w:-]+)\s*=\s*"([^"]*)"/g)) attrs[a[1]!] = a[2]!.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
        const node: XmlNode = { name: m[3], attrs, children: [] };
        stack.at(-1)!.children.push(node);
        if (m[5] !== '/') stack.push(node);
      }
    } else if (m[7] !== undefined) {
      fail(`${where}: malformed markup at offset ${m.index}`);
    }
    // Text between elements (m[6]) is documentation the generator does not need.
  }
  if (stack.length !== 1) fail(`${where}: <${stack.at(-1)!.name}> is not closed`);
  const root = stack[0]!.children.find((c) => c.name === 'amqp') ?? fail(`${where}: no <amqp> element`);
  return { root, comments };
}

/** Reads the spec files from `dir` into one spec. */
export function loadSpec(dir: string): Spec {
  const texts: Record<string, string> = {};
  for (const file of SPEC_FILES) {
    const path = join(dir, `${file}.xml`);
    if (!existsSync(path)) fail(`${path} is missing`);
    texts[file] = readFileSync(path, 'utf8');
  }
  return parseSpec(texts);
}

/** Builds the spec from the text of each file, keyed by file name without .xml. */
export function parseSpec(texts: Record<string, string>): Spec {
  const spec: Spec = { types: [], definitions: [], notice: '' };
  for (const file of SPEC_FILES) {
    const text = texts[file] ?? fail(`${file}.xml is missing`);
    const { root, comments } = parseXml(text, `${file}.xml`);
    if (spec.notice === '' && comments[0] !== undefined) spec.notice = comments[0].trim();
    for (const section of root.children.filter((c) => c.name === 'section')) {
      for (const node of section.children) {
        if (node.name === 'definition') {
          spec.definitions.push({ name: node.attrs.name ?? fail(`${file}: definition without name`), value: node.attrs.value ?? '' });
        } else if (node.name === 'type') {
          spec.types.push(parseType(node, file));
        }
      }
    }
  }
  return spec;
}

function parseType(node: XmlNode, file: string): SpecType {
  const name = node.attrs.name ?? fail(`${file}: type without name`);
  const cls = node.attrs.class;
  if (cls !== 'primitive' && cls !== 'composite' && cls !== 'restricted') fail(`${file}: type ${name} has class ${cls}`);
  const t: SpecType = {
    name,
    class: cls,
    provides: (node.attrs.provides ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    fields: [],
    choices: [],
    encodings: [],
    file,
  };
  if (node.attrs.source !== undefined) t.source = node.attrs.source;
  for (const c of node.children) {
    if (c.name === 'descriptor') {
      const code = c.attrs.code ?? fail(`${name}: descriptor without code`);
      const m = /^0x([0-9a-fA-F]{8}):0x([0-9a-fA-F]{8})$/.exec(code) ?? fail(`${name}: descriptor code ${code}`);
      t.descriptor = { name: c.attrs.name ?? fail(`${name}: descriptor without name`), code: (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`) };
    } else if (c.name === 'field') {
      const f: SpecField = {
        name: c.attrs.name ?? fail(`${name}: field without name`),
        type: c.attrs.type ?? fail(`${name}: field without type`),
        mandatory: c.attrs.mandatory === 'true',
        multiple: c.attrs.multiple === 'true',
      };
      if (c.attrs.default !== undefined) f.default = c.attrs.default;
      if (c.attrs.requires !== undefined) f.requires = c.attrs.requires;
      t.fields.push(f);
    } else if (c.name === 'choice') {
      t.choices.push({ name: c.attrs.name ?? fail(`${name}: choice without name`), value: c.attrs.value ?? fail(`${name}: choice without value`) });
    } else if (c.name === 'encoding') {
      const e: SpecType['encodings'][number] = {
        code: Number.parseInt(c.attrs.code ?? fail(`${name}: encoding without code`), 16),
        category: c.attrs.category ?? fail(`${name}: encoding without category`),
        width: Number(c.attrs.width ?? fail(`${name}: encoding without width`)),
      };
      if (c.attrs.name !== undefined) e.name = c.attrs.name;
      t.encodings.push(e);
    }
  }
  return t;
}

function pascal(name: string): string {
  return name
    .split(/[-:]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function camel(name: string): string {
  const p = pascal(name);
  return p.charAt(0).toLowerCase() + p.slice(1);
}

function constName(name: string): string {
  return name.replace(/-/g, '_').toUpperCase();
}

function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** TS names that would clash with globals. */
const TS_NAME_OVERRIDES: Record<string, string> = {
  error: 'AmqpError',
  'amqp-error': 'AmqpErrorCondition',
  'amqp-value': 'AmqpValueSection',
  'amqp-sequence': 'AmqpSequenceSection',
};
const tsName = (specName: string): string => TS_NAME_OVERRIDES[specName] ?? pascal(specName);

const NUMBER_TYPES = new Set(['ubyte', 'ushort', 'uint', 'byte', 'short', 'int', 'float', 'double', 'char', 'timestamp']);
const BIGINT_TYPES = new Set(['ulong', 'long']);
const OPAQUE_TYPES = new Set(['decimal32', 'decimal64', 'decimal128', 'uuid']);

/** How one field is typed, read and written. */
interface FieldPlan {
  spec: SpecField;
  prop: string;
  /** TS type of the decoded value (one element when multiple). */
  ts: string;
  /** TS type accepted by the encoder (one element when multiple). */
  tsInit: string;
  /** Expression reading one element from `e` (an AmqpValue) named by `f` (the field's path). */
  read: (e: string, f: string) => string;
  /** Expression turning one element `x` into an AmqpValue. */
  write: (x: string) => string;
  /** Array element type for multiple fields. */
  elementType: string;
  /** TS literal of the default, if any. */
  defaultLiteral?: string;
  /** Composite kinds allowed, for `*` fields that require an archetype some composites provide. */
  kinds?: string[];
  /** TS literals of the valid values, for closed (numeric or boolean) choices. */
  choiceValues?: string[];
}

/** Generates the TypeScript module text from the spec. Pure and deterministic. */
export function generate(spec: Spec): string {
  const byName = new Map<string, SpecType>();
  for (const t of spec.types) {
    if (byName.has(t.name) && t.class !== 'primitive') fail(`duplicate type ${t.name}`);
    if (!byName.has(t.name)) byName.set(t.name, t);
  }
  const described = spec.types.filter((t) => t.descriptor !== undefined);
  const codes = new Map<bigint, string>();
  for (const t of described) {
    const other = codes.get(t.descriptor!.code);
    if (other !== undefined) fail(`duplicate descriptor code 0x${t.descriptor!.code.toString(16)} (${other}, ${t.name})`);
    codes.set(t.descriptor!.code, t.name);
  }
  const providers = (archetype: string): SpecType[] => described.filter((t) => t.provides.includes(archetype));

  /** The primitive a type name resolves to, and the restricted type with choices on the way, if any. */
  const resolvePrimitive = (name: string, where: string): { primitive: string; choices?: SpecType } => {
    let t = byName.get(name) ?? fail(`${where}: unknown type ${name}`);
    let choices: SpecType | undefined;
    for (let hops = 0; t.class === 'restricted'; hops++) {
      if (hops > 10) fail(`${where}: restriction loop at ${name}`);
      if (t.choices.length > 0 && choices === undefined) choices = t;
      const src = t.source ?? fail(`${where}: restricted ${t.name} without source`);
      if (src === '*') return { primitive: '*', ...(choices ? { choices } : {}) };
      t = byName.get(src) ?? fail(`${where}: unknown source ${src} of ${t.name}`);
    }
    if (t.class === 'composite') return { primitive: `composite:${t.name}` };
    return { primitive: t.name, ...(choices ? { choices } : {}) };
  };

  const choiceLiteral = (choices: SpecType, primitive: string, value: string, where: string): string => {
    if (primitive === 'boolean') {
      if (value !== 'true' && value !== 'false') fail(`${where}: boolean choice ${value}`);
      return value;
    }
    if (NUMBER_TYPES.has(primitive)) {
      if (!/^\d+$/.test(value)) fail(`${where}: numeric choice ${value}`);
      return value;
    }
    if (primitive === 'symbol' || primitive === 'string') return quote(value);
    fail(`${where}: choices of ${choices.name} over ${primitive} are not supported`);
  };

  const planField = (owner: SpecType, f: SpecField): FieldPlan => {
    const where = `${owner.name}.${f.name}`;
    const plan: Partial<FieldPlan> & { spec: SpecField; prop: string } = { spec: f, prop: camel(f.name) };
    if (f.type === '*') {
      const ps = f.requires === undefined ? [] : providers(f.requires);
      if (ps.length === 0) {
        Object.assign(plan, { ts: 'AmqpValue', tsInit: 'AmqpValue', read: (e: string) => e, write: (x: string) => x, elementType: '' });
      } else if (ps.length === 1) {
        const n = tsName(ps[0]!.name);
        Object.assign(plan, {
          ts: n,
          tsInit: `${n}Init`,
          read: (e: string, fp: string) => `decodeCompositeOf(${e}, ${fp}, [${quote(ps[0]!.name)}]) as ${n}`,
          write: (x: string) => `encode${n}Value(${x})`,
          elementType: '',
          kinds: [ps[0]!.name],
        });
      } else {
        Object.assign(plan, {
          ts: ps.map((p) => tsName(p.name)).join(' | '),
          tsInit: ps.map((p) => `(${tsName(p.name)}Init & { kind: ${quote(p.name)} })`).join(' | '),
          read: (e: string, fp: string) => `decodeCompositeOf(${e}, ${fp}, [${ps.map((p) => quote(p.name)).join(', ')}]) as ${ps.map((p) => tsName(p.name)).join(' | ')}`,
          write: (x: string) => `encodeCompositeValue(${x})`,
          elementType: '',
          kinds: ps.map((p) => p.name),
        });
      }
    } else {
      const { primitive, choices } = resolvePrimitive(f.type, where);
      if (primitive.startsWith('composite:')) {
        const n = tsName(primitive.slice('composite:'.length));
        Object.assign(plan, {
          ts: n,
          tsInit: `${n}Init`,
          read: (e: string, fp: string) => `decodeCompositeOf(${e}, ${fp}, [${quote(primitive.slice(10))}]) as ${n}`,
          write: (x: string) => `encode${n}Value(${x})`,
          elementType: '',
          kinds: [primitive.slice(10)],
        });
      } else {
        let ts: string;
        let read: (e: string, fp: string) => string;
        let write: (x: string) => string;
        if (primitive === 'boolean') {
          ts = 'boolean';
          read = (e, fp) => `asBoolean(${e}, ${fp})`;
          write = (x) => x;
        } else if (NUMBER_TYPES.has(primitive)) {
          ts = 'number';
          read = (e, fp) => `asNumber(${e}, '${primitive}', ${fp})`;
          write = (x) => `{ type: '${primitive}', value: ${x} }`;
        } else if (BIGINT_TYPES.has(primitive)) {
          ts = 'bigint';
          read = (e, fp) => `asBigint(${e}, '${primitive}', ${fp})`;
          write = (x) => `{ type: '${primitive}', value: ${x} }`;
        } else if (OPAQUE_TYPES.has(primitive)) {
          ts = 'Buffer';
          read = (e, fp) => `asOpaque(${e}, '${primitive}', ${fp})`;
          write = (x) => `{ type: '${primitive}', value: ${x} }`;
        } else if (primitive === 'string') {
          ts = 'string';
          read = (e, fp) => `asString(${e}, ${fp})`;
          write = (x) => x;
        } else if (primitive === 'symbol') {
          ts = 'string';
          read = (e, fp) => `asSymbol(${e}, ${fp})`;
          write = (x) => `{ type: 'symbol', value: ${x} }`;
        } else if (primitive === 'binary') {
          ts = 'Buffer';
          read = (e, fp) => `asBinary(${e}, ${fp})`;
          write = (x) => x;
        } else if (primitive === 'map') {
          ts = 'AmqpMap';
          read = (e, fp) => `asMap(${e}, ${fp})`;
          write = (x) => x;
        } else if (primitive === 'list') {
          ts = 'AmqpValue[]';
          read = (e, fp) => `asList(${e}, ${fp})`;
          write = (x) => x;
        } else {
          fail(`${where}: fields of type ${primitive} are not supported`);
        }
        // Choices over numbers and booleans are closed sets and checked; symbol choices are open
        // (error conditions, capabilities, policies may be extended), so they stay strings.
        if (choices !== undefined && primitive !== 'symbol' && primitive !== 'string') {
          const values = choices.choices.map((c) => choiceLiteral(choices, primitive, c.value, where));
          const typeName = tsName(choices.name);
          const baseRead = read;
          ts = typeName;
          read = (e, fp) => `asChoice(${baseRead(e, fp)}, ${constName(choices.name)}_VALUES, ${fp}) as ${typeName}`;
          plan.choiceValues = values;
        }
        Object.assign(plan, { ts, tsInit: ts, read, write, elementType: primitive });
        if (f.default !== undefined) {
          const c = choices?.choices.find((x) => x.name === f.default);
          if (c !== undefined) plan.defaultLiteral = choiceLiteral(choices!, primitive, c.value, where);
          else if (primitive === 'boolean') plan.defaultLiteral = f.default === 'true' ? 'true' : f.default === 'false' ? 'false' : fail(`${where}: default ${f.default}`);
          else if (NUMBER_TYPES.has(primitive)) plan.defaultLiteral = /^\d+$/.test(f.default) ? f.default : fail(`${where}: default ${f.default}`);
          else if (BIGINT_TYPES.has(primitive)) plan.defaultLiteral = /^\d+$/.test(f.default) ? `${f.default}n` : fail(`${where}: default ${f.default}`);
          else if (primitive === 'symbol' || primitive === 'string') plan.defaultLiteral = quote(f.default);
          else fail(`${where}: default for ${primitive} is not supported`);
        }
      }
    }
    if (f.multiple && (plan.elementType === '' || plan.elementType === undefined)) fail(`${where}: multiple ${f.type} is not supported`);
    if (f.default !== undefined && plan.defaultLiteral === undefined) fail(`${where}: default on a ${f.type} field is not supported`);
    return plan as FieldPlan;
  };

  const out: string[] = [];
  const emit = (...lines: string[]): void => {
    out.push(...lines);
  };

  emit(
    '// GENERATED FILE: DO NOT EDIT. Made by scripts/gen-amqp10.ts from the AMQP 1.0 specification\'s',
    '// machine-readable definitions (types.xml, transport.xml, messaging.xml, security.xml, transactions.xml).',
    '// Run `npm run codegen:amqp10` after changing the generator; `npm run codegen:amqp10:check` fails when stale.',
    '//',
    '// Owns the definitions, restricted types with choices, and every described type: performatives,',
    '// delivery states, source and target, message sections, error, SASL frames and transactions, each',
    '// with a type, an encoder (a described list, trailing nulls trimmed) and a decoder (by descriptor',
    '// code or symbol, fields by position, mandatory fields checked, defaults filled in). The type system',
    '// is in types.ts, field helpers in composite.ts, framing in frames.ts, messages in message.ts.',
    '//',
    '// The specification data carries this notice:',
    '//',
    ...spec.notice.split('\n').map((line) => `//   ${line}`.trimEnd()),
    '',
    "import { Amqp10DecodeError } from './errors.ts';",
    'import {',
    '  asBigint,',
    '  asBinary,',
    '  asBoolean,',
    '  asChoice,',
    '  asList,',
    '  asMap,',
    '  asMultiple,',
    '  asNumber,',
    '  asOpaque,',
    '  asString,',
    '  asSymbol,',
    '  compositeFields,',
    '  describedList,',
    '  descriptorKey,',
    '  missingField,',
    '  multiple,',
    "} from './composite.ts';",
    "import type { AmqpDescribed, AmqpMap, AmqpValue } from './types.ts';",
    '',
    '// Definitions',
    '',
    '/** The constants the specification defines (ports, versions, MIN-MAX-FRAME-SIZE, MESSAGE-FORMAT). */',
    'export const DEFINITIONS = {',
    ...spec.definitions.map((d) => `  ${constName(d.name)}: ${/^\d+$/.test(d.value) ? d.value : quote(d.value)},`),
    '} as const;',
    '',
    '// Primitive encodings (types.xml), for checking the hand-written type system against the spec.',
    '',
    '/** Every primitive encoding: type, encoding name, format code, category and width. */',
    'export const PRIMITIVE_ENCODINGS: ReadonlyArray<{ type: string; name: string; code: number; category: string; width: number }> = [',
    ...spec.types
      .filter((t) => t.class === 'primitive')
      .flatMap((t) =>
        t.encodings.map(
          (e) => `  { type: ${quote(t.name)}, name: ${quote(e.name ?? t.name)}, code: 0x${e.code.toString(16).padStart(2, '0')}, category: ${quote(e.category)}, width: ${e.width} },`,
        ),
      ),
    '];',
    '',
    '// Restricted types with choices',
  );
  for (const t of spec.types.filter((x) => x.class === 'restricted' && x.choices.length > 0)) {
    const { primitive } = resolvePrimitive(t.name, t.name);
    const n = tsName(t.name);
    const cn = constName(t.name);
    emit(
      '',
      `/** ${t.name} (${t.file}.xml): restricted ${t.source}${t.provides.length > 0 ? `, provides ${t.provides.join(', ')}` : ''}. */`,
      `export const ${cn} = {`,
      ...t.choices.map((c) => `  ${constName(c.name)}: ${choiceLiteral(t, primitive, c.value, t.name)},`),
      '} as const;',
      `export type ${n} = (typeof ${cn})[keyof typeof ${cn}];`,
      `const ${cn}_VALUES: readonly ${n}[] = Object.values(${cn});`,
    );
  }

  emit('', '// Described types');
  const plans = new Map<string, FieldPlan[]>();
  for (const t of described) plans.set(t.name, t.class === 'composite' ? t.fields.map((f) => planField(t, f)) : []);

  emit(
    '',
    '/** Descriptor name and code of every described type, by spec name. */',
    'export const DESCRIPTORS = {',
    ...described.map((t) => `  ${quote(t.name)}: { name: ${quote(t.descriptor!.name)}, code: 0x${t.descriptor!.code.toString(16)}n },`),
    '} as const;',
  );

  for (const t of described) {
    const n = tsName(t.name);
    const code = `0x${t.descriptor!.code.toString(16)}n`;
    const doc = `${t.name} (${t.file}.xml, ${t.descriptor!.name}, ${code.slice(0, -1)})${t.provides.length > 0 ? `; provides ${t.provides.join(', ')}` : ''}`;
    if (t.class === 'restricted') {
      // A described restricted type: a message section wrapping one value.
      const src = t.source ?? fail(`${t.name}: no source`);
      const { primitive } = src === '*' ? { primitive: '*' } : resolvePrimitive(src, t.name);
      const map: Record<string, [string, string]> = {
        '*': ['AmqpValue', 'v'],
        map: ['AmqpMap', `asMap(v, '${t.name}')`],
        binary: ['Buffer', `asBinary(v, '${t.name}')`],
        list: ['AmqpValue[]', `asList(v, '${t.name}')`],
      };
      const [ts, read] = map[primitive] ?? fail(`${t.name}: described restricted type over ${primitive} is not supported`);
      emit(
        '',
        `/** ${doc}. */`,
        `export interface ${n} {`,
        `  readonly kind: ${quote(t.name)};`,
        `  value: ${ts};`,
        '}',
        `/** What {@link encode${n}Value} accepts. */`,
        `export interface ${n}Init {`,
        `  kind?: ${quote(t.name)};`,
        `  value: ${ts};`,
        '}',
        '',
        `/** ${t.name} as a described value. */`,
        `export function encode${n}Value(s: ${n}Init): AmqpDescribed {`,
        `  return { type: 'described', descriptor: { type: 'ulong', value: ${code} }, value: s.value };`,
        '}',
        '',
        `function decode${n}Described(d: AmqpDescribed): ${n} {`,
        '  const v = d.value;',
        `  return { kind: ${quote(t.name)}, value: ${read} };`,
        '}',
      );
      continue;
    }
    const fields = plans.get(t.name)!;
    const fieldPath = (f: FieldPlan) => quote(`${t.name}.${f.spec.name}`);
    emit(
      '',
      `/** ${doc}. */`,
      `export interface ${n} {`,
      `  readonly kind: ${quote(t.name)};`,
      ...fields.map((f) => `  ${f.prop}${f.spec.mandatory || f.defaultLiteral !== undefined ? '' : '?'}: ${f.spec.multiple ? `${f.ts}[]` : f.ts};`),
      '}',
      `/** What {@link encode${n}} accepts: fields with a default may be left out. */`,
      `export interface ${n}Init {`,
      `  kind?: ${quote(t.name)};`,
      ...fields.map((f) => `  ${f.prop}${f.spec.mandatory ? '' : '?'}: ${f.spec.multiple ? `readonly ${f.tsInit.includes(' ') ? `(${f.tsInit})` : f.tsInit}[]` : f.tsInit};`),
      '}',
      '',
      `/** ${t.name} as a described list, trailing nulls trimmed. */`,
      `export function encode${n}Value(${fields.length > 0 ? 'c' : '_c'}: ${n}Init): AmqpDescribed {`,
      `  return describedList(${code}, [`,
      ...fields.map((f) => {
        const x = `c.${f.prop}`;
        const value = f.spec.multiple
          ? `multiple('${f.elementType}', ${x}, (e) => (${f.write('e')}))`
          : f.write(x);
        return value === x ? `    ${x} ?? null,` : `    ${x} === undefined ? null : ${value},`;
      }),
      '  ]);',
      '}',
      '',
      `function decode${n}Described(d: AmqpDescribed): ${n} {`,
      `  const ${fields.length > 0 ? 'l' : '_l'} = compositeFields(d, ${quote(t.name)});`,
    );
    const required = fields.filter((f) => f.spec.mandatory || f.defaultLiteral !== undefined);
    const optional = fields.filter((f) => !(f.spec.mandatory || f.defaultLiteral !== undefined));
    const readExpr = (f: FieldPlan, e: string) => (f.spec.multiple ? `asMultiple(${e}, ${fieldPath(f)}, (x, p) => ${f.read('x', 'p')})` : f.read(e, fieldPath(f)));
    fields.forEach((f, i) => {
      emit(`  const f${i} = l[${i}] ?? null;`);
      if (f.spec.mandatory) emit(`  if (f${i} === null) throw missingField(${fieldPath(f)});`);
    });
    emit(`  const c: ${n} = {`, `    kind: ${quote(t.name)},`);
    for (const f of required) {
      const i = fields.indexOf(f);
      emit(f.spec.mandatory ? `    ${f.prop}: ${readExpr(f, `f${i}`)},` : `    ${f.prop}: f${i} === null ? ${f.defaultLiteral} : ${readExpr(f, `f${i}`)},`);
    }
    emit('  };');
    for (const f of optional) {
      const i = fields.indexOf(f);
      emit(`  if (f${i} !== null) c.${f.prop} = ${readExpr(f, `f${i}`)};`);
    }
    emit('  return c;', '}');
  }

  const names = described.map((t) => t.name);
  emit(
    '',
    '// By descriptor',
    '',
    '/** Any described type this codec knows, decoded. */',
    `export type AmqpComposite = ${described.map((t) => tsName(t.name)).join(' | ')};`,
    '/** Any described type to encode, by kind. */',
    `export type AmqpCompositeInit = ${described.map((t) => `(${tsName(t.name)}Init & { kind: ${quote(t.name)} })`).join(' | ')};`,
    '/** Spec name of a described type. */',
    'export type AmqpCompositeKind = AmqpComposite[\'kind\'];',
    '',
    'const DECODERS = new Map<bigint | string, (d: AmqpDescribed) => AmqpComposite>([',
    ...described.flatMap((t) => [
      `  [0x${t.descriptor!.code.toString(16)}n, decode${tsName(t.name)}Described],`,
      `  [${quote(t.descriptor!.name)}, decode${tsName(t.name)}Described],`,
    ]),
    ']);',
    '',
    '/** The decoded composite a described value holds, or undefined when its descriptor names none we know. */',
    'export function decodeComposite(d: AmqpDescribed): AmqpComposite | undefined {',
    '  const key = descriptorKey(d);',
    '  const decode = key === undefined ? undefined : DECODERS.get(key);',
    '  return decode?.(d);',
    '}',
    '',
    '/** A field holding a described value of one of `kinds`, decoded; anything else is a typed error. */',
    'export function decodeCompositeOf(v: AmqpValue, field: string, kinds: readonly AmqpCompositeKind[]): AmqpComposite {',
    "  if (v === null || typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v) || v.type !== 'described') {",
    "    throw new Amqp10DecodeError('BAD_FIELD_TYPE', 'DECODE_ERROR', `${field} must be a described type`);",
    '  }',
    '  const c = decodeComposite(v);',
    '  if (c === undefined || !kinds.includes(c.kind)) {',
    "    throw new Amqp10DecodeError('UNKNOWN_DESCRIPTOR', 'DECODE_ERROR', `${field} holds a described type other than ${kinds.join(', ')}`);",
    '  }',
    '  return c;',
    '}',
    '',
    '/** Any described type as its described value, by kind. */',
    'export function encodeCompositeValue(c: AmqpCompositeInit): AmqpDescribed {',
    '  switch (c.kind) {',
    ...names.flatMap((name) => [`    case ${quote(name)}:`, `      return encode${tsName(name)}Value(c);`]),
    '  }',
    '}',
    '',
    '/** Kinds of the performatives carried in AMQP frames (provides="frame"). */',
    `export const FRAME_PERFORMATIVE_KINDS: readonly AmqpCompositeKind[] = [${providers('frame').map((t) => quote(t.name)).join(', ')}];`,
    '/** Kinds of the performatives carried in SASL frames (provides="sasl-frame"). */',
    `export const SASL_PERFORMATIVE_KINDS: readonly AmqpCompositeKind[] = [${providers('sasl-frame').map((t) => quote(t.name)).join(', ')}];`,
    '/** Kinds of the message sections, in the order a message carries them (provides="section"). */',
    `export const SECTION_KINDS: readonly AmqpCompositeKind[] = [${providers('section').map((t) => quote(t.name)).join(', ')}];`,
    `/** A performative of an AMQP frame. */`,
    `export type Performative = ${providers('frame').map((t) => tsName(t.name)).join(' | ')};`,
    `/** A performative to encode into an AMQP frame. */`,
    `export type PerformativeInit = ${providers('frame').map((t) => `(${tsName(t.name)}Init & { kind: ${quote(t.name)} })`).join(' | ')};`,
    `/** A performative of a SASL frame. */`,
    `export type SaslPerformative = ${providers('sasl-frame').map((t) => tsName(t.name)).join(' | ')};`,
    `/** A SASL performative to encode. */`,
    `export type SaslPerformativeInit = ${providers('sasl-frame').map((t) => `(${tsName(t.name)}Init & { kind: ${quote(t.name)} })`).join(' | ')};`,
    `/** A delivery state (transfer and disposition state). */`,
    `export type DeliveryState = ${providers('delivery-state').map((t) => tsName(t.name)).join(' | ')};`,
    `/** An outcome (source default-outcome, transactional-state outcome). */`,
    `export type Outcome = ${providers('outcome').map((t) => tsName(t.name)).join(' | ')};`,
    `/** A message section. */`,
    `export type Section = ${providers('section').map((t) => tsName(t.name)).join(' | ')};`,
    '',
    '/** Field layout of each composite, for tests and tools: spec name, property, mandatory, multiple, default. */',
    'export const COMPOSITE_FIELDS: Record<AmqpCompositeKind, ReadonlyArray<{ name: string; prop: string; type: string; mandatory: boolean; multiple: boolean; hasDefault: boolean; kinds?: readonly AmqpCompositeKind[]; choices?: readonly (number | boolean)[] }>> = {',
    ...described.map((t) => {
      const fs = plans.get(t.name)!;
      if (fs.length === 0) return `  ${quote(t.name)}: [],`;
      return [
        `  ${quote(t.name)}: [`,
        ...fs.map(
          (f) =>
            `    { name: ${quote(f.spec.name)}, prop: ${quote(f.prop)}, type: ${quote(f.spec.type === '*' ? '*' : resolvePrimitive(f.spec.type, t.name).primitive.replace(/^composite:/, ''))}, mandatory: ${f.spec.mandatory}, multiple: ${f.spec.multiple}, hasDefault: ${f.defaultLiteral !== undefined}${f.kinds ? `, kinds: [${f.kinds.map(quote).join(', ')}]` : ''}${f.choiceValues ? `, choices: [${f.choiceValues.join(', ')}]` : ''} },`,
        ),
        '  ],',
      ].join('\n');
    }),
    '};',
    '',
  );
  return out.join('\n');
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const specArg = argv.indexOf('--spec');
  const specDir = resolve(
    specArg >= 0 ? (argv[specArg + 1] ?? fail('--spec needs a path')) : (process.env.AMQP10_SPEC ?? DEFAULT_SPEC_DIR),
  );
  const outPath = resolve(REPO_ROOT, OUTPUT_PATH);
  if (!existsSync(specDir)) {
    if (check) {
      console.log(`codegen:amqp10:check: spec not found at ${specDir} (a clone without ../shared?); skipping the check.`);
      return 0;
    }
    console.error(`codegen:amqp10: spec not found at ${specDir}; pass --spec DIR or set AMQP10_SPEC.`);
    return 1;
  }
  const text = generate(loadSpec(specDir));
  const current = existsSync(outPath) ? readFileSync(outPath, 'utf8') : undefined;
  const rel = relative(process.cwd(), outPath) || outPath;
  if (check) {
    if (current === text) {
      console.log(`codegen:amqp10:check: ${rel} is up to date with ${specDir}.`);
      return 0;
    }
    console.error(
      `codegen:amqp10:check: ${rel} is ${current === undefined ? 'missing' : 'stale'}: it differs from what ` +
        `scripts/gen-amqp10.ts generates from ${specDir}. Run \`npm run codegen:amqp10\` and commit the result.`,
    );
    return 1;
  }
  if (current === text) {
    console.log(`codegen:amqp10: ${rel} unchanged.`);
  } else {
    writeFileSync(outPath, text);
    console.log(`codegen:amqp10: wrote ${rel}.`);
  }
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}

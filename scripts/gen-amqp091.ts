// Generates src/codec/amqp091/generated.ts from the machine-readable AMQP 0-9-1 specification with
// RabbitMQ's extensions (rabbitmq-codegen's amqp-rabbitmq-0.9.1.json): constants, reply codes split
// into soft (channel) and hard (connection) errors, class and method ids, one type and one
// encoder/decoder pair per method, the content-header properties, and the lookup by (class, method).
// Framing, field tables and primitive types are hand-written beside the output; this script only
// turns spec data into calls to them.
//
//   node --import tsx scripts/gen-amqp091.ts [--check] [--spec PATH]      (npm run codegen[:check])
//
// The spec path defaults to ../shared/specs/amqp-rabbitmq-0.9.1.json relative to the repository root;
// `--spec PATH` or AMQP091_SPEC=PATH overrides it. `--check` regenerates in memory and exits 1 if the
// committed file differs; when the spec is absent (a fresh clone without ../shared) it says so and
// exits 0, because the committed output is then the only copy of the spec we have.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** One argument of a method, or one content property. */
export interface SpecField {
  name: string;
  type?: string;
  domain?: string;
  'default-value'?: unknown;
}

export interface SpecMethod {
  name: string;
  id: number;
  arguments: SpecField[];
  synchronous?: boolean;
  content?: boolean;
}

export interface SpecClass {
  name: string;
  id: number;
  methods: SpecMethod[];
  properties?: SpecField[];
}

export interface SpecConstant {
  name: string;
  value: number;
  class?: string;
}

/** The parts of rabbitmq-codegen's JSON format that the generator reads. */
export interface Spec {
  name: string;
  'major-version': number;
  'minor-version': number;
  revision: number;
  port: number;
  copyright: string[];
  domains: [string, string][];
  constants: SpecConstant[];
  classes: SpecClass[];
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the output goes, relative to the repository root. */
export const OUTPUT_PATH = 'src/codec/amqp091/generated.ts';
const DEFAULT_SPEC_PATH = resolve(REPO_ROOT, '../shared/specs/amqp-rabbitmq-0.9.1.json');

/** The wire types the spec uses, and how each is read, written and typed. */
const PRIMITIVES: Record<string, { ts: string; tsInput: string; read: string; write: string }> = {
  octet: { ts: 'number', tsInput: 'number', read: 'r.u8()', write: 'w.u8' },
  short: { ts: 'number', tsInput: 'number', read: 'r.u16()', write: 'w.u16' },
  long: { ts: 'number', tsInput: 'number', read: 'r.u32()', write: 'w.u32' },
  longlong: { ts: 'number', tsInput: 'number', read: 'r.u64()', write: 'w.u64' },
  timestamp: { ts: 'number', tsInput: 'number', read: 'r.u64()', write: 'w.u64' },
  shortstr: { ts: 'string', tsInput: 'string', read: 'r.shortstr()', write: 'w.shortstr' },
  longstr: { ts: 'Buffer', tsInput: 'string | Uint8Array', read: 'r.longstr()', write: 'w.longstr' },
  table: { ts: 'FieldTable', tsInput: 'FieldTable', read: 'readFieldTable(r)', write: 'writeFieldTable' },
  bit: { ts: 'boolean', tsInput: 'boolean', read: '', write: '' },
};

function pascal(name: string): string {
  return name
    .split('-')
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

function fail(message: string): never {
  throw new Error(`gen-amqp091: ${message}`);
}

/** Generates the TypeScript module text from the spec. Pure and deterministic. */
export function generate(spec: Spec): string {
  const domains = new Map(spec.domains);
  const resolveType = (f: SpecField, where: string): string => {
    let t = f.type ?? f.domain ?? fail(`${where}: field ${f.name} has neither type nor domain`);
    for (let hops = 0; !(t in PRIMITIVES); hops++) {
      const next = domains.get(t);
      if (next === undefined || hops > 10) fail(`${where}: field ${f.name}: unknown type or domain ${t}`);
      t = next;
    }
    return t;
  };
  const literal = (value: unknown, type: string, where: string): string => {
    if (type === 'bit') return value ? 'true' : 'false';
    if (type === 'table') {
      if (typeof value === 'object' && value !== null && Object.keys(value).length === 0) return 'EMPTY_TABLE';
      fail(`${where}: only empty tables are supported as defaults`);
    }
    if (PRIMITIVES[type]!.ts === 'number') {
      if (typeof value !== 'number') fail(`${where}: default ${JSON.stringify(value)} is not a number`);
      return String(value);
    }
    if (typeof value !== 'string') fail(`${where}: default ${JSON.stringify(value)} is not a string`);
    return quote(value);
  };

  const out: string[] = [];
  const emit = (...lines: string[]): void => {
    out.push(...lines);
  };

  emit(
    '// GENERATED FILE: DO NOT EDIT. Made by scripts/gen-amqp091.ts from rabbitmq-codegen\'s',
    `// amqp-rabbitmq-0.9.1.json (${spec.name} ${spec['major-version']}-${spec['minor-version']}-${spec.revision} with RabbitMQ's extensions).`,
    '// Run `npm run codegen` after changing the generator; `npm run codegen:check` fails when this is stale.',
    '//',
    '// Owns the per-method argument layouts, content properties, constants and reply codes. Framing is in',
    '// frame-decoder.ts and frame-encoder.ts; field tables in field-table.ts; primitive types in',
    '// byte-reader.ts and byte-writer.ts. Consecutive bit arguments share an octet, lowest bit first.',
    '//',
    '// The specification data carries this notice:',
    '//',
    ...spec.copyright
      .join('')
      .trimEnd()
      .split('\n')
      .map((line) => `//   ${line}`.trimEnd()),
    '',
    "import type { ByteReader } from './byte-reader.ts';",
    "import type { ByteWriter } from './byte-writer.ts';",
    "import { Amqp091DecodeError } from './errors.ts';",
    "import { readFieldTable, writeFieldTable, type FieldTable } from './field-table.ts';",
    '',
    '/** Protocol version spoken, as sent in the protocol header. */',
    `export const PROTOCOL_VERSION = { major: ${spec['major-version']}, minor: ${spec['minor-version']}, revision: ${spec.revision} } as const;`,
    '',
    '/** IANA port for AMQP over TCP (amqps uses 5671). */',
    `export const DEFAULT_PORT = ${spec.port};`,
    '',
  );

  // Constants: frame types and sizes, then reply codes grouped by their spec class.
  const groups = new Map<string, SpecConstant[]>();
  for (const c of spec.constants) {
    if (c.class === undefined) {
      emit(`export const ${constName(c.name)} = ${c.value};`);
    } else {
      const list = groups.get(c.class) ?? [];
      list.push(c);
      groups.set(c.class, list);
    }
  }
  const groupDocs: Record<string, string[]> = {
    'soft-error': [
      'Soft errors (spec class "soft-error"): channel-level. The peer closes only the channel, with',
      'channel.close carrying the code; the connection stays open.',
    ],
    'hard-error': [
      'Hard errors (spec class "hard-error"): connection-level. The peer closes the whole connection',
      'with connection.close carrying the code.',
    ],
  };
  const groupNames: string[] = [];
  for (const [cls, list] of [...groups].sort(([a], [b]) => (a < b ? 1 : a > b ? -1 : 0))) {
    const doc = groupDocs[cls] ?? fail(`unknown constant class ${cls}`);
    const name = constName(cls);
    groupNames.push(name);
    emit('', '/**', ...doc.map((l) => ` * ${l}`), ' */', `export const ${name} = {`);
    for (const c of list) emit(`  ${constName(c.name)}: ${c.value},`);
    emit('} as const;');
  }
  const success = spec.constants.find((c) => c.name === 'REPLY-SUCCESS') ?? fail('no REPLY-SUCCESS constant');
  emit(
    '',
    '/** Every reply code by its spec name: success, soft and hard errors. */',
    `export const REPLY_CODE = { REPLY_SUCCESS: ${success.value}, ${groupNames.map((n) => `...${n}`).join(', ')} } as const;`,
    '',
    '/** A reply code\'s spec name, e.g. `NOT_FOUND`. */',
    'export type ReplyCodeName = keyof typeof REPLY_CODE;',
    '',
    'const REPLY_CODE_NAMES = new Map<number, ReplyCodeName>(',
    '  (Object.keys(REPLY_CODE) as ReplyCodeName[]).map((name) => [REPLY_CODE[name], name]),',
    ');',
    '',
    '/** The spec name of a reply code, or undefined for a code the spec does not define. */',
    'export function replyCodeName(replyCode: number): ReplyCodeName | undefined {',
    '  return REPLY_CODE_NAMES.get(replyCode);',
    '}',
    '',
    '/** Whether a reply code is a hard error, i.e. closes the connection rather than the channel. */',
    'export function isHardError(replyCode: number): boolean {',
    '  return (Object.values(HARD_ERROR) as number[]).includes(replyCode);',
    '}',
    '',
    '/** Class ids by spec class name. */',
    'export const CLASS_ID = {',
    ...spec.classes.map((c) => `  ${c.name}: ${c.id},`),
    '} as const;',
    '',
    '/** A method\'s spec name, `class.method`, e.g. `basic.publish`. */',
    'export type MethodName =',
    ...spec.classes.flatMap((c) => c.methods.map((m) => `  | '${c.name}.${m.name}'`)),
    ';',
    '',
    '/** An empty table, the spec default for table arguments. */',
    'const EMPTY_TABLE: FieldTable = new Map();',
    '',
    '/** The wire types of method arguments and content properties (domains resolved). */',
    `export type WireType = ${Object.keys(PRIMITIVES).map((t) => `'${t}'`).join(' | ')};`,
    '',
    '/** One method argument or content property, for introspection and tests. */',
    'export interface FieldInfo {',
    '  /** Property name in the TypeScript types (camelCase). */',
    '  readonly name: string;',
    '  /** Name in the spec, e.g. `routing-key`. */',
    '  readonly specName: string;',
    '  readonly type: WireType;',
    '}',
  );

  // Per method: decoded type, input type with the spec defaults optional, encoder and decoder.
  interface MethodEntry {
    cls: SpecClass;
    m: SpecMethod;
    fullName: string;
    typeName: string;
    fields: { prop: string; specName: string; type: string }[];
  }
  const methods: MethodEntry[] = [];
  const seenIds = new Set<number>();
  for (const cls of spec.classes) {
    emit('', `// ---- ${cls.name} (class ${cls.id}) ${'-'.repeat(Math.max(0, 80 - cls.name.length - 22))}`);
    for (const m of cls.methods) {
      const fullName = `${cls.name}.${m.name}`;
      const typeName = pascal(cls.name) + pascal(m.name);
      const key = cls.id * 65536 + m.id;
      if (seenIds.has(key)) fail(`duplicate method id (${cls.id}, ${m.id}) at ${fullName}`);
      seenIds.add(key);
      const fields = m.arguments.map((a) => ({
        a,
        prop: camel(a.name),
        type: resolveType(a, fullName),
        hasDefault: 'default-value' in a,
      }));
      methods.push({ cls, m, fullName, typeName, fields: fields.map((f) => ({ prop: f.prop, specName: f.a.name, type: f.type })) });
      const traits = [m.synchronous ? 'synchronous' : 'asynchronous', ...(m.content ? ['carries content'] : [])];
      const doc = `/** ${fullName} (class ${cls.id}, method ${m.id}): ${traits.join(', ')}. */`;
      if (fields.length === 0) {
        emit('', doc, `export type ${typeName} = Record<string, never>;`);
        emit('', `/** Arguments to encode ${fullName}: none. */`, `export type ${typeName}Input = Record<string, never>;`);
      } else {
        emit('', doc, `export interface ${typeName} {`);
        for (const f of fields) emit(`  ${f.prop}: ${PRIMITIVES[f.type]!.ts};`);
        emit('}');
        emit('', `/** Arguments to encode ${fullName}; those with a spec default may be left out. */`);
        emit(`export interface ${typeName}Input {`);
        for (const f of fields) {
          if (f.hasDefault) {
            emit(`  /** Default: ${literal(f.a['default-value'], f.type, fullName).replace('EMPTY_TABLE', 'empty table')}. */`);
          }
          emit(`  ${f.prop}${f.hasDefault ? '?' : ''}: ${PRIMITIVES[f.type]!.tsInput};`);
        }
        emit('}');
      }

      // Encoder.
      const valueOf = (f: (typeof fields)[number]): string =>
        f.hasDefault ? `a.${f.prop} ?? ${literal(f.a['default-value'], f.type, fullName)}` : `a.${f.prop}`;
      const enc: string[] = [];
      let encBitVars = 0;
      for (let i = 0; i < fields.length; ) {
        const f = fields[i]!;
        if (f.type === 'bit') {
          const v = `bits${encBitVars++}`;
          enc.push(`let ${v} = 0;`);
          for (let bit = 0; i < fields.length && fields[i]!.type === 'bit' && bit < 8; bit++) {
            enc.push(`if (${valueOf(fields[i++]!)}) ${v} |= ${1 << bit};`);
          }
          enc.push(`w.u8(${v});`);
        } else {
          const prim = PRIMITIVES[f.type]!;
          enc.push(f.type === 'table' ? `${prim.write}(w, ${valueOf(f)});` : `${prim.write}(${valueOf(f)});`);
          i++;
        }
      }
      emit('', `/** Writes the arguments of ${fullName}. */`);
      if (enc.length === 0) {
        emit(`export function encode${typeName}(_w: ByteWriter, _a: ${typeName}Input): void {}`);
      } else {
        emit(`export function encode${typeName}(w: ByteWriter, a: ${typeName}Input): void {`, ...enc.map((l) => `  ${l}`), '}');
      }

      // Decoder: an object literal evaluates in source order, which is wire order.
      const dec: string[] = [];
      let bitVars = 0;
      for (let i = 0; i < fields.length; ) {
        const f = fields[i]!;
        if (f.type === 'bit') {
          const v = `bits${bitVars++}`;
          let bit = 0;
          while (i < fields.length && fields[i]!.type === 'bit' && bit < 8) {
            const b = fields[i++]!;
            dec.push(bit === 0 ? `${b.prop}: ((${v} = r.u8()) & 1) !== 0,` : `${b.prop}: (${v} & ${1 << bit}) !== 0,`);
            bit++;
          }
        } else {
          dec.push(`${f.prop}: ${PRIMITIVES[f.type]!.read},`);
          i++;
        }
      }
      emit('', `/** Reads the arguments of ${fullName}; throws Amqp091DecodeError on truncation or a bad value. */`);
      if (dec.length === 0) {
        emit(`export function decode${typeName}(_r: ByteReader): ${typeName} {`, '  return {};', '}');
      } else {
        emit(`export function decode${typeName}(r: ByteReader): ${typeName} {`);
        if (bitVars > 0) emit(`  let ${Array.from({ length: bitVars }, (_, k) => `bits${k} = 0`).join(', ')};`);
        emit('  return {', ...dec.map((l) => `    ${l}`), '  };', '}');
      }
    }
  }

  // Tables over all methods.
  emit(
    '',
    '// ---- methods by name and by id ----------------------------------------------------------',
    '',
    '/** Decoded arguments by method name. */',
    'export interface MethodArgs {',
    ...methods.map((e) => `  '${e.fullName}': ${e.typeName};`),
    '}',
    '',
    '/** Arguments to encode, by method name. */',
    'export interface MethodInputArgs {',
    ...methods.map((e) => `  '${e.fullName}': ${e.typeName}Input;`),
    '}',
    '',
    '/** A decoded method, discriminated by `name`. */',
    'export type Amqp091Method = {',
    '  [N in MethodName]: {',
    '    readonly name: N;',
    '    readonly classId: number;',
    '    readonly methodId: number;',
    '    readonly args: MethodArgs[N];',
    '  };',
    '}[MethodName];',
    '',
    '/** Static facts about a method from the spec. */',
    'export interface MethodInfo {',
    '  readonly name: MethodName;',
    '  readonly classId: number;',
    '  readonly methodId: number;',
    '  /** The spec marks it synchronous: the peer answers with a matching -ok method. */',
    '  readonly synchronous: boolean;',
    '  /** A content header and body frames follow it. */',
    '  readonly hasContent: boolean;',
    '  /** Its arguments in wire order. */',
    '  readonly fields: readonly FieldInfo[];',
    '}',
    '',
    '/** Every method by name. */',
    'export const METHOD_INFO: { readonly [N in MethodName]: MethodInfo & { readonly name: N } } = {',
    ...methods.flatMap((e) => [
      `  '${e.fullName}': {`,
      `    name: '${e.fullName}',`,
      `    classId: ${e.cls.id},`,
      `    methodId: ${e.m.id},`,
      `    synchronous: ${!!e.m.synchronous},`,
      `    hasContent: ${!!e.m.content},`,
      ...(e.fields.length === 0
        ? ['    fields: [],']
        : [
            '    fields: [',
            ...e.fields.map((f) => `      { name: '${f.prop}', specName: '${f.specName}', type: '${f.type}' },`),
            '    ],',
          ]),
      '  },',
    ]),
    '};',
    '',
    'const METHOD_INFO_BY_ID = new Map<number, MethodInfo>(',
    '  Object.values(METHOD_INFO).map((info: MethodInfo) => [info.classId * 65536 + info.methodId, info]),',
    ');',
    '',
    '/** The method with this (class-id, method-id), or undefined if the spec defines none. */',
    'export function lookupMethod(classId: number, methodId: number): MethodInfo | undefined {',
    '  return METHOD_INFO_BY_ID.get(classId * 65536 + methodId);',
    '}',
    '',
    '/**',
    ' * Reads the arguments of method (classId, methodId); undefined if the spec defines no such method.',
    ' * Throws Amqp091DecodeError on truncated or bad arguments; trailing octets are the caller\'s check.',
    ' */',
    'export function decodeMethodArgs(classId: number, methodId: number, r: ByteReader): Amqp091Method | undefined {',
    '  switch (classId * 65536 + methodId) {',
  );
  for (const e of methods) {
    const ret = `      return { name: '${e.fullName}', classId: ${e.cls.id}, methodId: ${e.m.id}, args: decode${e.typeName}(r) };`;
    emit(`    case ${e.cls.id * 65536 + e.m.id}: // (${e.cls.id}, ${e.m.id})`);
    if (ret.length <= 120) {
      emit(ret);
    } else {
      emit(
        '      return {',
        `        name: '${e.fullName}',`,
        `        classId: ${e.cls.id},`,
        `        methodId: ${e.m.id},`,
        `        args: decode${e.typeName}(r),`,
        '      };',
      );
    }
  }
  emit(
    '    default:',
    '      return undefined;',
    '  }',
    '}',
    '',
    '/** Writes class-id, method-id and the arguments of a method: a method frame\'s payload. */',
    'export function encodeMethodPayload<N extends MethodName>(',
    '  w: ByteWriter,',
    '  name: N,',
    '  args: MethodInputArgs[N],',
    '): void {',
    '  const a: MethodInputArgs[MethodName] = args;',
    '  switch (name as MethodName) {',
  );
  for (const e of methods) {
    emit(
      `    case '${e.fullName}':`,
      `      w.u16(${e.cls.id});`,
      `      w.u16(${e.m.id});`,
      `      return encode${e.typeName}(w, a as ${e.typeName}Input);`,
    );
  }
  emit('    default:', '      throw new RangeError(`unknown AMQP method ${String(name)}`);', '  }', '}');

  // Content properties.
  const contentClasses = spec.classes.filter((c) => (c.properties ?? []).length > 0);
  for (const cls of contentClasses) {
    const props = cls.properties!.map((p) => ({ p, prop: camel(p.name), type: resolveType(p, `${cls.name} properties`) }));
    if (props.length > 15) fail(`${cls.name}: more than 15 properties needs continuation flag words`);
    const typeName = `${pascal(cls.name)}Properties`;
    const flag = (i: number): string => `0x${(0x8000 >> i).toString(16).padStart(4, '0')}`;
    const unusedMask = `0x${((1 << (16 - props.length)) - 1).toString(16).padStart(4, '0')}`;
    emit(
      '',
      `// ---- ${cls.name} content properties ${'-'.repeat(Math.max(0, 80 - cls.name.length - 24))}`,
      '',
      `/** Content-header properties of class ${cls.name} (${cls.id}); absent properties are left out. */`,
      `export interface ${typeName} {`,
      ...props.map((x) => `  ${x.prop}?: ${PRIMITIVES[x.type]!.ts};`),
      '}',
      '',
      `/** The property-flags bit of each ${cls.name} property (bit 15 is the first property). */`,
      `export const ${constName(cls.name)}_PROPERTY_FLAG = {`,
      ...props.map((x, i) => `  ${x.prop}: ${flag(i)},`),
      '} as const;',
      '',
      `/** The ${cls.name} properties in wire order, with their types and flag bits. */`,
      `export const ${constName(cls.name)}_PROPERTY_LIST: readonly (FieldInfo & { readonly flag: number })[] = [`,
      ...props.map((x, i) => `  { name: '${x.prop}', specName: '${x.p.name}', type: '${x.type}', flag: ${flag(i)} },`),
      '];',
      '',
      '/**',
      ` * Writes property flags and the present ${cls.name} properties: a content header after its body size.`,
      ' */',
      `export function encode${typeName}(w: ByteWriter, p: ${typeName}): void {`,
      '  let flags = 0;',
      ...props.map((x, i) =>
        x.type === 'bit'
          ? `  if (p.${x.prop} === true) flags |= ${flag(i)};`
          : `  if (p.${x.prop} !== undefined) flags |= ${flag(i)};`,
      ),
      '  w.u16(flags);',
    );
    for (const x of props) {
      if (x.type === 'bit') continue;
      const prim = PRIMITIVES[x.type]!;
      emit(
        x.type === 'table'
          ? `  if (p.${x.prop} !== undefined) ${prim.write}(w, p.${x.prop});`
          : `  if (p.${x.prop} !== undefined) ${prim.write}(p.${x.prop});`,
      );
    }
    emit(
      '}',
      '',
      `/** Reads property flags and the ${cls.name} properties they name. */`,
      `export function decode${typeName}(r: ByteReader): ${typeName} {`,
      '  const flags = r.u16();',
      `  if ((flags & ${unusedMask}) !== 0) {`,
      `    throw new Amqp091DecodeError('BAD_PROPERTY_FLAGS', 'SYNTAX_ERROR', 'property flags name no ${cls.name} property', {`,
      `      classId: ${cls.id},`,
      '    });',
      '  }',
      `  const p: ${typeName} = {};`,
    );
    props.forEach((x, i) => {
      emit(
        x.type === 'bit'
          ? `  if ((flags & ${flag(i)}) !== 0) p.${x.prop} = true;`
          : `  if ((flags & ${flag(i)}) !== 0) p.${x.prop} = ${PRIMITIVES[x.type]!.read};`,
      );
    });
    emit('  return p;', '}');
  }
  emit(
    '',
    '/** Properties of any content class. */',
    `export type ContentProperties = ${contentClasses.map((c) => `${pascal(c.name)}Properties`).join(' | ')};`,
    '',
    '/** Class ids that carry content (have content-header properties). */',
    `export const CONTENT_CLASS_IDS: readonly number[] = [${contentClasses.map((c) => c.id).join(', ')}];`,
    '',
    '/** Reads the properties of a content header of class `classId`; undefined for a class without content. */',
    'export function decodeContentProperties(classId: number, r: ByteReader): ContentProperties | undefined {',
    '  switch (classId) {',
    ...contentClasses.flatMap((c) => [`    case ${c.id}:`, `      return decode${pascal(c.name)}Properties(r);`]),
    '    default:',
    '      return undefined;',
    '  }',
    '}',
    '',
  );
  return out.join('\n');
}

function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Loads and minimally validates the spec JSON. */
export function loadSpec(path: string): Spec {
  const spec = JSON.parse(readFileSync(path, 'utf8')) as Spec;
  if (!Array.isArray(spec.classes) || !Array.isArray(spec.constants) || !Array.isArray(spec.domains)) {
    fail(`${path} is not an rabbitmq-codegen AMQP spec (no classes, constants or domains)`);
  }
  return spec;
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const specArg = argv.indexOf('--spec');
  const specPath = resolve(
    specArg >= 0 ? (argv[specArg + 1] ?? fail('--spec needs a path')) : (process.env.AMQP091_SPEC ?? DEFAULT_SPEC_PATH),
  );
  const outPath = resolve(REPO_ROOT, OUTPUT_PATH);
  if (!existsSync(specPath)) {
    if (check) {
      console.log(`codegen:check: spec not found at ${specPath} (a clone without ../shared?); skipping the check.`);
      return 0;
    }
    console.error(`codegen: spec not found at ${specPath}; pass --spec PATH or set AMQP091_SPEC.`);
    return 1;
  }
  const text = generate(loadSpec(specPath));
  const current = existsSync(outPath) ? readFileSync(outPath, 'utf8') : undefined;
  const rel = relative(process.cwd(), outPath) || outPath;
  if (check) {
    if (current === text) {
      console.log(`codegen:check: ${rel} is up to date with ${specPath}.`);
      return 0;
    }
    console.error(
      `codegen:check: ${rel} is ${current === undefined ? 'missing' : 'stale'}: it differs from what ` +
        `scripts/gen-amqp091.ts generates from ${specPath}. Run \`npm run codegen\` and commit the result.`,
    );
    return 1;
  }
  if (current === text) {
    console.log(`codegen: ${rel} unchanged.`);
  } else {
    writeFileSync(outPath, text);
    console.log(`codegen: wrote ${rel}.`);
  }
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}

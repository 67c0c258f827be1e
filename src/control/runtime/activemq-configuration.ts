// What the ActiveMQ engine takes from an Amazon MQ ActiveMQ configuration (the broker's XML, as the
// Configurations API stores it): the authorization entries of an `authorizationPlugin`, which
// become the engine's destination permissions. The rest of the document (persistence adapters,
// transport connectors, memory limits) is Amazon MQ's to manage and is ignored here, as Amazon MQ
// sanitizes it. Parsing is deliberately small: no DTDs, entities beyond the five predefined, or
// namespaces are interpreted, so an uploaded document cannot make the parser fetch or expand anything.
//
//   <authorizationPlugin><map><authorizationMap><authorizationEntries>
//     <authorizationEntry queue="orders.>" read="readers,admins" write="writers" admin="admins"/>
//     <authorizationEntry topic=">" read="*" write="admins" admin="admins"/>
//   </authorizationEntries></authorizationMap></map></authorizationPlugin>
//
// A document whose authorization entries cannot be understood fails the broker's start (closed,
// not open): serving with permissions other than the ones configured would be worse than not serving.
import type { AuthorizationEntry } from '../../core/activemq/authorization.ts';

/** The configuration data is too large or an authorization entry is malformed; the message names which. */
export class ActiveMqConfigurationError extends Error {
  readonly code = 'INVALID_CONFIGURATION';
  constructor(message: string) {
    super(message);
    this.name = 'ActiveMqConfigurationError';
  }
}

/** The settings of an ActiveMQ configuration that SealMQ's engine applies. */
export interface ActiveMqConfiguration {
  /** Empty: no authorizationPlugin, every authenticated user may use every destination. */
  readonly authorizationEntries: readonly AuthorizationEntry[];
}

/** A bound on what this parser reads: larger documents are refused. */
export const CONFIGURATION_TEXT_MAX_CHARS = 1024 * 1024;
const ENTRIES_MAX = 10_000;

const PREDEFINED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(value: string): string {
  return value.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-z]{1,8});/g, (_whole, name: string) => {
    if (name.startsWith('#')) {
      const codePoint = name.startsWith('#x') ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
      if (codePoint > 0x10ffff) throw new ActiveMqConfigurationError('authorizationEntry: a character reference out of range');
      return String.fromCodePoint(codePoint);
    }
    const decoded = PREDEFINED_ENTITIES[name];
    if (decoded === undefined) throw new ActiveMqConfigurationError('authorizationEntry: an unknown entity (only &amp; &lt; &gt; &quot; &apos; and character references)');
    return decoded;
  });
}

/** The attributes of one start tag's text (after the element name). */
function parseAttributes(text: string, element: string): Map<string, string> {
  const attributes = new Map<string, string>();
  const pattern = /\s*([A-Za-z_:][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/gy;
  let at = 0;
  for (;;) {
    const rest = text.slice(at);
    if (/^\s*\/?\s*$/.test(rest)) break;
    pattern.lastIndex = at;
    const match = pattern.exec(text);
    if (match === null) throw new ActiveMqConfigurationError(`${element}: malformed attributes`);
    const name = match[1]!;
    if (attributes.has(name)) throw new ActiveMqConfigurationError(`${element}: attribute ${name} given twice`);
    attributes.set(name, decodeEntities(match[3] ?? match[4] ?? ''));
    at = pattern.lastIndex;
  }
  return attributes;
}

function groupList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((g) => g.trim())
    .filter((g) => g !== '');
}

/**
 * Reads the authorization entries of an ActiveMQ configuration (plain XML text). Entries inside
 * comments do not count; each entry names exactly one of `queue` or `topic` (a destination pattern)
 * and groups for `read`, `write` and `admin`.
 */
export function parseActiveMqConfiguration(xml: string): ActiveMqConfiguration {
  if (xml.length > CONFIGURATION_TEXT_MAX_CHARS) throw new ActiveMqConfigurationError(`the configuration is larger than ${CONFIGURATION_TEXT_MAX_CHARS} characters`);
  const text = xml.replace(/<!--[\s\S]*?-->/g, '').replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '');
  if (/<!DOCTYPE/i.test(text)) throw new ActiveMqConfigurationError('the configuration may not have a DOCTYPE');
  const entries: AuthorizationEntry[] = [];
  const pluginMatch = /<(?:[\w-]+:)?authorizationPlugin\b/.test(text);
  for (const match of text.matchAll(/<(?:[\w-]+:)?authorizationEntry\b((?:[^>"']|"[^"]*"|'[^']*')*)>/g)) {
    if (entries.length >= ENTRIES_MAX) throw new ActiveMqConfigurationError(`more than ${ENTRIES_MAX} authorization entries`);
    const attributes = parseAttributes(match[1]!, 'authorizationEntry');
    const queue = attributes.get('queue');
    const topic = attributes.get('topic');
    if ((queue === undefined) === (topic === undefined)) {
      throw new ActiveMqConfigurationError('authorizationEntry: give exactly one of queue or topic');
    }
    const pattern = (queue ?? topic)!.trim();
    if (pattern === '' || /[\s/]/.test(pattern)) throw new ActiveMqConfigurationError('authorizationEntry: the destination pattern is empty or has spaces or slashes');
    for (const name of attributes.keys()) {
      if (!['queue', 'topic', 'read', 'write', 'admin'].includes(name)) throw new ActiveMqConfigurationError(`authorizationEntry: unknown attribute ${name}`);
    }
    entries.push({
      kind: queue !== undefined ? 'queue' : 'topic',
      pattern,
      read: groupList(attributes.get('read')),
      write: groupList(attributes.get('write')),
      admin: groupList(attributes.get('admin')),
    });
  }
  if (pluginMatch && entries.length === 0) {
    // An authorizationPlugin with no entries in ActiveMQ refuses every destination; say so rather
    // than silently allowing everything, which is what "no entries" means to the engine.
    throw new ActiveMqConfigurationError('the authorizationPlugin has no authorizationEntry: give at least one, or remove the plugin');
  }
  return { authorizationEntries: entries };
}

/** Reads the configuration as the API stores it (base64 data). */
export function parseActiveMqConfigurationData(base64: string): ActiveMqConfiguration {
  if (base64 === '') return { authorizationEntries: [] };
  return parseActiveMqConfiguration(Buffer.from(base64, 'base64').toString('utf8'));
}

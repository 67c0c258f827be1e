// ActiveMQ-style destination authorization (Amazon MQ's ActiveMQ `authorizationEntries`): entries of
// {kind, pattern, read, write, admin} naming groups; a user's groups come from its core user tags
// (`group:<name>`, one tag per Amazon MQ group). What each operation needs (send = write, subscribe =
// read, creating a destination or durable subscription = admin) and the audit of refusals are the
// engine's (engine.ts); this file only answers "may these groups do this here".
//
// As ActiveMQ's DefaultAuthorizationMap: the groups of every entry whose pattern matches are
// unioned; with entries configured, a destination no entry matches is refused; without entries every
// authenticated user may do everything (Amazon MQ's default ActiveMQ configuration). The group `*`
// matches every user. `ActiveMQ.Advisory.>` topics are always allowed.

import { destinationMatches, splitDestinationName } from './destinations.ts';

export type AuthorizationOperation = 'read' | 'write' | 'admin';

export interface AuthorizationEntry {
  readonly kind: 'queue' | 'topic';
  /** An ActiveMQ destination pattern (`*` one segment, `>` the rest). */
  readonly pattern: string;
  readonly read: readonly string[];
  readonly write: readonly string[];
  readonly admin: readonly string[];
}

/** The core user tag that carries an Amazon MQ group. */
export const GROUP_TAG_PREFIX = 'group:';

/** Core user tags for Amazon MQ groups (`groups: ['admins']` -> `['group:admins']`). */
export function groupTags(groups: readonly string[]): string[] {
  return groups.map((g) => `${GROUP_TAG_PREFIX}${g}`);
}

/** The Amazon MQ groups a core user's tags carry. */
export function groupsOfTags(tags: readonly string[]): string[] {
  return tags.filter((t) => t.startsWith(GROUP_TAG_PREFIX)).map((t) => t.slice(GROUP_TAG_PREFIX.length));
}

const ADVISORY_PREFIX = 'ActiveMQ.Advisory.';

/**
 * True when the entry pattern covers every name `name` can stand for: for a concrete name, a plain
 * match; for a subscription pattern with wildcards, each of its segments must be covered (`>`
 * covers anything left, `*` covers one segment or a `*`, a literal only itself).
 */
export function patternCovers(entryPattern: string, name: string): boolean {
  if (!name.includes('*') && !name.includes('>')) return destinationMatches(entryPattern, name);
  const entry = splitDestinationName(entryPattern);
  const target = splitDestinationName(name);
  for (let i = 0; i < entry.length; i++) {
    const e = entry[i]!;
    if (e === '>' && i === entry.length - 1) return true;
    const t = target[i];
    if (t === undefined) return false;
    if (t === '>') return false;
    if (e === '*') continue;
    if (e !== t) return false;
  }
  return entry.length === target.length;
}

/** Decides operations for a set of entries. */
export class Authorizer {
  readonly #entries: readonly AuthorizationEntry[];

  constructor(entries: readonly AuthorizationEntry[] = []) {
    this.#entries = entries;
  }

  get enabled(): boolean {
    return this.#entries.length > 0;
  }

  /** Whether a user with `groups` may perform `operation` on the queue or topic (or pattern) `name`. */
  allows(groups: readonly string[], operation: AuthorizationOperation, kind: 'queue' | 'topic', name: string): boolean {
    if (this.#entries.length === 0) return true;
    if (kind === 'topic' && name.startsWith(ADVISORY_PREFIX)) return true;
    for (const entry of this.#entries) {
      if (entry.kind !== kind || !patternCovers(entry.pattern, name)) continue;
      for (const group of entry[operation]) if (group === '*' || groups.includes(group)) return true;
    }
    return false;
  }
}

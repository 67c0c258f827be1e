// Broker users (hashed passwords, tags such as `administrator`) and their per-vhost permissions:
// configure/write/read regular expressions applied to resource names exactly as RabbitMQ applies
// them (docs/access-control.md: unanchored match, '' means "nothing", the default exchange is
// checked as `amq.default`). The username `guest` is refused and no user exists until one is
// added. Which operation needs which permission is decided by the channel (channel.ts).

import { brokerError } from './errors.ts';
import { DefinitionKind, type JsonValue, type MessageStore } from './message-store.ts';
import { hashPassword, verifyPassword, type PasswordHashOptions } from '../identity/password-hash.ts';

export const Permission = {
  CONFIGURE: 'configure',
  WRITE: 'write',
  READ: 'read',
} as const;
export type Permission = (typeof Permission)[keyof typeof Permission];

export interface BrokerUser {
  readonly name: string;
  readonly tags: readonly string[];
}

export interface VhostPermissions {
  readonly configure: string;
  readonly write: string;
  readonly read: string;
}

interface UserRecord {
  readonly name: string;
  passwordHash: string;
  tags: string[];
}

interface CompiledPermissions {
  readonly patterns: VhostPermissions;
  readonly configure: RegExp;
  readonly write: RegExp;
  readonly read: RegExp;
}

const REFUSED_USERNAMES = new Set(['guest']);

/** Compiles a permission pattern; RabbitMQ treats '' as '^$' (matches nothing a resource is named). */
function compilePattern(pattern: string): RegExp {
  try {
    return new RegExp(pattern === '' ? '^$' : pattern);
  } catch {
    throw brokerError('PRECONDITION_FAILED', `invalid permission pattern`);
  }
}

function permissionKey(username: string, vhost: string): string {
  return JSON.stringify([username, vhost]);
}

/** Users and permissions of one broker, kept as durable definitions in the MessageStore. */
export class UserRegistry {
  readonly #users = new Map<string, UserRecord>();
  readonly #permissions = new Map<string, CompiledPermissions>();
  /** Bumped on every change of users or permissions, so that callers may cache granted checks. */
  version = 0;
  /** A hash to verify against for unknown users, so their refusal takes the usual time. */
  #decoyHash: Promise<string> | undefined;

  constructor(
    readonly store: MessageStore,
    readonly hashing: PasswordHashOptions = {},
    /** Serialises definition writes with the broker's. */
    readonly writeDefinition: (write: (store: MessageStore) => Promise<unknown>) => Promise<void> = (w) => w(store).then(() => undefined),
  ) {}

  /** Loads users and permissions from the store's definitions (broker start). */
  async load(): Promise<void> {
    for (const def of await this.store.listDefinitions(DefinitionKind.USER)) {
      const r = def.record as { name: string; passwordHash: string; tags: string[] };
      this.#users.set(r.name, { name: r.name, passwordHash: r.passwordHash, tags: [...r.tags] });
    }
    for (const def of await this.store.listDefinitions(DefinitionKind.PERMISSION)) {
      const r = def.record as { user: string; vhost: string; configure: string; write: string; read: string };
      this.#permissions.set(permissionKey(r.user, r.vhost), this.#compile(r));
    }
  }

  #compile(patterns: VhostPermissions): CompiledPermissions {
    return {
      patterns: { configure: patterns.configure, write: patterns.write, read: patterns.read },
      configure: compilePattern(patterns.configure),
      write: compilePattern(patterns.write),
      read: compilePattern(patterns.read),
    };
  }

  #checkUsername(name: string): void {
    if (REFUSED_USERNAMES.has(name)) throw brokerError('NOT_ALLOWED', `the username '${name}' is not allowed`);
    if (name === '' || name.length > 255) throw brokerError('PRECONDITION_FAILED', 'invalid username');
  }

  #put(user: UserRecord): Promise<void> {
    this.version++;
    const record: JsonValue = { name: user.name, passwordHash: user.passwordHash, tags: user.tags };
    return this.writeDefinition((s) => s.putDefinition({ kind: DefinitionKind.USER, name: user.name, record }));
  }

  async addUser(name: string, password: string, tags: readonly string[] = []): Promise<BrokerUser> {
    this.#checkUsername(name);
    if (this.#users.has(name)) throw brokerError('PRECONDITION_FAILED', `user '${name}' already exists`);
    const user: UserRecord = { name, passwordHash: await hashPassword(password, this.hashing), tags: [...tags] };
    if (this.#users.has(name)) throw brokerError('PRECONDITION_FAILED', `user '${name}' already exists`);
    this.#users.set(name, user);
    await this.#put(user);
    return { name, tags: [...user.tags] };
  }

  /**
   * Adds a user, or replaces an existing user's password hash and tags, from a hash made elsewhere
   * (the control plane hashes Amazon MQ API passwords with identity/password-hash.ts and never hands
   * the password itself to the broker). Writes nothing when nothing changes.
   */
  async putUserWithHash(name: string, passwordHash: string, tags: readonly string[] = []): Promise<void> {
    this.#checkUsername(name);
    const existing = this.#users.get(name);
    if (existing !== undefined && existing.passwordHash === passwordHash && existing.tags.join('\n') === tags.join('\n')) return;
    const user: UserRecord = existing ?? { name, passwordHash, tags: [...tags] };
    user.passwordHash = passwordHash;
    user.tags = [...tags];
    this.#users.set(name, user);
    await this.#put(user);
  }

  async changePassword(name: string, password: string): Promise<void> {
    const user = this.#user(name);
    user.passwordHash = await hashPassword(password, this.hashing);
    await this.#put(user);
  }

  async setTags(name: string, tags: readonly string[]): Promise<void> {
    const user = this.#user(name);
    user.tags = [...tags];
    await this.#put(user);
  }

  async deleteUser(name: string): Promise<void> {
    this.#user(name);
    this.#users.delete(name);
    this.version++;
    const writes: Array<Promise<void>> = [this.writeDefinition((s) => s.deleteDefinition(DefinitionKind.USER, name))];
    for (const key of [...this.#permissions.keys()]) {
      const [user, vhost] = JSON.parse(key) as [string, string];
      if (user === name) writes.push(this.clearPermissions(user, vhost));
    }
    await Promise.all(writes);
  }

  #user(name: string): UserRecord {
    const user = this.#users.get(name);
    if (user === undefined) throw brokerError('NOT_FOUND', `no user '${name}'`);
    return user;
  }

  getUser(name: string): BrokerUser | undefined {
    const user = this.#users.get(name);
    return user === undefined ? undefined : { name: user.name, tags: [...user.tags] };
  }

  listUsers(): BrokerUser[] {
    return [...this.#users.values()].map((u) => ({ name: u.name, tags: [...u.tags] })).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /**
   * Checks a username and password (AMQP PLAIN/AMQPLAIN). Refusals are uniform ACCESS_REFUSED
   * connection errors whatever the cause (unknown user, `guest`, wrong password).
   */
  async authenticate(name: string, password: string): Promise<BrokerUser> {
    const user = REFUSED_USERNAMES.has(name) ? undefined : this.#users.get(name);
    const hash = user?.passwordHash ?? (await (this.#decoyHash ??= hashPassword(`decoy-${Math.random()}`, this.hashing)));
    const ok = await verifyPassword(password, hash);
    if (user === undefined || !ok) {
      throw brokerError('ACCESS_REFUSED', 'Login was refused using authentication mechanism PLAIN. For details see the broker logfile.', 'connection');
    }
    return { name: user.name, tags: [...user.tags] };
  }

  async setPermissions(username: string, vhost: string, permissions: VhostPermissions): Promise<void> {
    this.#user(username);
    const compiled = this.#compile(permissions);
    this.#permissions.set(permissionKey(username, vhost), compiled);
    this.version++;
    const record: JsonValue = { user: username, vhost, ...compiled.patterns };
    await this.writeDefinition((s) => s.putDefinition({ kind: DefinitionKind.PERMISSION, name: permissionKey(username, vhost), record }));
  }

  async clearPermissions(username: string, vhost: string): Promise<void> {
    if (!this.#permissions.delete(permissionKey(username, vhost))) return;
    this.version++;
    await this.writeDefinition((s) => s.deleteDefinition(DefinitionKind.PERMISSION, permissionKey(username, vhost)));
  }

  /** Removes every permission on a vhost (vhost deletion). */
  async clearVhost(vhost: string): Promise<void> {
    const writes: Array<Promise<void>> = [];
    for (const key of [...this.#permissions.keys()]) {
      const [user, v] = JSON.parse(key) as [string, string];
      if (v === vhost) writes.push(this.clearPermissions(user, v));
    }
    await Promise.all(writes);
  }

  getPermissions(username: string, vhost: string): VhostPermissions | undefined {
    return this.#permissions.get(permissionKey(username, vhost))?.patterns;
  }

  /** connection.open: a user may use a vhost only if it has permissions there (else 530 NOT_ALLOWED). */
  checkVhostAccess(username: string, vhost: string): void {
    if (!this.#users.has(username) || !this.#permissions.has(permissionKey(username, vhost))) {
      throw brokerError('NOT_ALLOWED', `access to vhost '${vhost}' refused for user '${username}'`);
    }
  }

  /**
   * Checks one permission on one resource; throws ACCESS_REFUSED (channel error) as RabbitMQ does:
   * "access to queue 'q' in vhost '/' refused for user 'u'".
   */
  check(username: string, vhost: string, permission: Permission, kind: 'queue' | 'exchange', resourceName: string): void {
    const compiled = this.#permissions.get(permissionKey(username, vhost));
    // The default exchange is named amq.default for permission checks.
    const name = kind === 'exchange' && resourceName === '' ? 'amq.default' : resourceName;
    if (compiled === undefined || !this.#users.has(username) || !compiled[permission].test(name)) {
      throw brokerError('ACCESS_REFUSED', `access to ${kind} '${name}' in vhost '${vhost}' refused for user '${username}'`);
    }
  }
}

// Amazon MQ's input rules with its error texts (aws-apis.md 1.3, 1.6, 1.7): broker and configuration
// names, engine types and deployment modes, usernames (no `guest` on RabbitMQ), passwords, groups,
// maintenance windows, LDAP metadata, tags. Each failure is a BadRequestException whose
// `errorAttribute` names the wire field. The guard rails (guard-rails.ts) run first on names, usernames
// and tags, so personal data is refused as such and never echoed by a rule's message.
import { checkNoCredentialUrl, checkNoPersonalData, findPersonalData } from '../guard-rails.ts';
import type { AuthenticationStrategy, DeploymentMode, EngineType, StorageType } from './ports.ts';
import type { LdapServerMetadataRecord } from './state.ts';
import { badRequest, readBoolean, readString, readStringList, type JsonObject } from './wire.ts';

/** Echoes an enum-like input only when it is short, plain and free of personal data. */
export function shown(value: string): string {
  return /^[A-Za-z0-9_.]{1,40}$/.test(value) && findPersonalData(value) === undefined ? value : '(not shown)';
}

function parseEnum<T extends string>(value: string, allowed: readonly T[], message: (shownValue: string) => string, field: string): T {
  const upper = value.toUpperCase();
  const found = allowed.find((candidate) => candidate === upper);
  if (found === undefined) throw badRequest(message(shown(value)), field);
  return found;
}

export const ENGINE_TYPES: readonly EngineType[] = ['ACTIVEMQ', 'RABBITMQ'];
export const DEPLOYMENT_MODES: readonly DeploymentMode[] = ['SINGLE_INSTANCE', 'ACTIVE_STANDBY_MULTI_AZ', 'CLUSTER_MULTI_AZ'];
export const DAYS_OF_WEEK = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;

/** Engine type, case-insensitive as Amazon MQ takes it (Terraform sends `ActiveMQ`). */
export function parseEngineType(value: string, field = 'engineType'): EngineType {
  return parseEnum(value, ENGINE_TYPES, (v) => `Broker engine type [${v}] is invalid. Valid values are: [ACTIVEMQ, RABBITMQ].`, field);
}

export function parseDeploymentMode(value: string, engineType: EngineType): DeploymentMode {
  const mode = parseEnum(
    value,
    DEPLOYMENT_MODES,
    (v) => `Deployment mode [${v}] is invalid. Valid values are: [SINGLE_INSTANCE, ACTIVE_STANDBY_MULTI_AZ, CLUSTER_MULTI_AZ].`,
    'deploymentMode',
  );
  const supported: DeploymentMode[] = engineType === 'ACTIVEMQ' ? ['SINGLE_INSTANCE', 'ACTIVE_STANDBY_MULTI_AZ'] : ['SINGLE_INSTANCE', 'CLUSTER_MULTI_AZ'];
  if (!supported.includes(mode)) {
    throw badRequest(`Deployment mode [${mode}] is not supported for engine type [${engineType}]. Valid values are: [${supported.join(', ')}].`, 'deploymentMode');
  }
  return mode;
}

export function parseAuthenticationStrategy(value: string, field = 'authenticationStrategy'): AuthenticationStrategy {
  return parseEnum(value, ['SIMPLE', 'LDAP'] as const, (v) => `Authentication strategy [${v}] is invalid. Valid values are: [SIMPLE, LDAP].`, field);
}

export function parseStorageType(value: string): StorageType {
  return parseEnum(value, ['EBS', 'EFS'] as const, (v) => `Storage type [${v}] is invalid. Valid values are: [EBS, EFS].`, 'storageType');
}

/** Broker name: guard rails, then Amazon MQ's 1-50 characters of letters, digits, `-` and `_`. */
export function checkBrokerName(name: string): void {
  checkNoPersonalData(name, { errorAttribute: 'brokerName', label: 'Broker name' });
  if (!/^[A-Za-z0-9_-]{1,50}$/.test(name)) {
    throw badRequest(
      'Broker name is invalid. The name must be 1-50 characters long, must contain only letters, numbers, dashes, and underscores, and must not contain white spaces, brackets, wildcard characters, or special characters.',
      'brokerName',
    );
  }
}

/**
 * Username: guard rails, then 2-100 characters; ActiveMQ takes letters, digits and `- . _ ~`,
 * RabbitMQ the same without `~`, and refuses `guest`.
 */
export function checkUsername(username: string, engineType: EngineType): void {
  checkNoPersonalData(username, { errorAttribute: 'username', label: 'Username' });
  if (engineType === 'RABBITMQ') {
    if (username.toLowerCase() === 'guest') throw badRequest('Username [guest] is prohibited for RabbitMQ brokers.', 'username');
    if (!/^[A-Za-z0-9_.-]{2,100}$/.test(username)) {
      throw badRequest('Username is invalid. For RabbitMQ brokers the username must be 2-100 characters long and can contain only alphanumeric characters, dashes, periods, and underscores (- . _).', 'username');
    }
    return;
  }
  if (!/^[A-Za-z0-9_.~-]{2,100}$/.test(username)) {
    throw badRequest('Username is invalid. The username must be 2-100 characters long and can contain only alphanumeric characters, dashes, periods, underscores, and tildes (- . _ ~).', 'username');
  }
}

/** Password: 12-250 characters, at least 4 distinct, none of `,` `:` `=`. The value is never echoed. */
export function checkPassword(password: string): void {
  const characters = [...password];
  if (characters.length < 12 || characters.length > 250) {
    throw badRequest('Password is invalid. Enter a password 12 to 250 characters long.', 'password');
  }
  if (new Set(characters).size < 4) {
    throw badRequest('Password is invalid. Your password must contain at least 4 unique characters.', 'password');
  }
  if (/[,:=]/.test(password)) {
    throw badRequest("Password is invalid. Make sure your password doesn't contain invalid characters [, :=].", 'password');
  }
}

/** Groups: at most 20, each 2-100 characters of letters, digits and `- . _ ~`. */
export function checkGroups(groups: readonly string[]): void {
  if (groups.length > 20) throw badRequest('A user can belong to at most 20 groups.', 'groups');
  for (const group of groups) {
    checkNoPersonalData(group, { errorAttribute: 'groups', label: 'Group name' });
    if (!/^[A-Za-z0-9_.~-]{2,100}$/.test(group)) {
      throw badRequest('Group name is invalid. Group names must be 2-100 characters long and can contain only alphanumeric characters, dashes, periods, underscores, and tildes (- . _ ~).', 'groups');
    }
  }
}

/** Configuration name: guard rails, then 1-150 characters of letters, digits and `- . _ ~`. */
export function checkConfigurationName(name: string): void {
  checkNoPersonalData(name, { errorAttribute: 'name', label: 'Configuration name' });
  if (!/^[A-Za-z0-9_.~-]{1,150}$/.test(name)) {
    throw badRequest('Configuration name is invalid. The name must be 1-150 characters long and can contain only alphanumeric characters, dashes, periods, underscores, and tildes (- . _ ~).', 'name');
  }
}

/** Tags: at most 50; keys 1-128 characters not starting with `aws:`, values up to 256; guard rails on both. */
export function checkTags(tags: Record<string, string>): void {
  const entries = Object.entries(tags);
  if (entries.length > 50) throw badRequest('A resource can have at most 50 tags.', 'tags');
  for (const [key, value] of entries) {
    checkNoPersonalData(key, { errorAttribute: 'tags', label: 'Tag key' });
    checkNoPersonalData(value, { errorAttribute: 'tags', label: 'Tag value' });
    checkNoCredentialUrl(key, { errorAttribute: 'tags', label: 'Tag key' });
    checkNoCredentialUrl(value, { errorAttribute: 'tags', label: 'Tag value' });
    if ([...key].length < 1 || [...key].length > 128) throw badRequest('Tag keys must be 1-128 characters long.', 'tags');
    if ([...value].length > 256) throw badRequest('Tag values must be at most 256 characters long.', 'tags');
    if (key.toLowerCase().startsWith('aws:')) throw badRequest('Tag keys must not start with [aws:], which is reserved.', 'tags');
  }
}

/** `{dayOfWeek, timeOfDay, timeZone?}`: day case-insensitive, time `HH:MM` (24 h), an IANA zone or UTC. */
export function parseMaintenanceWindow(window: JsonObject): { dayOfWeek: string; timeOfDay: string; timeZone: string } {
  const dayText = readString(window, 'dayOfWeek', true);
  const dayOfWeek = parseEnum(dayText, DAYS_OF_WEEK, (v) => `Day of week [${v}] is invalid. Valid values are: [${DAYS_OF_WEEK.join(', ')}].`, 'dayOfWeek');
  const timeOfDay = readString(window, 'timeOfDay', true);
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(timeOfDay)) throw badRequest('Time of day is invalid. Use the 24-hour format HH:MM.', 'timeOfDay');
  const timeZone = readString(window, 'timeZone') ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw badRequest(`Time zone [${shown(timeZone)}] is invalid. Use a time zone name such as UTC or America/New_York.`, 'timeZone');
  }
  return { dayOfWeek, timeOfDay, timeZone };
}

/** LDAP server metadata (ActiveMQ): required members, and no credentials in any URL. */
export function parseLdapServerMetadata(input: JsonObject): LdapServerMetadataRecord {
  const hosts = readStringList(input, 'hosts');
  if (hosts === undefined || hosts.length === 0) throw badRequest('The [hosts] parameter is required.', 'hosts');
  for (const host of hosts) checkNoCredentialUrl(host, { errorAttribute: 'hosts', label: 'LDAP host' });
  const required = ['roleBase', 'roleSearchMatching', 'serviceAccountPassword', 'serviceAccountUsername', 'userBase', 'userSearchMatching'] as const;
  const values: Partial<Record<(typeof required)[number], string>> = {};
  for (const field of required) {
    const value = readString(input, field, true);
    checkNoCredentialUrl(value, { errorAttribute: field, label: `LDAP ${field}` });
    values[field] = value;
  }
  const optionalStrings = ['roleName', 'userRoleName'] as const;
  const record: LdapServerMetadataRecord = {
    hosts: [...hosts],
    roleBase: values.roleBase!,
    roleSearchMatching: values.roleSearchMatching!,
    serviceAccountPassword: values.serviceAccountPassword!,
    serviceAccountUsername: values.serviceAccountUsername!,
    userBase: values.userBase!,
    userSearchMatching: values.userSearchMatching!,
  };
  for (const field of optionalStrings) {
    const value = readString(input, field);
    if (value !== undefined) {
      checkNoCredentialUrl(value, { errorAttribute: field, label: `LDAP ${field}` });
      record[field] = value;
    }
  }
  const roleSearchSubtree = readBoolean(input, 'roleSearchSubtree');
  if (roleSearchSubtree !== undefined) record.roleSearchSubtree = roleSearchSubtree;
  const userSearchSubtree = readBoolean(input, 'userSearchSubtree');
  if (userSearchSubtree !== undefined) record.userSearchSubtree = userSearchSubtree;
  return record;
}

/**
 * Precondition: no URL anywhere in a request carries credentials. Walks every string of the body
 * and refuses one that does, naming its member (the nearest object key). Passwords are skipped: they
 * cannot contain `:` and so cannot hold such a URL, and their own rule reports them.
 */
export function checkNoCredentialUrlsDeep(value: unknown, member = 'body'): void {
  if (typeof value === 'string') {
    checkNoCredentialUrl(value, { errorAttribute: member, label: `Parameter [${member}]` });
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) checkNoCredentialUrlsDeep(item, member);
    return;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'password') continue;
      // Inside a tag map the keys are the caller's data: report the map, never the key.
      if (member === 'tags') checkNoCredentialUrl(key, { errorAttribute: 'tags', label: 'Tag key' });
      checkNoCredentialUrlsDeep(item, member === 'tags' ? 'tags' : key);
    }
  }
}

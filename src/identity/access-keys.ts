// Generating AWS-style identifiers and secrets for API principals, and the AWS shared-credentials
// file format the AWS CLI and SDKs read. Where keys are stored is principal-store.ts's business.
import { randomBytes, randomInt } from 'node:crypto';
import { writeFileAtomic } from '../util/atomic-file.ts';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function randomFrom(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** `AKIA` + 16 base32 characters, as AWS long-term access key ids look. */
export function generateAccessKeyId(): string {
  return `AKIA${randomFrom(BASE32, 16)}`;
}

/** 40 characters of base64 (240 random bits), as AWS secret access keys look. */
export function generateSecretAccessKey(): string {
  return randomBytes(30).toString('base64');
}

/** `AIDA` + 17 characters, as IAM user ids look. */
export function generatePrincipalId(): string {
  return `AIDA${randomFrom(UPPER_ALNUM, 17)}`;
}

export const ACCESS_KEY_ID_PATTERN = /^AKIA[A-Z2-7]{16}$/;

export interface AccessKeyCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The AWS shared-credentials file text for one profile. */
export function formatCredentialsFile(credentials: AccessKeyCredentials, profile = 'default'): string {
  return `[${profile}]\naws_access_key_id = ${credentials.accessKeyId}\naws_secret_access_key = ${credentials.secretAccessKey}\n`;
}

/** Writes the credentials file atomically with mode 0600. */
export async function writeCredentialsFile(path: string, credentials: AccessKeyCredentials, profile = 'default'): Promise<void> {
  await writeFileAtomic(path, formatCredentialsFile(credentials, profile), 0o600);
}

/** Parses an AWS shared-credentials file into profiles (name -> key/value settings). */
export function parseCredentialsFile(text: string): Record<string, Record<string, string>> {
  const profiles: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = profiles[section[1]!.trim()] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (eq === -1 || current === undefined) continue;
    current[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return profiles;
}

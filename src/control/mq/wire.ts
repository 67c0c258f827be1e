// Reading untrusted REST-JSON input for the Amazon MQ API: typed field readers that raise a
// BadRequestException naming the wire field (Amazon MQ's `errorAttribute`), query parameters, and
// opaque pagination tokens. Values are never echoed in messages (they may hold a password or
// personal data). Amazon MQ's own rules (lengths, character sets, enums) live in validation.ts.
import { AwsApiError } from '../../util/aws-error.ts';

export type JsonObject = Record<string, unknown>;

export function badRequest(message: string, errorAttribute?: string): AwsApiError {
  return new AwsApiError('BadRequestException', message, 400, errorAttribute);
}

export function notFound(message: string, errorAttribute?: string): AwsApiError {
  return new AwsApiError('NotFoundException', message, 404, errorAttribute);
}

export function conflict(message: string, errorAttribute?: string): AwsApiError {
  return new AwsApiError('ConflictException', message, 409, errorAttribute);
}

/** The request body as an object; an absent body is an empty object. */
export function parseBodyObject(body: unknown): JsonObject {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('The request body must be a JSON object.');
  return body as JsonObject;
}

function typeError(field: string, expected: string): AwsApiError {
  return badRequest(`Parameter [${field}] must be ${expected}.`, field);
}

export function readString(object: JsonObject, field: string, required: true): string;
export function readString(object: JsonObject, field: string, required?: false): string | undefined;
export function readString(object: JsonObject, field: string, required = false): string | undefined {
  const value = object[field];
  if (value === undefined || value === null) {
    if (required) throw badRequest(`The [${field}] parameter is required.`, field);
    return undefined;
  }
  if (typeof value !== 'string') throw typeError(field, 'a string');
  return value;
}

export function readBoolean(object: JsonObject, field: string, required: true): boolean;
export function readBoolean(object: JsonObject, field: string, required?: false): boolean | undefined;
export function readBoolean(object: JsonObject, field: string, required = false): boolean | undefined {
  const value = object[field];
  if (value === undefined || value === null) {
    if (required) throw badRequest(`The [${field}] parameter is required.`, field);
    return undefined;
  }
  if (typeof value !== 'boolean') throw typeError(field, 'a boolean');
  return value;
}

export function readInteger(object: JsonObject, field: string): number | undefined {
  const value = object[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw typeError(field, 'an integer');
  return value;
}

export function readObject(object: JsonObject, field: string): JsonObject | undefined {
  const value = object[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw typeError(field, 'an object');
  return value as JsonObject;
}

export function readStringList(object: JsonObject, field: string): string[] | undefined {
  const value = object[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw typeError(field, 'a list of strings');
  return value as string[];
}

export function readObjectList(object: JsonObject, field: string): JsonObject[] | undefined {
  const value = object[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'object' && item !== null && !Array.isArray(item))) {
    throw typeError(field, 'a list of objects');
  }
  return value as JsonObject[];
}

export function readStringMap(object: JsonObject, field: string): Record<string, string> | undefined {
  const value = readObject(object, field);
  if (value === undefined) return undefined;
  for (const item of Object.values(value)) if (typeof item !== 'string') throw typeError(field, 'a map of strings to strings');
  return { ...(value as Record<string, string>) };
}

/** An integer query parameter within [min, max]. */
export function readQueryInteger(query: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  if (!/^\d{1,9}$/.test(text)) throw badRequest(`Parameter [${name}] must be an integer.`, name);
  const value = Number(text);
  if (value < min || value > max) throw badRequest(`Parameter [${name}] must be between ${min} and ${max}.`, name);
  return value;
}

/**
 * One page of `items`, ordered by `keyOf` (keys must be unique). The token is opaque to callers:
 * base64url of `<kind>:<key of the last item returned>`; a key is found again by position, so a page
 * boundary survives the deletion of the item it names.
 */
export function paginate<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  kind: string,
  maxResults: number,
  nextToken: string | null,
): { page: T[]; nextToken?: string } {
  const sorted = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  let start = 0;
  if (nextToken !== null && nextToken !== '') {
    const decoded = Buffer.from(nextToken, 'base64url').toString('utf8');
    const prefix = `${kind}:`;
    if (!decoded.startsWith(prefix)) throw badRequest('The nextToken is invalid.', 'nextToken');
    const after = decoded.slice(prefix.length);
    start = sorted.findIndex((item) => keyOf(item) > after);
    if (start < 0) start = sorted.length;
  }
  const page = sorted.slice(start, start + maxResults);
  const more = start + maxResults < sorted.length;
  const last = page[page.length - 1];
  return more && last !== undefined ? { page, nextToken: Buffer.from(`${kind}:${keyOf(last)}`, 'utf8').toString('base64url') } : { page };
}

/** ISO-8601 with milliseconds, as the SDK's parseRfc3339DateTime reads it. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

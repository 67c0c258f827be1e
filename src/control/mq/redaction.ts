// What of an Amazon MQ request may be recorded (audit trail requestParameters, logs): a deep copy with
// every secret member replaced, as CloudTrail does. The secret members of the Amazon MQ model are
// user passwords (CreateBroker users[], CreateUser, UpdateUser) and the LDAP service-account password.
// Deciding what to record and where is the audit layer's business; this file only knows the shapes.

/** CloudTrail's placeholder for a hidden value. */
export const HIDDEN = 'HIDDEN_DUE_TO_SECURITY_REASONS';

const SECRET_MEMBERS = new Set(['password', 'serviceAccountPassword']);

/** A copy of a request body (or any JSON value) with secret members hidden. */
export function redactMqRequestParameters(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactMqRequestParameters);
  if (typeof value === 'object' && value !== null) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = SECRET_MEMBERS.has(key) ? HIDDEN : redactMqRequestParameters(item);
    return copy;
  }
  return value;
}

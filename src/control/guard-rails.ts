// Guard rails beyond Amazon MQ's own validation: the Amazon MQ guidance says not to put personal data
// in broker names, usernames or tags (they reach logs and other services), and not to embed
// credentials in URLs. This file owns the detectors (e-mail addresses, phone numbers, Luhn-valid
// payment card numbers, URLs with user:password) and the BadRequestException they raise. The error
// names the field and the kind of data, never the value. Which fields are checked is the API's call.
// Detection is best effort (security.md 7.3: PII cannot be detected reliably): it catches the common
// written forms and leaves UUIDs, ARNs, account ids, versions, dates and IPv4 addresses alone.
import { AwsApiError } from '../util/aws-error.ts';

/** The kinds of personal data the guard rails refuse. */
export const PersonalDataKind = {
  EmailAddress: 'e-mail address',
  PhoneNumber: 'phone number',
  PaymentCardNumber: 'payment card number',
} as const;
export type PersonalDataKind = (typeof PersonalDataKind)[keyof typeof PersonalDataKind];

/** A field the guard rails check: its wire name (the error's `errorAttribute`) and a label for messages. */
export interface GuardedField {
  readonly errorAttribute: string;
  /** Human label, e.g. `Broker name`, `Tag value`. */
  readonly label: string;
}

// local@domain.tld; the local part and domain as RFC 5322 "dot-atom" in practice.
const EMAIL = /[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}/;
// 13-19 digits, optionally grouped with single spaces or dashes, not part of a longer digit run.
const CARD_CANDIDATE = /(?<![\d])\d(?:[ -]?\d){12,18}(?![ -]?\d)/g;
// International: "+" country code then groups, 8-15 digits in all (E.164).
const PHONE_INTERNATIONAL = /(?<![\d+])\+\d[\d\s().-]{6,22}\d(?![ .-]?\d)/g;
// National with a trunk prefix or area code in parentheses: (415) 555-0123, (020) 7946 0958.
const PHONE_PARENTHESISED = /(?<!\d)\(\d{2,5}\)[\s.-]?\d{3,4}[\s.-]?\d{3,4}(?![ .-]?\d)/g;
// National grouped with separators: 415-555-0123, 0612-345-678; 06 12 34 56 78; 030 12345678.
// Dates such as 2024-05-01-12 stay out: groups after the first have 3 or more digits unless the
// number starts with the trunk prefix 0.
const PHONE_GROUPED = [
  /(?<!\d[ .-]?)(?<!\d)\d{2,4}(?:[ .-]\d{3,4}){2,3}(?![ .-]?\d)/g,
  /(?<!\d[ .-]?)(?<!\d)0\d(?:[ .-]\d{2}){4}(?![ .-]?\d)/g,
  /(?<!\d[ .-]?)(?<!\d)0\d{2,4}[ .-]\d{5,8}(?![ .-]?\d)/g,
];
// National without separators: a trunk prefix 0 and 9-10 more digits (07700900123), or a North
// American 10-digit number (area code and exchange do not start with 0 or 1).
const PHONE_CONTIGUOUS = /(?<!\d)(?:0\d{9,10}|1?[2-9]\d{2}[2-9]\d{6})(?!\d)/;
// scheme://user:password@host, the credentials being anything but '/', '@' and whitespace.
const CREDENTIAL_URL = /[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/@:]*:[^\s/@]*@/;

// UUIDs (broker and configuration ids among them) are ids, not numbers: their digit runs are ignored.
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const DOTTED_QUAD = /^\d{1,3}(?:\.\d{1,3}){3}$/;

function digitsOf(text: string): string {
  return text.replace(/\D/g, '');
}

/** Luhn (mod 10) check over a string of decimal digits. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function containsCardNumber(text: string): boolean {
  for (const match of text.matchAll(CARD_CANDIDATE)) {
    const digits = digitsOf(match[0]);
    // All-zero runs pass Luhn but are no card number.
    if (digits.length >= 13 && digits.length <= 19 && !/^0+$/.test(digits) && luhnValid(digits)) return true;
  }
  return false;
}

function containsPhoneNumber(text: string): boolean {
  for (const match of text.matchAll(PHONE_INTERNATIONAL)) {
    const count = digitsOf(match[0]).length;
    if (count >= 8 && count <= 15) return true;
  }
  for (const match of text.matchAll(PHONE_PARENTHESISED)) {
    const count = digitsOf(match[0]).length;
    if (count >= 9 && count <= 12) return true;
  }
  for (const pattern of PHONE_GROUPED) {
    for (const match of text.matchAll(pattern)) {
      if (DOTTED_QUAD.test(match[0])) continue;
      const count = digitsOf(match[0]).length;
      if (count >= 9 && count <= 12) return true;
    }
  }
  return PHONE_CONTIGUOUS.test(text);
}

/**
 * The first kind of personal data found in `text`, or undefined. Card numbers are looked for before
 * phone numbers, as a grouped card number also looks like a long phone number.
 */
export function findPersonalData(text: string): PersonalDataKind | undefined {
  if (EMAIL.test(text)) return PersonalDataKind.EmailAddress;
  const withoutIds = text.replace(UUID, ' ');
  if (containsCardNumber(withoutIds)) return PersonalDataKind.PaymentCardNumber;
  if (containsPhoneNumber(withoutIds)) return PersonalDataKind.PhoneNumber;
  return undefined;
}

/** True if `text` holds a URL with credentials in its authority (`scheme://user:password@host`). */
export function containsCredentialUrl(text: string): boolean {
  return CREDENTIAL_URL.test(text);
}

/**
 * Precondition: names, usernames and tags carry no personal data.
 * Throws a BadRequestException naming the field and the kind of data, never the value.
 */
export function checkNoPersonalData(value: string, field: GuardedField): void {
  const kind = findPersonalData(value);
  if (kind === undefined) return;
  throw new AwsApiError(
    'BadRequestException',
    `${field.label} looks like it contains personal data (${kind === PersonalDataKind.EmailAddress ? 'an' : 'a'} ${kind}). Do not use personally identifiable information in ${field.label.toLowerCase()}s: they are visible to operators and appear in logs and audit records.`,
    400,
    field.errorAttribute,
  );
}

/**
 * Precondition: no URL in the request carries credentials.
 * Throws a BadRequestException naming the field, never the value.
 */
export function checkNoCredentialUrl(value: string, field: GuardedField): void {
  if (!containsCredentialUrl(value)) return;
  throw new AwsApiError(
    'BadRequestException',
    `${field.label} contains a URL with credentials (user:password@host). Remove the credentials from the URL and pass them in the fields meant for them.`,
    400,
    field.errorAttribute,
  );
}

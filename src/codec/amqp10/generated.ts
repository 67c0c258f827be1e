// GENERATED FILE: DO NOT EDIT. Made by scripts/gen-amqp10.ts from the AMQP 1.0 specification's
// machine-readable definitions (types.xml, transport.xml, messaging.xml, security.xml, transactions.xml).
// Run `npm run codegen:amqp10` after changing the generator; `npm run codegen:amqp10:check` fails when stale.
//
// Owns the definitions, restricted types with choices, and every described type: performatives,
// delivery states, source and target, message sections, error, SASL frames and transactions, each
// with a type, an encoder (a described list, trailing nulls trimmed) and a decoder (by descriptor
// code or symbol, fields by position, mandatory fields checked, defaults filled in). The type system
// is in types.ts, field helpers in composite.ts, framing in frames.ts, messages in message.ts.
//
// The specification data carries this notice:
//
//   Copyright Bank of America, N.A., Barclays Bank PLC, Cisco Systems, Credit
//   Suisse, Deutsche Boerse, Envoy Technologies Inc., Goldman Sachs, HCL
//   Technologies Ltd, IIT Software GmbH, iMatix Corporation, INETCO Systems Limited,
//   Informatica Corporation, JPMorgan Chase & Co., Kaazing Corporation, N.A,
//   Microsoft Corporation, my-Channels, Novell, Progress Software, Red Hat Inc.,
//   Software AG, Solace Systems Inc., StormMQ Ltd., Tervela Inc., TWIST Process
//   Innovations Ltd, GoPivotal, Inc., and WS02 Inc. 2006-2011. All rights reserved.
//
//   Redistribution and use in source and binary forms, with or without
//   modification, are permitted provided that the following conditions
//   are met:
//   1. Redistributions of source code must retain the above copyright
//   notice, this list of conditions and the following disclaimer.
//   2. Redistributions in binary form must reproduce the above copyright
//   notice, this list of conditions and the following disclaimer in the
//   documentation and/or other materials provided with the distribution.
//   3. The name of the author may not be used to endorse or promote products
//   derived from this software without specific prior written permission.
//
//   THIS SOFTWARE IS PROVIDED BY THE AUTHOR ``AS IS'' AND ANY EXPRESS OR
//   IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES
//   OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE DISCLAIMED.
//   IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR ANY DIRECT, INDIRECT,
//   INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT
//   NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE,
//   DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY
//   THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT
//   (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF
//   THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.

import { Amqp10DecodeError } from './errors.ts';
import {
  asBigint,
  asBinary,
  asBoolean,
  asChoice,
  asList,
  asMap,
  asMultiple,
  asNumber,
  asOpaque,
  asString,
  asSymbol,
  compositeFields,
  describedList,
  descriptorKey,
  missingField,
  multiple,
} from './composite.ts';
import type { AmqpDescribed, AmqpMap, AmqpValue } from './types.ts';

// Definitions

/** The constants the specification defines (ports, versions, MIN-MAX-FRAME-SIZE, MESSAGE-FORMAT). */
export const DEFINITIONS = {
  PORT: 5672,
  SECURE_PORT: 5671,
  MAJOR: 1,
  MINOR: 0,
  REVISION: 0,
  MIN_MAX_FRAME_SIZE: 512,
  MESSAGE_FORMAT: 0,
  TLS_MAJOR: 1,
  TLS_MINOR: 0,
  TLS_REVISION: 0,
  SASL_MAJOR: 1,
  SASL_MINOR: 0,
  SASL_REVISION: 0,
} as const;

// Primitive encodings (types.xml), for checking the hand-written type system against the spec.

/** Every primitive encoding: type, encoding name, format code, category and width. */
export const PRIMITIVE_ENCODINGS: ReadonlyArray<{ type: string; name: string; code: number; category: string; width: number }> = [
  { type: 'null', name: 'null', code: 0x40, category: 'fixed', width: 0 },
  { type: 'boolean', name: 'boolean', code: 0x56, category: 'fixed', width: 1 },
  { type: 'boolean', name: 'true', code: 0x41, category: 'fixed', width: 0 },
  { type: 'boolean', name: 'false', code: 0x42, category: 'fixed', width: 0 },
  { type: 'ubyte', name: 'ubyte', code: 0x50, category: 'fixed', width: 1 },
  { type: 'ushort', name: 'ushort', code: 0x60, category: 'fixed', width: 2 },
  { type: 'uint', name: 'uint', code: 0x70, category: 'fixed', width: 4 },
  { type: 'uint', name: 'smalluint', code: 0x52, category: 'fixed', width: 1 },
  { type: 'uint', name: 'uint0', code: 0x43, category: 'fixed', width: 0 },
  { type: 'ulong', name: 'ulong', code: 0x80, category: 'fixed', width: 8 },
  { type: 'ulong', name: 'smallulong', code: 0x53, category: 'fixed', width: 1 },
  { type: 'ulong', name: 'ulong0', code: 0x44, category: 'fixed', width: 0 },
  { type: 'byte', name: 'byte', code: 0x51, category: 'fixed', width: 1 },
  { type: 'short', name: 'short', code: 0x61, category: 'fixed', width: 2 },
  { type: 'int', name: 'int', code: 0x71, category: 'fixed', width: 4 },
  { type: 'int', name: 'smallint', code: 0x54, category: 'fixed', width: 1 },
  { type: 'long', name: 'long', code: 0x81, category: 'fixed', width: 8 },
  { type: 'long', name: 'smalllong', code: 0x55, category: 'fixed', width: 1 },
  { type: 'float', name: 'ieee-754', code: 0x72, category: 'fixed', width: 4 },
  { type: 'double', name: 'ieee-754', code: 0x82, category: 'fixed', width: 8 },
  { type: 'decimal32', name: 'ieee-754', code: 0x74, category: 'fixed', width: 4 },
  { type: 'decimal64', name: 'ieee-754', code: 0x84, category: 'fixed', width: 8 },
  { type: 'decimal128', name: 'ieee-754', code: 0x94, category: 'fixed', width: 16 },
  { type: 'char', name: 'utf32', code: 0x73, category: 'fixed', width: 4 },
  { type: 'timestamp', name: 'ms64', code: 0x83, category: 'fixed', width: 8 },
  { type: 'uuid', name: 'uuid', code: 0x98, category: 'fixed', width: 16 },
  { type: 'binary', name: 'vbin8', code: 0xa0, category: 'variable', width: 1 },
  { type: 'binary', name: 'vbin32', code: 0xb0, category: 'variable', width: 4 },
  { type: 'string', name: 'str8-utf8', code: 0xa1, category: 'variable', width: 1 },
  { type: 'string', name: 'str32-utf8', code: 0xb1, category: 'variable', width: 4 },
  { type: 'symbol', name: 'sym8', code: 0xa3, category: 'variable', width: 1 },
  { type: 'symbol', name: 'sym32', code: 0xb3, category: 'variable', width: 4 },
  { type: 'list', name: 'list0', code: 0x45, category: 'fixed', width: 0 },
  { type: 'list', name: 'list8', code: 0xc0, category: 'compound', width: 1 },
  { type: 'list', name: 'list32', code: 0xd0, category: 'compound', width: 4 },
  { type: 'map', name: 'map8', code: 0xc1, category: 'compound', width: 1 },
  { type: 'map', name: 'map32', code: 0xd1, category: 'compound', width: 4 },
  { type: 'array', name: 'array8', code: 0xe0, category: 'array', width: 1 },
  { type: 'array', name: 'array32', code: 0xf0, category: 'array', width: 4 },
];

// Restricted types with choices

/** role (transport.xml): restricted boolean. */
export const ROLE = {
  SENDER: false,
  RECEIVER: true,
} as const;
export type Role = (typeof ROLE)[keyof typeof ROLE];
const ROLE_VALUES: readonly Role[] = Object.values(ROLE);

/** sender-settle-mode (transport.xml): restricted ubyte. */
export const SENDER_SETTLE_MODE = {
  UNSETTLED: 0,
  SETTLED: 1,
  MIXED: 2,
} as const;
export type SenderSettleMode = (typeof SENDER_SETTLE_MODE)[keyof typeof SENDER_SETTLE_MODE];
const SENDER_SETTLE_MODE_VALUES: readonly SenderSettleMode[] = Object.values(SENDER_SETTLE_MODE);

/** receiver-settle-mode (transport.xml): restricted ubyte. */
export const RECEIVER_SETTLE_MODE = {
  FIRST: 0,
  SECOND: 1,
} as const;
export type ReceiverSettleMode = (typeof RECEIVER_SETTLE_MODE)[keyof typeof RECEIVER_SETTLE_MODE];
const RECEIVER_SETTLE_MODE_VALUES: readonly ReceiverSettleMode[] = Object.values(RECEIVER_SETTLE_MODE);

/** amqp-error (transport.xml): restricted symbol, provides error-condition. */
export const AMQP_ERROR = {
  INTERNAL_ERROR: 'amqp:internal-error',
  NOT_FOUND: 'amqp:not-found',
  UNAUTHORIZED_ACCESS: 'amqp:unauthorized-access',
  DECODE_ERROR: 'amqp:decode-error',
  RESOURCE_LIMIT_EXCEEDED: 'amqp:resource-limit-exceeded',
  NOT_ALLOWED: 'amqp:not-allowed',
  INVALID_FIELD: 'amqp:invalid-field',
  NOT_IMPLEMENTED: 'amqp:not-implemented',
  RESOURCE_LOCKED: 'amqp:resource-locked',
  PRECONDITION_FAILED: 'amqp:precondition-failed',
  RESOURCE_DELETED: 'amqp:resource-deleted',
  ILLEGAL_STATE: 'amqp:illegal-state',
  FRAME_SIZE_TOO_SMALL: 'amqp:frame-size-too-small',
} as const;
export type AmqpErrorCondition = (typeof AMQP_ERROR)[keyof typeof AMQP_ERROR];
const AMQP_ERROR_VALUES: readonly AmqpErrorCondition[] = Object.values(AMQP_ERROR);

/** connection-error (transport.xml): restricted symbol, provides error-condition. */
export const CONNECTION_ERROR = {
  CONNECTION_FORCED: 'amqp:connection:forced',
  FRAMING_ERROR: 'amqp:connection:framing-error',
  REDIRECT: 'amqp:connection:redirect',
} as const;
export type ConnectionError = (typeof CONNECTION_ERROR)[keyof typeof CONNECTION_ERROR];
const CONNECTION_ERROR_VALUES: readonly ConnectionError[] = Object.values(CONNECTION_ERROR);

/** session-error (transport.xml): restricted symbol, provides error-condition. */
export const SESSION_ERROR = {
  WINDOW_VIOLATION: 'amqp:session:window-violation',
  ERRANT_LINK: 'amqp:session:errant-link',
  HANDLE_IN_USE: 'amqp:session:handle-in-use',
  UNATTACHED_HANDLE: 'amqp:session:unattached-handle',
} as const;
export type SessionError = (typeof SESSION_ERROR)[keyof typeof SESSION_ERROR];
const SESSION_ERROR_VALUES: readonly SessionError[] = Object.values(SESSION_ERROR);

/** link-error (transport.xml): restricted symbol, provides error-condition. */
export const LINK_ERROR = {
  DETACH_FORCED: 'amqp:link:detach-forced',
  TRANSFER_LIMIT_EXCEEDED: 'amqp:link:transfer-limit-exceeded',
  MESSAGE_SIZE_EXCEEDED: 'amqp:link:message-size-exceeded',
  REDIRECT: 'amqp:link:redirect',
  STOLEN: 'amqp:link:stolen',
} as const;
export type LinkError = (typeof LINK_ERROR)[keyof typeof LINK_ERROR];
const LINK_ERROR_VALUES: readonly LinkError[] = Object.values(LINK_ERROR);

/** terminus-durability (messaging.xml): restricted uint. */
export const TERMINUS_DURABILITY = {
  NONE: 0,
  CONFIGURATION: 1,
  UNSETTLED_STATE: 2,
} as const;
export type TerminusDurability = (typeof TERMINUS_DURABILITY)[keyof typeof TERMINUS_DURABILITY];
const TERMINUS_DURABILITY_VALUES: readonly TerminusDurability[] = Object.values(TERMINUS_DURABILITY);

/** terminus-expiry-policy (messaging.xml): restricted symbol. */
export const TERMINUS_EXPIRY_POLICY = {
  LINK_DETACH: 'link-detach',
  SESSION_END: 'session-end',
  CONNECTION_CLOSE: 'connection-close',
  NEVER: 'never',
} as const;
export type TerminusExpiryPolicy = (typeof TERMINUS_EXPIRY_POLICY)[keyof typeof TERMINUS_EXPIRY_POLICY];
const TERMINUS_EXPIRY_POLICY_VALUES: readonly TerminusExpiryPolicy[] = Object.values(TERMINUS_EXPIRY_POLICY);

/** std-dist-mode (messaging.xml): restricted symbol, provides distribution-mode. */
export const STD_DIST_MODE = {
  MOVE: 'move',
  COPY: 'copy',
} as const;
export type StdDistMode = (typeof STD_DIST_MODE)[keyof typeof STD_DIST_MODE];
const STD_DIST_MODE_VALUES: readonly StdDistMode[] = Object.values(STD_DIST_MODE);

/** sasl-code (security.xml): restricted ubyte. */
export const SASL_CODE = {
  OK: 0,
  AUTH: 1,
  SYS: 2,
  SYS_PERM: 3,
  SYS_TEMP: 4,
} as const;
export type SaslCode = (typeof SASL_CODE)[keyof typeof SASL_CODE];
const SASL_CODE_VALUES: readonly SaslCode[] = Object.values(SASL_CODE);

/** txn-capability (transactions.xml): restricted symbol, provides txn-capability. */
export const TXN_CAPABILITY = {
  LOCAL_TRANSACTIONS: 'amqp:local-transactions',
  DISTRIBUTED_TRANSACTIONS: 'amqp:distributed-transactions',
  PROMOTABLE_TRANSACTIONS: 'amqp:promotable-transactions',
  MULTI_TXNS_PER_SSN: 'amqp:multi-txns-per-ssn',
  MULTI_SSNS_PER_TXN: 'amqp:multi-ssns-per-txn',
} as const;
export type TxnCapability = (typeof TXN_CAPABILITY)[keyof typeof TXN_CAPABILITY];
const TXN_CAPABILITY_VALUES: readonly TxnCapability[] = Object.values(TXN_CAPABILITY);

/** transaction-error (transactions.xml): restricted symbol, provides error-condition. */
export const TRANSACTION_ERROR = {
  UNKNOWN_ID: 'amqp:transaction:unknown-id',
  TRANSACTION_ROLLBACK: 'amqp:transaction:rollback',
  TRANSACTION_TIMEOUT: 'amqp:transaction:timeout',
} as const;
export type TransactionError = (typeof TRANSACTION_ERROR)[keyof typeof TRANSACTION_ERROR];
const TRANSACTION_ERROR_VALUES: readonly TransactionError[] = Object.values(TRANSACTION_ERROR);

// Described types

/** Descriptor name and code of every described type, by spec name. */
export const DESCRIPTORS = {
  'open': { name: 'amqp:open:list', code: 0x10n },
  'begin': { name: 'amqp:begin:list', code: 0x11n },
  'attach': { name: 'amqp:attach:list', code: 0x12n },
  'flow': { name: 'amqp:flow:list', code: 0x13n },
  'transfer': { name: 'amqp:transfer:list', code: 0x14n },
  'disposition': { name: 'amqp:disposition:list', code: 0x15n },
  'detach': { name: 'amqp:detach:list', code: 0x16n },
  'end': { name: 'amqp:end:list', code: 0x17n },
  'close': { name: 'amqp:close:list', code: 0x18n },
  'error': { name: 'amqp:error:list', code: 0x1dn },
  'header': { name: 'amqp:header:list', code: 0x70n },
  'delivery-annotations': { name: 'amqp:delivery-annotations:map', code: 0x71n },
  'message-annotations': { name: 'amqp:message-annotations:map', code: 0x72n },
  'properties': { name: 'amqp:properties:list', code: 0x73n },
  'application-properties': { name: 'amqp:application-properties:map', code: 0x74n },
  'data': { name: 'amqp:data:binary', code: 0x75n },
  'amqp-sequence': { name: 'amqp:amqp-sequence:list', code: 0x76n },
  'amqp-value': { name: 'amqp:amqp-value:*', code: 0x77n },
  'footer': { name: 'amqp:footer:map', code: 0x78n },
  'received': { name: 'amqp:received:list', code: 0x23n },
  'accepted': { name: 'amqp:accepted:list', code: 0x24n },
  'rejected': { name: 'amqp:rejected:list', code: 0x25n },
  'released': { name: 'amqp:released:list', code: 0x26n },
  'modified': { name: 'amqp:modified:list', code: 0x27n },
  'source': { name: 'amqp:source:list', code: 0x28n },
  'target': { name: 'amqp:target:list', code: 0x29n },
  'delete-on-close': { name: 'amqp:delete-on-close:list', code: 0x2bn },
  'delete-on-no-links': { name: 'amqp:delete-on-no-links:list', code: 0x2cn },
  'delete-on-no-messages': { name: 'amqp:delete-on-no-messages:list', code: 0x2dn },
  'delete-on-no-links-or-messages': { name: 'amqp:delete-on-no-links-or-messages:list', code: 0x2en },
  'sasl-mechanisms': { name: 'amqp:sasl-mechanisms:list', code: 0x40n },
  'sasl-init': { name: 'amqp:sasl-init:list', code: 0x41n },
  'sasl-challenge': { name: 'amqp:sasl-challenge:list', code: 0x42n },
  'sasl-response': { name: 'amqp:sasl-response:list', code: 0x43n },
  'sasl-outcome': { name: 'amqp:sasl-outcome:list', code: 0x44n },
  'coordinator': { name: 'amqp:coordinator:list', code: 0x30n },
  'declare': { name: 'amqp:declare:list', code: 0x31n },
  'discharge': { name: 'amqp:discharge:list', code: 0x32n },
  'declared': { name: 'amqp:declared:list', code: 0x33n },
  'transactional-state': { name: 'amqp:transactional-state:list', code: 0x34n },
} as const;

/** open (transport.xml, amqp:open:list, 0x10); provides frame. */
export interface Open {
  readonly kind: 'open';
  containerId: string;
  hostname?: string;
  maxFrameSize: number;
  channelMax: number;
  idleTimeOut?: number;
  outgoingLocales?: string[];
  incomingLocales?: string[];
  offeredCapabilities?: string[];
  desiredCapabilities?: string[];
  properties?: AmqpMap;
}
/** What {@link encodeOpen} accepts: fields with a default may be left out. */
export interface OpenInit {
  kind?: 'open';
  containerId: string;
  hostname?: string;
  maxFrameSize?: number;
  channelMax?: number;
  idleTimeOut?: number;
  outgoingLocales?: readonly string[];
  incomingLocales?: readonly string[];
  offeredCapabilities?: readonly string[];
  desiredCapabilities?: readonly string[];
  properties?: AmqpMap;
}

/** open as a described list, trailing nulls trimmed. */
export function encodeOpenValue(c: OpenInit): AmqpDescribed {
  return describedList(0x10n, [
    c.containerId ?? null,
    c.hostname ?? null,
    c.maxFrameSize === undefined ? null : { type: 'uint', value: c.maxFrameSize },
    c.channelMax === undefined ? null : { type: 'ushort', value: c.channelMax },
    c.idleTimeOut === undefined ? null : { type: 'uint', value: c.idleTimeOut },
    c.outgoingLocales === undefined ? null : multiple('symbol', c.outgoingLocales, (e) => ({ type: 'symbol', value: e })),
    c.incomingLocales === undefined ? null : multiple('symbol', c.incomingLocales, (e) => ({ type: 'symbol', value: e })),
    c.offeredCapabilities === undefined ? null : multiple('symbol', c.offeredCapabilities, (e) => ({ type: 'symbol', value: e })),
    c.desiredCapabilities === undefined ? null : multiple('symbol', c.desiredCapabilities, (e) => ({ type: 'symbol', value: e })),
    c.properties ?? null,
  ]);
}

function decodeOpenDescribed(d: AmqpDescribed): Open {
  const l = compositeFields(d, 'open');
  const f0 = l[0] ?? null;
  if (f0 === null) throw missingField('open.container-id');
  const f1 = l[1] ?? null;
  const f2 = l[2] ?? null;
  const f3 = l[3] ?? null;
  const f4 = l[4] ?? null;
  const f5 = l[5] ?? null;
  const f6 = l[6] ?? null;
  const f7 = l[7] ?? null;
  const f8 = l[8] ?? null;
  const f9 = l[9] ?? null;
  const c: Open = {
    kind: 'open',
    containerId: asString(f0, 'open.container-id'),
    maxFrameSize: f2 === null ? 4294967295 : asNumber(f2, 'uint', 'open.max-frame-size'),
    channelMax: f3 === null ? 65535 : asNumber(f3, 'ushort', 'open.channel-max'),
  };
  if (f1 !== null) c.hostname = asString(f1, 'open.hostname');
  if (f4 !== null) c.idleTimeOut = asNumber(f4, 'uint', 'open.idle-time-out');
  if (f5 !== null) c.outgoingLocales = asMultiple(f5, 'open.outgoing-locales', (x, p) => asSymbol(x, p));
  if (f6 !== null) c.incomingLocales = asMultiple(f6, 'open.incoming-locales', (x, p) => asSymbol(x, p));
  if (f7 !== null) c.offeredCapabilities = asMultiple(f7, 'open.offered-capabilities', (x, p) => asSymbol(x, p));
  if (f8 !== null) c.desiredCapabilities = asMultiple(f8, 'open.desired-capabilities', (x, p) => asSymbol(x, p));
  if (f9 !== null) c.properties = asMap(f9, 'open.properties');
  return c;
}

/** begin (transport.xml, amqp:begin:list, 0x11); provides frame. */
export interface Begin {
  readonly kind: 'begin';
  remoteChannel?: number;
  nextOutgoingId: number;
  incomingWindow: number;
  outgoingWindow: number;
  handleMax: number;
  offeredCapabilities?: string[];
  desiredCapabilities?: string[];
  properties?: AmqpMap;
}
/** What {@link encodeBegin} accepts: fields with a default may be left out. */
export interface BeginInit {
  kind?: 'begin';
  remoteChannel?: number;
  nextOutgoingId: number;
  incomingWindow: number;
  outgoingWindow: number;
  handleMax?: number;
  offeredCapabilities?: readonly string[];
  desiredCapabilities?: readonly string[];
  properties?: AmqpMap;
}

/** begin as a described list, trailing nulls trimmed. */
export function encodeBeginValue(c: BeginInit): AmqpDescribed {
  return describedList(0x11n, [
    c.remoteChannel === undefined ? null : { type: 'ushort', value: c.remoteChannel },
    c.nextOutgoingId === undefined ? null : { type: 'uint', value: c.nextOutgoingId },
    c.incomingWindow === undefined ? null : { type: 'uint', value: c.incomingWindow },
    c.outgoingWindow === undefined ? null : { type: 'uint', value: c.outgoingWindow },
    c.handleMax === undefined ? null : { type: 'uint', value: c.handleMax },
    c.offeredCapabilities === undefined ? null : multiple('symbol', c.offeredCapabilities, (e) => ({ type: 'symbol', value: e })),
    c.desiredCapabilities === undefined ? null : multiple('symbol', c.desiredCapabilities, (e) => ({ type: 'symbol', value: e })),
    c.properties ?? null,
  ]);
}

function decodeBeginDescribed(d: AmqpDescribed): Begin {
  const l = compositeFields(d, 'begin');
  const f0 = l[0] ?? null;
  const f1 = l[1] ?? null;
  if (f1 === null) throw missingField('begin.next-outgoing-id');
  const f2 = l[2] ?? null;
  if (f2 === null) throw missingField('begin.incoming-window');
  const f3 = l[3] ?? null;
  if (f3 === null) throw missingField('begin.outgoing-window');
  const f4 = l[4] ?? null;
  const f5 = l[5] ?? null;
  const f6 = l[6] ?? null;
  const f7 = l[7] ?? null;
  const c: Begin = {
    kind: 'begin',
    nextOutgoingId: asNumber(f1, 'uint', 'begin.next-outgoing-id'),
    incomingWindow: asNumber(f2, 'uint', 'begin.incoming-window'),
    outgoingWindow: asNumber(f3, 'uint', 'begin.outgoing-window'),
    handleMax: f4 === null ? 4294967295 : asNumber(f4, 'uint', 'begin.handle-max'),
  };
  if (f0 !== null) c.remoteChannel = asNumber(f0, 'ushort', 'begin.remote-channel');
  if (f5 !== null) c.offeredCapabilities = asMultiple(f5, 'begin.offered-capabilities', (x, p) => asSymbol(x, p));
  if (f6 !== null) c.desiredCapabilities = asMultiple(f6, 'begin.desired-capabilities', (x, p) => asSymbol(x, p));
  if (f7 !== null) c.properties = asMap(f7, 'begin.properties');
  return c;
}

/** attach (transport.xml, amqp:attach:list, 0x12); provides frame. */
export interface Attach {
  readonly kind: 'attach';
  name: string;
  handle: number;
  role: Role;
  sndSettleMode: SenderSettleMode;
  rcvSettleMode: ReceiverSettleMode;
  source?: Source;
  target?: Target | Coordinator;
  unsettled?: AmqpMap;
  incompleteUnsettled: boolean;
  initialDeliveryCount?: number;
  maxMessageSize?: bigint;
  offeredCapabilities?: string[];
  desiredCapabilities?: string[];
  properties?: AmqpMap;
}
/** What {@link encodeAttach} accepts: fields with a default may be left out. */
export interface AttachInit {
  kind?: 'attach';
  name: string;
  handle: number;
  role: Role;
  sndSettleMode?: SenderSettleMode;
  rcvSettleMode?: ReceiverSettleMode;
  source?: SourceInit;
  target?: (TargetInit & { kind: 'target' }) | (CoordinatorInit & { kind: 'coordinator' });
  unsettled?: AmqpMap;
  incompleteUnsettled?: boolean;
  initialDeliveryCount?: number;
  maxMessageSize?: bigint;
  offeredCapabilities?: readonly string[];
  desiredCapabilities?: readonly string[];
  properties?: AmqpMap;
}

/** attach as a described list, trailing nulls trimmed. */
export function encodeAttachValue(c: AttachInit): AmqpDescribed {
  return describedList(0x12n, [
    c.name ?? null,
    c.handle === undefined ? null : { type: 'uint', value: c.handle },
    c.role ?? null,
    c.sndSettleMode === undefined ? null : { type: 'ubyte', value: c.sndSettleMode },
    c.rcvSettleMode === undefined ? null : { type: 'ubyte', value: c.rcvSettleMode },
    c.source === undefined ? null : encodeSourceValue(c.source),
    c.target === undefined ? null : encodeCompositeValue(c.target),
    c.unsettled ?? null,
    c.incompleteUnsettled ?? null,
    c.initialDeliveryCount === undefined ? null : { type: 'uint', value: c.initialDeliveryCount },
    c.maxMessageSize === undefined ? null : { type: 'ulong', value: c.maxMessageSize },
    c.offeredCapabilities === undefined ? null : multiple('symbol', c.offeredCapabilities, (e) => ({ type: 'symbol', value: e })),
    c.desiredCapabilities === undefined ? null : multiple('symbol', c.desiredCapabilities, (e) => ({ type: 'symbol', value: e })),
    c.properties ?? null,
  ]);
}

function decodeAttachDescribed(d: AmqpDescribed): Attach {
  const l = compositeFields(d, 'attach');
  const f0 = l[0] ?? null;
  if (f0 === null) throw missingField('attach.name');
  const f1 = l[1] ?? null;
  if (f1 === null) throw missingField('attach.handle');
  const f2 = l[2] ?? null;
  if (f2 === null) throw missingField('attach.role');
  const f3 = l[3] ?? null;
  const f4 = l[4] ?? null;
  const f5 = l[5] ?? null;
  const f6 = l[6] ?? null;
  const f7 = l[7] ?? null;
  const f8 = l[8] ?? null;
  const f9 = l[9] ?? null;
  const f10 = l[10] ?? null;
  const f11 = l[11] ?? null;
  const f12 = l[12] ?? null;
  const f13 = l[13] ?? null;
  const c: Attach = {
    kind: 'attach',
    name: asString(f0, 'attach.name'),
    handle: asNumber(f1, 'uint', 'attach.handle'),
    role: asChoice(asBoolean(f2, 'attach.role'), ROLE_VALUES, 'attach.role') as Role,
    sndSettleMode: f3 === null ? 2 : asChoice(asNumber(f3, 'ubyte', 'attach.snd-settle-mode'), SENDER_SETTLE_MODE_VALUES, 'attach.snd-settle-mode') as SenderSettleMode,
    rcvSettleMode: f4 === null ? 0 : asChoice(asNumber(f4, 'ubyte', 'attach.rcv-settle-mode'), RECEIVER_SETTLE_MODE_VALUES, 'attach.rcv-settle-mode') as ReceiverSettleMode,
    incompleteUnsettled: f8 === null ? false : asBoolean(f8, 'attach.incomplete-unsettled'),
  };
  if (f5 !== null) c.source = decodeCompositeOf(f5, 'attach.source', ['source']) as Source;
  if (f6 !== null) c.target = decodeCompositeOf(f6, 'attach.target', ['target', 'coordinator']) as Target | Coordinator;
  if (f7 !== null) c.unsettled = asMap(f7, 'attach.unsettled');
  if (f9 !== null) c.initialDeliveryCount = asNumber(f9, 'uint', 'attach.initial-delivery-count');
  if (f10 !== null) c.maxMessageSize = asBigint(f10, 'ulong', 'attach.max-message-size');
  if (f11 !== null) c.offeredCapabilities = asMultiple(f11, 'attach.offered-capabilities', (x, p) => asSymbol(x, p));
  if (f12 !== null) c.desiredCapabilities = asMultiple(f12, 'attach.desired-capabilities', (x, p) => asSymbol(x, p));
  if (f13 !== null) c.properties = asMap(f13, 'attach.properties');
  return c;
}

/** flow (transport.xml, amqp:flow:list, 0x13); provides frame. */
export interface Flow {
  readonly kind: 'flow';
  nextIncomingId?: number;
  incomingWindow: number;
  nextOutgoingId: number;
  outgoingWindow: number;
  handle?: number;
  deliveryCount?: number;
  linkCredit?: number;
  available?: number;
  drain: boolean;
  echo: boolean;
  properties?: AmqpMap;
}
/** What {@link encodeFlow} accepts: fields with a default may be left out. */
export interface FlowInit {
  kind?: 'flow';
  nextIncomingId?: number;
  incomingWindow: number;
  nextOutgoingId: number;
  outgoingWindow: number;
  handle?: number;
  deliveryCount?: number;
  linkCredit?: number;
  available?: number;
  drain?: boolean;
  echo?: boolean;
  properties?: AmqpMap;
}

/** flow as a described list, trailing nulls trimmed. */
export function encodeFlowValue(c: FlowInit): AmqpDescribed {
  return describedList(0x13n, [
    c.nextIncomingId === undefined ? null : { type: 'uint', value: c.nextIncomingId },
    c.incomingWindow === undefined ? null : { type: 'uint', value: c.incomingWindow },
    c.nextOutgoingId === undefined ? null : { type: 'uint', value: c.nextOutgoingId },
    c.outgoingWindow === undefined ? null : { type: 'uint', value: c.outgoingWindow },
    c.handle === undefined ? null : { type: 'uint', value: c.handle },
    c.deliveryCount === undefined ? null : { type: 'uint', value: c.deliveryCount },
    c.linkCredit === undefined ? null : { type: 'uint', value: c.linkCredit },
    c.available === undefined ? null : { type: 'uint', value: c.available },
    c.drain ?? null,
    c.echo ?? null,
    c.properties ?? null,
  ]);
}

function decodeFlowDescribed(d: AmqpDescribed): Flow {
  const l = compositeFields(d, 'flow');
  const f0 = l[0] ?? null;
  const f1 = l[1] ?? null;
  if (f1 === null) throw missingField('flow.incoming-window');
  const f2 = l[2] ?? null;
  if (f2 === null) throw missingField('flow.next-outgoing-id');
  const f3 = l[3] ?? null;
  if (f3 === null) throw missingField('flow.outgoing-window');
  const f4 = l[4] ?? null;
  const f5 = l[5] ?? null;
  const f6 = l[6] ?? null;
  const f7 = l[7] ?? null;
  const f8 = l[8] ?? null;
  const f9 = l[9] ?? null;
  const f10 = l[10] ?? null;
  const c: Flow = {
    kind: 'flow',
    incomingWindow: asNumber(f1, 'uint', 'flow.incoming-window'),
    nextOutgoingId: asNumber(f2, 'uint', 'flow.next-outgoing-id'),
    outgoingWindow: asNumber(f3, 'uint', 'flow.outgoing-window'),
    drain: f8 === null ? false : asBoolean(f8, 'flow.drain'),
    echo: f9 === null ? false : asBoolean(f9, 'flow.echo'),
  };
  if (f0 !== null) c.nextIncomingId = asNumber(f0, 'uint', 'flow.next-incoming-id');
  if (f4 !== null) c.handle = asNumber(f4, 'uint', 'flow.handle');
  if (f5 !== null) c.deliveryCount = asNumber(f5, 'uint', 'flow.delivery-count');
  if (f6 !== null) c.linkCredit = asNumber(f6, 'uint', 'flow.link-credit');
  if (f7 !== null) c.available = asNumber(f7, 'uint', 'flow.available');
  if (f10 !== null) c.properties = asMap(f10, 'flow.properties');
  return c;
}

/** transfer (transport.xml, amqp:transfer:list, 0x14); provides frame. */
export interface Transfer {
  readonly kind: 'transfer';
  handle: number;
  deliveryId?: number;
  deliveryTag?: Buffer;
  messageFormat?: number;
  settled?: boolean;
  more: boolean;
  rcvSettleMode?: ReceiverSettleMode;
  state?: Received | Accepted | Rejected | Released | Modified | Declared | TransactionalState;
  resume: boolean;
  aborted: boolean;
  batchable: boolean;
}
/** What {@link encodeTransfer} accepts: fields with a default may be left out. */
export interface TransferInit {
  kind?: 'transfer';
  handle: number;
  deliveryId?: number;
  deliveryTag?: Buffer;
  messageFormat?: number;
  settled?: boolean;
  more?: boolean;
  rcvSettleMode?: ReceiverSettleMode;
  state?: (ReceivedInit & { kind: 'received' }) | (AcceptedInit & { kind: 'accepted' }) | (RejectedInit & { kind: 'rejected' }) | (ReleasedInit & { kind: 'released' }) | (ModifiedInit & { kind: 'modified' }) | (DeclaredInit & { kind: 'declared' }) | (TransactionalStateInit & { kind: 'transactional-state' });
  resume?: boolean;
  aborted?: boolean;
  batchable?: boolean;
}

/** transfer as a described list, trailing nulls trimmed. */
export function encodeTransferValue(c: TransferInit): AmqpDescribed {
  return describedList(0x14n, [
    c.handle === undefined ? null : { type: 'uint', value: c.handle },
    c.deliveryId === undefined ? null : { type: 'uint', value: c.deliveryId },
    c.deliveryTag ?? null,
    c.messageFormat === undefined ? null : { type: 'uint', value: c.messageFormat },
    c.settled ?? null,
    c.more ?? null,
    c.rcvSettleMode === undefined ? null : { type: 'ubyte', value: c.rcvSettleMode },
    c.state === undefined ? null : encodeCompositeValue(c.state),
    c.resume ?? null,
    c.aborted ?? null,
    c.batchable ?? null,
  ]);
}

function decodeTransferDescribed(d: AmqpDescribed): Transfer {
  const l = compositeFields(d, 'transfer');
  const f0 = l[0] ?? null;
  if (f0 === null) throw missingField('transfer.handle');
  const f1 = l[1] ?? null;
  const f2 = l[2] ?? null;
  const f3 = l[3] ?? null;
  const f4 = l[4] ?? null;
  const f5 = l[5] ?? null;
  const f6 = l[6] ?? null;
  const f7 = l[7] ?? null;
  const f8 = l[8] ?? null;
  const f9 = l[9] ?? null;
  const f10 = l[10] ?? null;
  const c: Transfer = {
    kind: 'transfer',
    handle: asNumber(f0, 'uint', 'transfer.handle'),
    more: f5 === null ? false : asBoolean(f5, 'transfer.more'),
    resume: f8 === null ? false : asBoolean(f8, 'transfer.resume'),
    aborted: f9 === null ? false : asBoolean(f9, 'transfer.aborted'),
    batchable: f10 === null ? false : asBoolean(f10, 'transfer.batchable'),
  };
  if (f1 !== null) c.deliveryId = asNumber(f1, 'uint', 'transfer.delivery-id');
  if (f2 !== null) c.deliveryTag = asBinary(f2, 'transfer.delivery-tag');
  if (f3 !== null) c.messageFormat = asNumber(f3, 'uint', 'transfer.message-format');
  if (f4 !== null) c.settled = asBoolean(f4, 'transfer.settled');
  if (f6 !== null) c.rcvSettleMode = asChoice(asNumber(f6, 'ubyte', 'transfer.rcv-settle-mode'), RECEIVER_SETTLE_MODE_VALUES, 'transfer.rcv-settle-mode') as ReceiverSettleMode;
  if (f7 !== null) c.state = decodeCompositeOf(f7, 'transfer.state', ['received', 'accepted', 'rejected', 'released', 'modified', 'declared', 'transactional-state']) as Received | Accepted | Rejected | Released | Modified | Declared | TransactionalState;
  return c;
}

/** disposition (transport.xml, amqp:disposition:list, 0x15); provides frame. */
export interface Disposition {
  readonly kind: 'disposition';
  role: Role;
  first: number;
  last?: number;
  settled: boolean;
  state?: Received | Accepted | Rejected | Released | Modified | Declared | TransactionalState;
  batchable: boolean;
}
/** What {@link encodeDisposition} accepts: fields with a default may be left out. */
export interface DispositionInit {
  kind?: 'disposition';
  role: Role;
  first: number;
  last?: number;
  settled?: boolean;
  state?: (ReceivedInit & { kind: 'received' }) | (AcceptedInit & { kind: 'accepted' }) | (RejectedInit & { kind: 'rejected' }) | (ReleasedInit & { kind: 'released' }) | (ModifiedInit & { kind: 'modified' }) | (DeclaredInit & { kind: 'declared' }) | (TransactionalStateInit & { kind: 'transactional-state' });
  batchable?: boolean;
}

/** disposition as a described list, trailing nulls trimmed. */
export function encodeDispositionValue(c: DispositionInit): AmqpDescribed {
  return describedList(0x15n, [
    c.role ?? null,
    c.first === undefined ? null : { type: 'uint', value: c.first },
    c.last === undefined ? null : { type: 'uint', value: c.last },
    c.settled ?? null,
    c.state === undefined ? null : encodeCompositeValue(c.state),
    c.batchable ?? null,
  ]);
}

function decodeDispositionDescribed(d: AmqpDescribed): Disposition {
  const l = compositeFields(d, 'disposition');
  const f0 = l[0] ?? null;
  if (f0 === null) throw missingField('disposition.role');
  const f1 = l[1] ?? null;
  if (f1 === null) throw missingField('disposition.first');
  const f2 = l[2] ?? null;
  const f3 = l[3] ?? null;
  const f4 = l[4] ?? null;
  const f5 = l[5] ?? null;
  const c: Disposition = {
    kind: 'disposition',
    role: asChoice(asBoolean(f0, 'disposition.role'), ROLE_VALUES, 'disposition.role') as Role,
    first: asNumber(f1, 'uint', 'disposition.first'),
    settled: f3 === null ? false : asBoolean(f3, 'disposition.settled'),
    batchable: f5 === null ? false : asBoolean(f5, 'disposition.batchable'),
  };
  if (f2 !== null) c.last = asNumber(f2, 'uint', 'disposition.last');
  if (f4 !== null) c.state = decodeCompositeOf(f4, 'disposition.state', ['received', 'accepted', 'rejected', 'released', 'modified', 'declared', 'transactional-state']) as Received | Accepted | Rejected | Released | Modified | Declared | TransactionalState;
  return c;
}

/** detach (transport.xml, amqp:detach:list, 0x16); provides frame. */
export interface Detach {
  readonly kind: 'detach';
  handle: number;
  closed: boolean;
  error?: AmqpError;
}
/** What {@link encodeDetach} accepts: fields with a default may be left out. */
export interface DetachInit {
  kind?: 'detach';
  handle: number;
  closed?: boolean;
  error?: AmqpErrorInit;
}

/** detach as a described list, trailing nulls trimmed. */
export function encodeDetachValue(c: DetachInit): AmqpDescribed {
  return describedList(0x16n, [
    c.handle === undefined ? null : { type: 'uint', value: c.handle },
    c.closed ?? null,
    c.error === undefined ? null : encodeAmqpErrorValue(c.error),
  ]);
}

function decodeDetachDescribed(d: AmqpDescribed): Detach {
  const l = compositeFields(d, 'detach');
  const f0 = l[0] ?? null;
  if (f0 === null) throw missingField('detach.handle');
  const f1 = l[1] ?? null;
  const f2 = l[2] ?? null;
  const c: Detach = {
    kind: 'detach',
    handle: asNumber(f0, 'uint', 'detach.handle'),
    closed: f1 === null ? false : asBoolean(f1, 'detach.closed'),
  };
  if (f2 !== null) c.error = decodeCompositeOf(f2, 'detach.error', ['error']) as AmqpError;
  return c;
}

/** end (transport.xml, amqp:end:list, 0x17); provides frame. */
export interface End {
  readonly kind: 'end';
  error?: AmqpError;
}
/** What {@link encodeEnd} accepts: fields with a default may be left out. */
export interface EndInit {
  kind?: 'end';
  error?: AmqpErrorInit;
}

/** end as a described list, trailing nulls trimmed. */
export function encodeEndValue(c: EndInit): AmqpDescribed {
  return describedList(0x17n, [
    c.error === undefined ? null : encodeAmqpErrorValue(c.error),
  ]);
}

function decodeEndDescribed(d: AmqpDescribed): End {
  const l = compositeFields(d, 'end');
  const f0 = l[0] ?? null;
  const c: End = {
    kind: 'end',
  };
  if (f0 !== null) c.error = decodeCompositeOf(f0, 'end.error', ['error']) as AmqpError;
  return c;
}

/** close (transport.xml, amqp:close:list, 0x18); provides frame. */
export interface Close {
  readonly kind: 'close';
  error?: AmqpError;
}
/** What {@link encodeClose} accepts: fields with a default may be left out. */
export interface CloseInit {
  kind?: 'close';
  error?: AmqpErrorInit;
}

/** close as a described list, trailing nulls trimmed. */
export function encodeCloseValue(c: CloseInit): AmqpDescribed {
  return describedList(0x18n, [
    c.error === undefined ? null : encodeAmqpErrorValue(c.error),
  ]);
}

function decodeCloseDescribed(d: AmqpDescribed): Close {
  const l = compositeFields(d, 'close');
  const f0 = l[0] ?? null;
  const c: Close = {
    kind: 'close',
  };
  if (f0 !== null) c.error = decodeCompositeOf(f0, 'close.error', ['error']) as AmqpError;
  return c;
}

/** error (transport.xml, amqp:error:list, 0x1d). */
export interface AmqpError {
  readonly kind: 'error';
  condition: string;
  description?: string;
  info?: AmqpMap;
}
/** What {@link encodeAmqpError} accepts: fields with a default may be left out. */
export interface AmqpErrorInit {
  kind?: 'error';
  condition: string;
  description?: string;
  info?: AmqpMap;
}

/** error as a described list, trailing nulls trimmed. */
export function encodeAmqpErrorValue(c: AmqpErrorInit): AmqpDescribed {
  return describedList(0x1dn, [
    c.condition === undefined ? null : { type: 'symbol', value: c.condition },
    c.description ?? null,
    c.info ?? null,
  ]);
}

function decodeAmqpErrorDescribed(d: AmqpDescribed): AmqpError {
  const l = compositeFields(d, 'error');
  const f0 = l[0] ?? null;
  if (f0 === null) throw missingField('error.condition');
  const f1 = l[1] ?? null;
  const f2 = l[2] ?? null;
  const c: AmqpError = {
    kind: 'error',
    condition: asSymbol(f0, 'error.condition'),
  };
  if (f1 !== null) c.description = asString(f1, 'error.description');
  if (f2 !== null) c.info = asMap(f2, 'error.info');
  return c;
}

/** header (messaging.xml, amqp:header:list, 0x70); provides section. */
export interface Header {
  readonly kind: 'header';
  durable?: boolean;
  priority?: number;
  ttl?: number;
  firstAcquirer?: boolean;
  deliveryCount?: number;
}
/** What {@link encodeHeader} accepts: fields with a default may be left out. */
export interface HeaderInit {
  kind?: 'header';
  durable?: boolean;
  priority?: number;
  ttl?: number;
  firstAcquirer?: boolean;
  deliveryCount?: number;
}

/** header as a described list, trailing nulls trimmed. */
export function encodeHeaderValue(c: HeaderInit): AmqpDescribed {
  return describedList(0x70n, [
    c.durable ?? null,
    c.priority === undefined ? null : { type: 'ubyte', value: c.priority },
    c.ttl === undefined ? null : { type: 'uint', value: c.ttl },
    c.firstAcquirer ?? null,
    c.deliveryCount === undefined ? null : { type: 'uint', value: c.deliveryCount },
  ]);
}

function decodeHeaderDescribed(d: AmqpDescribed): Header {
  const l = compositeFields(d, 'header');
  const f0 = l[0] ?? null;
  const f1 = l[1] ?? null;
  const f2 = l[2] ?? null;
  const f3 = l[3] ?? null;
  const f4 = l[4] ?? null;
  const c: Header = {
    kind: 'header',
  };
  if (f0 !== null) c.durable = asBoolean(f0, 'header.durable');
  if (f1 !== null) c.priority = asNumber(f1, 'ubyte', 'header.priority');
  if (f2 !== null) c.ttl = asNumber(f2, 'uint', 'header.ttl');
  if (f3 !== null) c.firstAcquirer = asBoolean(f3, 'header.first-acquirer');
  if (f4 !== null) c.deliveryCount = asNumber(f4, 'uint', 'header.delivery-count');
  return c;
}

/** delivery-annotations (messaging.xml, amqp:delivery-annotations:map, 0x71); provides section. */
export interface DeliveryAnnotations {
  readonly kind: 'delivery-annotations';
  value: AmqpMap;
}
/** What {@link encodeDeliveryAnnotationsValue} accepts. */
export interface DeliveryAnnotationsInit {
  kind?: 'delivery-annotations';
  value: AmqpMap;
}

/** delivery-annotations as a described value. */
export function encodeDeliveryAnnotationsValue(s: DeliveryAnnotationsInit): AmqpDescribed {
  return { type: 'described', descriptor: { type: 'ulong', value: 0x71n }, value: s.value };
}

function decodeDeliveryAnnotationsDescribed(d: AmqpDescribed): DeliveryAnnotations {
  const v = d.value;
  return { kind: 'delivery-annotations', value: asMap(v, 'delivery-annotations') };
}

/** message-annotations (messaging.xml, amqp:message-annotations:map, 0x72); provides section. */
export interface MessageAnnotations {
  readonly kind: 'message-annotations';
  value: AmqpMap;
}
/** What {@link encodeMessageAnnotationsValue} accepts. */
export interface MessageAnnotationsInit {
  kind?: 'message-annotations';
  value: AmqpMap;
}

/** message-annotations as a described value. */
export function encodeMessageAnnotationsValue(s: MessageAnnotationsInit): AmqpDescribed {
  return { type: 'described', descriptor: { type: 'ulong', value: 0x72n }, value: s.value };
}

function decodeMessageAnnotationsDescribed(d: AmqpDescribed): MessageAnnotations {
  const v = d.value;
  return { kind: 'message-annotations', value: asMap(v, 'message-annotations') };
}

/** properties (messaging.xml, amqp:properties:list, 0x73); provides section. */
export interface Properties {
  readonly kind: 'properties';
  messageId?: AmqpValue;
  userId?: Buffer;
  to?: AmqpValue;
  subject?: string;
  replyTo?: AmqpValue;
  correlationId?: AmqpValue;
  contentType?: string;
  contentEncoding?: string;
  absoluteExpiryTime?: number;
  creationTime?: number;
  groupId?: string;
  groupSequence?: number;
  replyToGroupId?: string;
}
/** What {@link encodeProperties} accepts: fields with a default may be left out. */
export interface PropertiesInit {
  kind?: 'properties';
  messageId?: AmqpValue;
  userId?: Buffer;
  to?: AmqpValue;
  subject?: string;
  replyTo?: AmqpValue;
  correlationId?: AmqpValue;
  contentType?: string;
  contentEncoding?: string;
  absoluteExpiryTime?: number;
  creationTime?: number;
  groupId?: string;
  groupSequence?: number;
  replyToGroupId?: string;
}

/** properties as a described list, trailing nulls trimmed. */
export function encodePropertiesValue(c: PropertiesInit): AmqpDescribed {
  return describedList(0x73n, [
    c.messageId ?? null,
    c.userId ?? null,
    c.to ?? null,
    c.subject ?? null,
    c.replyTo ?? null,
    c.correlationId ?? null,
    c.contentType === undefined ? null : { type: 'symbol', value: c.contentType },
    c.contentEncoding === undefined ? null : { type: 'symbol', value: c.contentEncoding },
    c.absoluteExpiryTime === undefined ? null : { type: 'timestamp', value: c.absoluteExpiryTime },
    c.creationTime === undefined ? null : { type: 'timestamp', value: c.creationTime },
    c.groupId ?? null,
    c.groupSequence === undefined ? null : { type: 'uint', value: c.groupSequence },
    c.replyToGroupId ?? null,
  ]);
}

function decodePropertiesDescribed(d: AmqpDescribed): Properties {
  const l = compositeFields(d, 'properties');
  const f0 = l[0] ?? null;
  const f1 = l[1] ?? null;
  const f2 = l[2] ?? null;
  const f3 = l[3] ?? null;
  const f4 = l[4] ?? null;
  const f5 = l[5] ?? null;
  const f6 = l[6] ?? null;
  const f7 = l[7] ?? null;
  const f8 = l[8] ?? null;
  const f9 = l[9] ?? null;
  const f10 = l[10] ?? null;
  const f11 = l[11] ?? null;
  const f12 = l[12] ?? null;
  const c: Properties = {
    kind: 'properties',
  };
  if (f0 !== null) c.messageId = f0;
  if (f1 !== null) c.userId = asBinary(f1, 'properties.user-id');
  if (f2 !== null) c.to = f2;
  if (f3 !== null) c.subject = asString(f3, 'properties.subject');
  if (f4 !== null) c.replyTo = f4;
  if (f5 !== null) c.correlationId = f5;
  if (f6 !== null) c.contentType = asSymbol(f6, 'properties.content-type');
  if (f7 !== null) c.contentEncoding = asSymbol(f7, 'properties.content-encoding');
  if (f8 !== null) c.absoluteExpiryTime = asNumber(f8, 'timestamp', 'properties.absolute-expiry-time');
  if (f9 !== null) c.creationTime = asNumber(f9, 'timestamp', 'properties.creation-time');
  if (f10 !== null) c.groupId = asString(f10, 'properties.group-id');
  if (f11 !== null) c.groupSequence = asNumber(f11, 'uint', 'properties.group-sequence');
  if (f12 !== null) c.replyToGroupId = asString(f12, 'properties.reply-to-group-id');
  return c;
}

/** application-properties (messaging.xml, amqp:application-properties:map, 0x74); provides section. */
export interface ApplicationProperties {
  readonly kind: 'application-properties';
  value: AmqpMap;
}
/** What {@link encodeApplicationPropertiesValue} accepts. */
export interface ApplicationPropertiesInit {
  kind?: 'application-properties';
  value: AmqpMap;
}

/** application-properties as a described value. */
export function encodeApplicationPropertiesValue(s: ApplicationPropertiesInit): AmqpDescribed {
  return { type: 'described', descriptor: { type: 'ulong', value: 0x74n }, value: s.value };
}

function decodeApplicationPropertiesDescribed(d: AmqpDescribed): ApplicationProperties {
  const v = d.value;
  return { kind: 'application-properties', value: asMap(v, 'application-properties') };
}

/** data (messaging.xml, amqp:data:binary, 0x75); provides section. */
export interface Data {
  readonly kind: 'data';
  value: Buffer;
}
/** What {@link encodeDataValue} accepts. */
export interface DataInit {
  kind?: 'data';
  value: Buffer;
}

/** data as a described value. */
export function encodeDataValue(s: DataInit): AmqpDescribed {
  return { type: 'described', descriptor: { type: 'ulong', value: 0x75n }, value: s.value };
}

function decodeDataDescribed(d: AmqpDescribed): Data {
  const v = d.value;
  return { kind: 'data', value: asBinary(v, 'data') };
}

/** amqp-sequence (messaging.xml, amqp:amqp-sequence:list, 0x76); provides section. */
export interface AmqpSequenceSection {
  readonly kind: 'amqp-sequence';
  value: AmqpValue[];
}
/** What {@link encodeAmqpSequenceSectionValue} accepts. */
export interface AmqpSequenceSectionInit {
  kind?: 'amqp-sequence';
  value: AmqpValue[];
}

/** amqp-sequence as a described value. */
export function encodeAmqpSequenceSectionValue(s: AmqpSequenceSectionInit): AmqpDescribed {
  return { type: 'described', descriptor: { type: 'ulong', value: 0x76n }, value: s.value };
}

function decodeAmqpSequenceSectionDescribed(d: AmqpDescribed): AmqpSequenceSection {
  const v = d.value;
  return { kind: 'amqp-sequence', value: asList(v, 'amqp-sequence') };
}

/** amqp-value (messaging.xml, amqp:amqp-value:*, 0x77); provides section. */
export interface AmqpValueSection {
  readonly kind: 'amqp-value';
  value: AmqpValue;
}
/** What {@link encodeAmqpValueSectionValue} accepts. */
export interface AmqpValueSectionInit {
  kind?: 'amqp-value';
  value: AmqpValue;
}

/** amqp-value as a described value. */
export function encodeAmqpValueSectionValue(s: AmqpValueSectionInit): AmqpDescribed {
  return { type: 'described', descriptor: { type: 'ulong', value: 0x77n }, value: s.value };
}

function decodeAmqpValueSectionDescribed(d: AmqpDescribed): AmqpValueSection {
  const v = d.value;
  return { kind: 'amqp-value', value: v };
}

/** footer (messaging.xml, amqp:footer:map, 0x78); provides section. */
export interface Footer {
  readonly kind: 'footer';
  value: AmqpMap;
}
/** What {@link encodeFooterValue} accepts. */
export interface FooterInit {
  kind?: 'footer';
  value: AmqpMap;
}

/** footer as a described value. */
export function encodeFooterValue(s: FooterInit): AmqpDescribed {
  return { type: 'described', descriptor: { type: 'ulong', value: 0x78n }, value: s.value };
}

function decodeFooterDescribed(d: AmqpDescribed): Footer {
  const v = d.value;
  return { kind: 'footer', value: asMap(v, 'footer') };
}

/** received (messaging.xml, amqp:received:list, 0x23); provides delivery-state. */
export interface Received {
  readonly kind: 'received';
  sectionNumber: number;
  sectionOffset: bigint;
}
/** What {@link encodeReceived} accepts: fields with a default may be left out. */
export interface ReceivedInit {
  kind?: 'received';
  sectionNumber: number;
  sectionOffset: bigint;
}

/** received as a described list, trailing nulls trimmed. */
export function encodeReceivedValue(c: ReceivedInit): AmqpDescribed {
  return describedList(0x23n, [
    c.sectionNumber === undefined ? null : { type: 'uint', value: c.sectionNumber },
    c.sectionOffset === undefined ? null : { type: 'ulong', value: c.sectionOffset },
  ]);
}

function decodeReceivedDescribed(d: AmqpDescribed): Received {
  const l = compositeFields(d, 'received');
  const f0 = l[0] ?? null;
  if (f0 === null) throw missingField('received.section-number');
  const f1 = l[1] ?? null;
  if (f1 === null) throw missingField('received.section-offset');
  const c: Received = {
    kind: 'received',
    sectionNumber: asNumber(f0, 'uint', 'received.section-number'),
    sectionOffset: asBigint(f1, 'ulong', 'received.section-offset'),
  };
  return c;
}

/** accepted (messaging.xml, amqp:accepted:list, 0x24); provides delivery-state, outcome. */
export interface Accepted {
  readonly kind: 'accepted';
}
/** What {@link encodeAccepted} accepts: fields with a default may be left out. */
export interface AcceptedInit {
  kind?: 'accepted';
}

/** accepted as a described list, trailing nulls trimmed. */
export function encodeAcceptedValue(_c: AcceptedInit): AmqpDescribed {
  return describedList(0x24n, [
  ]);
}

function decodeAcceptedDescribed(d: AmqpDescribed): Accepted {
  const _l = compositeFields(d, 'accepted');
  const c: Accepted = {
    kind: 'accepted',
  };
  return c;
}

/** rejected (messaging.xml, amqp:rejected:list, 0x25); provides delivery-state, outcome. */
export interface Rejected {
  readonly kind: 'rejected';
  error?: AmqpError;
}
/** What {@link encodeRejected} accepts: fields with a default may be left out. */
export interface RejectedInit {
  kind?: 'rejected';
  error?: AmqpErrorInit;
}

/** rejected as a described list, trailing nulls trimmed. */
export function encodeRejectedValue(c: RejectedInit): AmqpDescribed {
  return describedList(0x25n, [
    c.error === undefined ? null : encodeAmqpErrorValue(c.error),
  ]);
}

function decodeRejectedDescribed(d: AmqpDescribed): Rejected {
  const l = compositeFields(d, 'rejected');
  const f0 = l[0] ?? null;
  const c: Rejected = {
    kind: 'rejected',
  };
  if (f0 !== null) c.error = decodeCompositeOf(f0, 'rejected.error', ['error']) as AmqpError;
  return c;
}

/** released (messaging.xml, amqp:released:list, 0x26); provides delivery-state, outcome. */
export interface Released {
  readonly kind: 'released';
}
/** What {@link encodeReleased} accepts: fields with a default may be left out. */
export interface ReleasedInit {
  kind?: 'released';
}

/** released as a described list, trailing nulls trimmed. */
export function encodeReleasedValue(_c: ReleasedInit): AmqpDescribed {
  return describedList(0x26n, [
  ]);
}

function decodeReleasedDescribed(d: AmqpDescribed): Released {
  const _l = compositeFields(d, 'released');
  const c: Released = {
    kind: 'released',
  };
  return c;
}

/** modified (messaging.xml, amqp:modified:list, 0x27); provides delivery-state, outcome. */
export interface Modified {
  readonly kind: 'modified';
  deliveryFailed?: boolean;
  undeliverableHere?: boolean;
  messageAnnotations?: AmqpMap;
}
/** What {@link encodeModified} accepts: fields with a default may be left out. */
export interface ModifiedInit {
  kind?: 'modified';
  deliveryFailed?: boolean;
  undeliverableHere?: boolean;
  messageAnnotations?: AmqpMap;
}

/** modified as a described list, trailing nulls trimmed. */
export function encodeModifiedValue(c: ModifiedInit): AmqpDescribed {
  return describedList(0x27n, [
    c.deliveryFailed ?? null,
    c.undeliverableHere ?? null,
    c.messageAnnotations ?? null,
  ]);
}

function decodeModifiedDescribed(d: AmqpDescribed): Modified {
  const l = compositeFields(d, 'modified');
  const f0 = l[0] ?? null;
  const f1 = l[1] ?? null;
  const f2 = l[2] ?? null;
  const c: Modified = {
    kind: 'modified',
  };
  if (f0 !== null) c.deliveryFailed = asBoolean(f0, 'modified.delivery-failed');
  if (f1 !== null) c.undeliverableHere = asBoolean(f1, 'modified.undeliverable-here');
  if (f2 !== null) c.messageAnnotations = asMap(f2, 'modified.message-annotations');
  return c;
}

/** source (messaging.xml, amqp:source:list, 0x28); provides source. */
export interface Source {
  readonly kind: 'source';
  address?: AmqpValue;
  durable: TerminusDurability;
  expiryPolicy: string;
  timeout: number;
  dynamic: boolean;
  dynamicNodeProperties?: AmqpMap;
  distributionMode?: string;
  filter?: AmqpMap;
  defaultOutcome?: Accepted | Rejected | Released | Modified | Declared;
  outcomes?: string[];
  capabilities?: string[];
}
/** What {@link encodeSource} accepts: fields with a default may be left out. */
export interface SourceInit {
  kind?: 'source';
  address?: AmqpValue;
  durable?: TerminusDurability;
  expiryPolicy?: string;
  timeout?: number;
  dynamic?: boolean;
  dynamicNodeProperties?: AmqpMap;
  distributionMode?: string;
  filter?: AmqpMap;
  defaultOutcome?: (AcceptedInit & { kind: 'accepted' }) | (RejectedInit & { kind: 'rejected' }) | (ReleasedInit & { kind: 'released' }) | (ModifiedInit & { kind: 'modified' }) | (DeclaredInit & { kind: 'declared' });
  outcomes?: readonly string[];
  capabilities?: readonly string[];
}

/** source as a described list, trailing nulls trimmed. */
export function encodeSourceValue(c: SourceInit): AmqpDescribed {
  return describedList(0x28n, [
    c.address ?? null,
    c.durable === undefined ? null : { type: 'uint', value: c.durable },
    c.expiryPolicy === undefined ? null : { type: 'symbol', value: c.expiryPolicy },
    c.timeout === undefined ? null : { type: 'uint', value: c.timeout },
    c.dynamic ?? null,
    c.dynamicNodeProperties ?? null,
    c.distributionMode === undefined ? null : { type: 'symbol', value: c.distributionMode },
    c.filter ?? null,
    c.defaultOutcome === undefined ? null : encodeCompositeValue(c.defaultOutcome),
    c.outcomes === undefined ? null : multiple('symbol', c.outcomes, (e) => ({ type: 'symbol', value: e })),
    c.capabilities === undefined ? null : multiple('symbol', c.capabilities, (e) => ({ type: 'symbol', value: e })),
  ]);
}

function decodeSourceDescribed(d: AmqpDescribed): Source {
  const l = compositeFields(d, 'source');
  const f0 = l[0] ?? null;
  const f1 = l[1] ?? null;
  const f2 = l[2] ?? null;
  const f3 = l[3] ?? null;
  const f4 = l[4] ?? null;
  const f5 = l[5] ?? null;
  const f6 = l[6] ?? null;
  const f7 = l[7] ?? null;
  const f8 = l[8] ?? null;
  const f9 = l[9] ?? null;
  const f10 = l[10] ?? null;
  const c: Source = {
    kind: 'source',
    durable: f1 === null ? 0 : asChoice(asNumber(f1, 'uint', 'source.durable'), TERMINUS_DURABILITY_VALUES, 'source.durable') as TerminusDurability,
    expiryPolicy: f2 === null ? 'session-end' : asSymbol(f2, 'source.expiry-policy'),
    timeout: f3 === null ? 0 : asNumber(f3, 'uint', 'source.timeout'),
    dynamic: f4 === null ? false : asBoolean(f4, 'source.dynamic'),
  };
  if (f0 !== null) c.address = f0;
  if (f5 !== null) c.dynamicNodeProperties = asMap(f5, 'source.dynamic-node-properties');
  if (f6 !== null) c.distributionMode = asSymbol(f6, 'source.distribution-mode');
  if (f7 !== null) c.filter = asMap(f7, 'source.filter');
  if (f8 !== null) c.defaultOutcome = decodeCompositeOf(f8, 'source.default-outcome', ['accepted', 'rejected', 'released', 'modified', 'declared']) as Accepted | Rejected | Released | Modified | Declared;
  if (f9 !== null) c.outcomes = asMultiple(f9, 'source.outcomes', (x, p) => asSymbol(x, p));
  if (f10 !== null) c.capabilities = asMultiple(f10, 'source.capabilities', (x, p) => asSymbol(x, p));
  return c;
}

/** target (messaging.xml, amqp:target:list, 0x29); provides target. */
export interface Target {
  readonly kind: 'target';
  address?: AmqpValue;
  durable: TerminusDurability;
  expiryPolicy: string;
  timeout: number;
  dynamic: boolean;
  dynamicNodeProperties?: AmqpMap;
  capabilities?: string[];
}
/** What {@link encodeTarget} accepts: fields with a default may be left out. */
export interface TargetInit {
  kind?: 'target';
  address?: AmqpValue;
  durable?: TerminusDurability;
  expiryPolicy?: string;
  timeout?: number;
  dynamic?: boolean;
  dynamicNodeProperties?: AmqpMap;
  capabilities?: readonly string[];
}

/** target as a described list, trailing nulls trimmed. */
export function encodeTargetValue(c: TargetInit): AmqpDescribed {
  return describedList(0x29n, [
    c.address ?? null,
    c.durable === undefined ? null : { type: 'uint', value: c.durable },
    c.expiryPolicy === undefined ? null : { type: 'symbol', value: c.expiryPolicy },
    c.timeout === undefined ? null : { type: 'uint', value: c.timeout },
    c.dynamic ?? null,
    c.dynamicNodeProperties ?? null,
    c.capabilities === undefined ? null : multiple('symbol', c.capabilities, (e) => ({ type: 'symbol', value: e })),
  ]);
}

function decodeTargetDescribed(d: AmqpDescribed): Target {
  const l = compositeFields(d, 'target');
  const f0 = l[0] ?? null;
  const f1 = l[1] ?? null;
  const f2 = l[2] ?? null;
  const f3 = l[3] ?? null;
  const f4 = l[4] ?? null;
  const f5 = l[5] ?? null;
  const f6 = l[6] ?? null;
  const c: Target = {
    kind: 'target',
    durable: f1 === null ? 0 : asChoice(asNumber(f1, 'uint', 'target.durable'), TERMINUS_DURABILITY_VALUES, 'target.durable') as TerminusDurability,
    expiryPolicy: f2 === null ? 'session-end' : asSymbol(f2, 'target.expiry-policy'),
    timeout: f3 === null ? 0 : asNumber(f3, 'uint', 'target.timeout'),
    dynamic: f4 === null ? false : asBoolean(f4, 'target.dynamic'),
  };
  if (f0 !== null) c.address = f0;
  if (f5 !== null) c.dynamicNodeProperties = asMap(f5, 'target.dynamic-node-properties');
  if (f6 !== null) c.capabilities = asMultiple(f6, 'target.capabilities', (x, p) => asSymbol(x, p));
  return c;
}

/** delete-on-close (messaging.xml, amqp:delete-on-close:list, 0x2b); provides lifetime-policy. */
export interface DeleteOnClose {
  readonly kind: 'delete-on-close';
}
/** What {@link encodeDeleteOnClose} accepts: fields with a default may be left out. */
export interface DeleteOnCloseInit {
  kind?: 'delete-on-close';
}

/** delete-on-close as a described list, trailing nulls trimmed. */
export function encodeDeleteOnCloseValue(_c: DeleteOnCloseInit): AmqpDescribed {
  return describedList(0x2bn, [
  ]);
}

function decodeDeleteOnCloseDescribed(d: AmqpDescribed): DeleteOnClose {
  const _l = compositeFields(d, 'delete-on-close');
  const c: DeleteOnClose = {
    kind: 'delete-on-close',
  };
  return c;
}

/** delete-on-no-links (messaging.xml, amqp:delete-on-no-links:list, 0x2c); provides lifetime-policy. */
export interface DeleteOnNoLinks {
  readonly kind: 'delete-on-no-links';
}
/** What {@link encodeDeleteOnNoLinks} accepts: fields with a default may be left out. */
export interface DeleteOnNoLinksInit {
  kind?: 'delete-on-no-links';
}

/** delete-on-no-links as a described list, trailing nulls trimmed. */
export function encodeDeleteOnNoLinksValue(_c: DeleteOnNoLinksInit): AmqpDescribed {
  return describedList(0x2cn, [
  ]);
}

function decodeDeleteOnNoLinksDescribed(d: AmqpDescribed): DeleteOnNoLinks {
  const _l = compositeFields(d, 'delete-on-no-links');
  const c: DeleteOnNoLinks = {
    kind: 'delete-on-no-links',
  };
  return c;
}

/** delete-on-no-messages (messaging.xml, amqp:delete-on-no-messages:list, 0x2d); provides lifetime-policy. */
export interface DeleteOnNoMessages {
  readonly kind: 'delete-on-no-messages';
}
/** What {@link encodeDeleteOnNoMessages} accepts: fields with a default may be left out. */
export interface DeleteOnNoMessagesInit {
  kind?: 'delete-on-no-messages';
}

/** delete-on-no-messages as a described list, trailing nulls trimmed. */
export function encodeDeleteOnNoMessagesValue(_c: DeleteOnNoMessagesInit): AmqpDescribed {
  return describedList(0x2dn, [
  ]);
}

function decodeDeleteOnNoMessagesDescribed(d: AmqpDescribed): DeleteOnNoMessages {
  const _l = compositeFields(d, 'delete-on-no-messages');
  const c: DeleteOnNoMessages = {
    kind: 'delete-on-no-messages',
  };
  return c;
}

/** delete-on-no-links-or-messages (messaging.xml, amqp:delete-on-no-links-or-messages:list, 0x2e); provides lifetime-policy. */
export interface DeleteOnNoLinksOrMessages {
  readonly kind: 'delete-on-no-links-or-messages';
}
/** What {@link encodeDeleteOnNoLinksOrMessages} accepts: fields with a default may be left out. */
export interface DeleteOnNoLinksOrMessagesInit {
  kind?: 'delete-on-no-links-or-messages';
}

/** delete-on-no-links-or-messages as a described list, trailing nulls trimmed. */
export function encodeDeleteOnNoLinksOrMessagesValue(_c: DeleteOnNoLinksOrMessagesInit): AmqpDescribed {
  return describedList(0x2en, [
  ]);
}

function decodeDeleteOnNoLinksOrMessagesDescribed(d: AmqpDescribed): DeleteOnNoLinksOrMessages {
  const _l = compositeFields(d, 'delete-on-no-links-or-messages');
  const c: DeleteOnNoLinksOrMessages = {
    kind: 'delete-on-no-links-or-messages',
  };
  return c;
}

/** sasl-mechanisms (security.xml, amqp:sasl-mechanisms:list, 0x40); provides sasl-frame. */
export interface SaslMechanisms {
  readonly kind: 'sasl-mechanisms';
  saslServerMechanisms: string[];
}
/** What {@link encodeSaslMechanisms} accepts: fields with a default may be left out. */
export interface SaslMechanismsInit {
  kind?: 'sasl-mechanisms';
  saslServerMechanisms: readonly string[];
}

/** sasl-mechanisms as a described list, trailing nulls trimmed. */
export function encodeSaslMechanismsValue(c: SaslMechanismsInit): AmqpDescribed {
  return describedList(0x40n, [
    c.saslServerMechanisms === undefined ? null : multiple('symbol', c.saslServerMechanisms, (e) => ({ type: 'symbol', value: e })),
  ]);
}

function decodeSaslMechanismsDescribed(d: AmqpDescribed): SaslMechanisms {
  const l = compositeFields(d, 'sasl-mechanisms');
  const f0 = l[0] ?? null;
  if (f0 === null) throw missingField('sasl-mechanisms.sasl-server-mechanisms');
  const c: SaslMechanisms = {
    kind: 'sasl-mechanisms',
    saslServerMechanisms: asMultiple(f0, 'sasl-mechanisms.sasl-server-mechanisms', (x, p) => asSymbol(x, p)),
  };
  return c;
}

/** sasl-init (security.xml, amqp:sasl-init:list, 0x41); provides sasl-frame. */
export interface SaslInit {
  readonly kind: 'sasl-init';
  mechanism: string;
  initialResponse?: Buffer;
  hostname?: string;
}
/** What {@link encodeSaslInit} accepts: fields with a default may be left out. */
export interface SaslInitInit {
  kind?: 'sasl-init';
  mechanism: string;
  initialResponse?: Buffer;
  hostname?: string;
}

/** sasl-init as a described list, trailing nulls trimmed. */
export function encodeSaslInitValue(c: SaslInitInit): AmqpDescribed {
  return describedList(0x41n, [
    c.mechanism === undefined ? null : { type: 'symbol', value: c.mechanism },
    c.initialResponse ?? null,
    c.hostname ?? null,
  ]);
}

function decodeSaslInitDescribed(d: AmqpDescribed): SaslInit {
  const l = compositeFields(d, 'sasl-init');
  const f0 = l[0] ?? null;
  if (f0 === null) throw missingField('sasl-init.mechanism');
  const f1 = l[1] ?? null;
  const f2 = l[2] ?? null;
  const c: SaslInit = {
    kind: 'sasl-init',
    mechanism: asSymbol(f0, 'sasl-init.mechanism'),
  };
  if (f1 !== null) c.initialResponse = asBinary(f1, 'sasl-init.initial-response');
  if (f2 !== null) c.hostname = asString(f2, 'sasl-init.hostname');
  return c;
}

/** sasl-challenge (security.xml, amqp:sasl-challenge:list, 0x42); provides sasl-frame. */
export interface SaslChallenge {
  readonly kind: 'sasl-challenge';
  challenge: Buffer;
}
/** What {@link encodeSaslChallenge} accepts: fields with a default may be left out. */
export interface SaslChallengeInit {
  kind?: 'sasl-challenge';
  challenge: Buffer;
}

/** sasl-challenge as a described list, trailing nulls trimmed. */
export function encodeSaslChallengeValue(c: SaslChallengeInit): AmqpDescribed {
  return describedList(0x42n, [
    c.challenge ?? null,
  ]);
}

function decodeSaslChallengeDescribed(d: AmqpDescribed): SaslChallenge {
  const l = compositeFields(d, 'sasl-challenge');
  const f0 = l[0] ?? null;
  if (f0 === null) throw missingField('sasl-challenge.challenge');
  const c: SaslChallenge = {
    kind: 'sasl-challenge',
    challenge: asBinary(f0, 'sasl-challenge.challenge'),
  };
  return c;
}

/** sasl-response (security.xml, amqp:sasl-response:list, 0x43); provides sasl-frame. */
export interface SaslResponse {
  readonly kind: 'sasl-response';
  response: Buffer;
}
/** What {@link encodeSaslResponse} accepts: fields with a default may be left out. */
export interface SaslResponseInit {
  kind?: 'sasl-response';
  response: Buffer;
}

/** sasl-response as a described list, trailing nulls trimmed. */
export function encodeSaslResponseValue(c: SaslResponseInit): AmqpDescribed {
  return describedList(0x43n, [
    c.response ?? null,
  ]);
}

function decodeSaslResponseDescribed(d: AmqpDescribed): SaslResponse {
  const l = compositeFields(d, 'sasl-response');
  const f0 = l[0] ?? null;
  if (f0 === null) throw missingField('sasl-response.response');
  const c: SaslResponse = {
    kind: 'sasl-response',
    response: asBinary(f0, 'sasl-response.response'),
  };
  return c;
}

/** sasl-outcome (security.xml, amqp:sasl-outcome:list, 0x44); provides sasl-frame. */
export interface SaslOutcome {
  readonly kind: 'sasl-outcome';
  code: SaslCode;
  additionalData?: Buffer;
}
/** What {@link encodeSaslOutcome} accepts: fields with a default may be left out. */
export interface SaslOutcomeInit {
  kind?: 'sasl-outcome';
  code: SaslCode;
  additionalData?: Buffer;
}

/** sasl-outcome as a described list, trailing nulls trimmed. */
export function encodeSaslOutcomeValue(c: SaslOutcomeInit): AmqpDescribed {
  return describedList(0x44n, [
    c.code === undefined ? null : { type: 'ubyte', value: c.code },
    c.additionalData ?? null,
  ]);
}

function decodeSaslOutcomeDescribed(d: AmqpDescribed): SaslOutcome {
  const l = compositeFields(d, 'sasl-outcome');
  const f0 = l[0] ?? null;
  if (f0 === null) throw missingField('sasl-outcome.code');
  const f1 = l[1] ?? null;
  const c: SaslOutcome = {
    kind: 'sasl-outcome',
    code: asChoice(asNumber(f0, 'ubyte', 'sasl-outcome.code'), SASL_CODE_VALUES, 'sasl-outcome.code') as SaslCode,
  };
  if (f1 !== null) c.additionalData = asBinary(f1, 'sasl-outcome.additional-data');
  return c;
}

/** coordinator (transactions.xml, amqp:coordinator:list, 0x30); provides target. */
export interface Coordinator {
  readonly kind: 'coordinator';
  capabilities?: string[];
}
/** What {@link encodeCoordinator} accepts: fields with a default may be left out. */
export interface CoordinatorInit {
  kind?: 'coordinator';
  capabilities?: readonly string[];
}

/** coordinator as a described list, trailing nulls trimmed. */
export function encodeCoordinatorValue(c: CoordinatorInit): AmqpDescribed {
  return describedList(0x30n, [
    c.capabilities === undefined ? null : multiple('symbol', c.capabilities, (e) => ({ type: 'symbol', value: e })),
  ]);
}

function decodeCoordinatorDescribed(d: AmqpDescribed): Coordinator {
  const l = compositeFields(d, 'coordinator');
  const f0 = l[0] ?? null;
  const c: Coordinator = {
    kind: 'coordinator',
  };
  if (f0 !== null) c.capabilities = asMultiple(f0, 'coordinator.capabilities', (x, p) => asSymbol(x, p));
  return c;
}

/** declare (transactions.xml, amqp:declare:list, 0x31). */
export interface Declare {
  readonly kind: 'declare';
  globalId?: AmqpValue;
}
/** What {@link encodeDeclare} accepts: fields with a default may be left out. */
export interface DeclareInit {
  kind?: 'declare';
  globalId?: AmqpValue;
}

/** declare as a described list, trailing nulls trimmed. */
export function encodeDeclareValue(c: DeclareInit): AmqpDescribed {
  return describedList(0x31n, [
    c.globalId ?? null,
  ]);
}

function decodeDeclareDescribed(d: AmqpDescribed): Declare {
  const l = compositeFields(d, 'declare');
  const f0 = l[0] ?? null;
  const c: Declare = {
    kind: 'declare',
  };
  if (f0 !== null) c.globalId = f0;
  return c;
}

/** discharge (transactions.xml, amqp:discharge:list, 0x32). */
export interface Discharge {
  readonly kind: 'discharge';
  txnId: AmqpValue;
  fail?: boolean;
}
/** What {@link encodeDischarge} accepts: fields with a default may be left out. */
export interface DischargeInit {
  kind?: 'discharge';
  txnId: AmqpValue;
  fail?: boolean;
}

/** discharge as a described list, trailing nulls trimmed. */
export function encodeDischargeValue(c: DischargeInit): AmqpDescribed {
  return describedList(0x32n, [
    c.txnId ?? null,
    c.fail ?? null,
  ]);
}

function decodeDischargeDescribed(d: AmqpDescribed): Discharge {
  const l = compositeFields(d, 'discharge');
  const f0 = l[0] ?? null;
  if (f0 === null) throw missingField('discharge.txn-id');
  const f1 = l[1] ?? null;
  const c: Discharge = {
    kind: 'discharge',
    txnId: f0,
  };
  if (f1 !== null) c.fail = asBoolean(f1, 'discharge.fail');
  return c;
}

/** declared (transactions.xml, amqp:declared:list, 0x33); provides delivery-state, outcome. */
export interface Declared {
  readonly kind: 'declared';
  txnId: AmqpValue;
}
/** What {@link encodeDeclared} accepts: fields with a default may be left out. */
export interface DeclaredInit {
  kind?: 'declared';
  txnId: AmqpValue;
}

/** declared as a described list, trailing nulls trimmed. */
export function encodeDeclaredValue(c: DeclaredInit): AmqpDescribed {
  return describedList(0x33n, [
    c.txnId ?? null,
  ]);
}

function decodeDeclaredDescribed(d: AmqpDescribed): Declared {
  const l = compositeFields(d, 'declared');
  const f0 = l[0] ?? null;
  if (f0 === null) throw missingField('declared.txn-id');
  const c: Declared = {
    kind: 'declared',
    txnId: f0,
  };
  return c;
}

/** transactional-state (transactions.xml, amqp:transactional-state:list, 0x34); provides delivery-state. */
export interface TransactionalState {
  readonly kind: 'transactional-state';
  txnId: AmqpValue;
  outcome?: Accepted | Rejected | Released | Modified | Declared;
}
/** What {@link encodeTransactionalState} accepts: fields with a default may be left out. */
export interface TransactionalStateInit {
  kind?: 'transactional-state';
  txnId: AmqpValue;
  outcome?: (AcceptedInit & { kind: 'accepted' }) | (RejectedInit & { kind: 'rejected' }) | (ReleasedInit & { kind: 'released' }) | (ModifiedInit & { kind: 'modified' }) | (DeclaredInit & { kind: 'declared' });
}

/** transactional-state as a described list, trailing nulls trimmed. */
export function encodeTransactionalStateValue(c: TransactionalStateInit): AmqpDescribed {
  return describedList(0x34n, [
    c.txnId ?? null,
    c.outcome === undefined ? null : encodeCompositeValue(c.outcome),
  ]);
}

function decodeTransactionalStateDescribed(d: AmqpDescribed): TransactionalState {
  const l = compositeFields(d, 'transactional-state');
  const f0 = l[0] ?? null;
  if (f0 === null) throw missingField('transactional-state.txn-id');
  const f1 = l[1] ?? null;
  const c: TransactionalState = {
    kind: 'transactional-state',
    txnId: f0,
  };
  if (f1 !== null) c.outcome = decodeCompositeOf(f1, 'transactional-state.outcome', ['accepted', 'rejected', 'released', 'modified', 'declared']) as Accepted | Rejected | Released | Modified | Declared;
  return c;
}

// By descriptor

/** Any described type this codec knows, decoded. */
export type AmqpComposite = Open | Begin | Attach | Flow | Transfer | Disposition | Detach | End | Close | AmqpError | Header | DeliveryAnnotations | MessageAnnotations | Properties | ApplicationProperties | Data | AmqpSequenceSection | AmqpValueSection | Footer | Received | Accepted | Rejected | Released | Modified | Source | Target | DeleteOnClose | DeleteOnNoLinks | DeleteOnNoMessages | DeleteOnNoLinksOrMessages | SaslMechanisms | SaslInit | SaslChallenge | SaslResponse | SaslOutcome | Coordinator | Declare | Discharge | Declared | TransactionalState;
/** Any described type to encode, by kind. */
export type AmqpCompositeInit = (OpenInit & { kind: 'open' }) | (BeginInit & { kind: 'begin' }) | (AttachInit & { kind: 'attach' }) | (FlowInit & { kind: 'flow' }) | (TransferInit & { kind: 'transfer' }) | (DispositionInit & { kind: 'disposition' }) | (DetachInit & { kind: 'detach' }) | (EndInit & { kind: 'end' }) | (CloseInit & { kind: 'close' }) | (AmqpErrorInit & { kind: 'error' }) | (HeaderInit & { kind: 'header' }) | (DeliveryAnnotationsInit & { kind: 'delivery-annotations' }) | (MessageAnnotationsInit & { kind: 'message-annotations' }) | (PropertiesInit & { kind: 'properties' }) | (ApplicationPropertiesInit & { kind: 'application-properties' }) | (DataInit & { kind: 'data' }) | (AmqpSequenceSectionInit & { kind: 'amqp-sequence' }) | (AmqpValueSectionInit & { kind: 'amqp-value' }) | (FooterInit & { kind: 'footer' }) | (ReceivedInit & { kind: 'received' }) | (AcceptedInit & { kind: 'accepted' }) | (RejectedInit & { kind: 'rejected' }) | (ReleasedInit & { kind: 'released' }) | (ModifiedInit & { kind: 'modified' }) | (SourceInit & { kind: 'source' }) | (TargetInit & { kind: 'target' }) | (DeleteOnCloseInit & { kind: 'delete-on-close' }) | (DeleteOnNoLinksInit & { kind: 'delete-on-no-links' }) | (DeleteOnNoMessagesInit & { kind: 'delete-on-no-messages' }) | (DeleteOnNoLinksOrMessagesInit & { kind: 'delete-on-no-links-or-messages' }) | (SaslMechanismsInit & { kind: 'sasl-mechanisms' }) | (SaslInitInit & { kind: 'sasl-init' }) | (SaslChallengeInit & { kind: 'sasl-challenge' }) | (SaslResponseInit & { kind: 'sasl-response' }) | (SaslOutcomeInit & { kind: 'sasl-outcome' }) | (CoordinatorInit & { kind: 'coordinator' }) | (DeclareInit & { kind: 'declare' }) | (DischargeInit & { kind: 'discharge' }) | (DeclaredInit & { kind: 'declared' }) | (TransactionalStateInit & { kind: 'transactional-state' });
/** Spec name of a described type. */
export type AmqpCompositeKind = AmqpComposite['kind'];

const DECODERS = new Map<bigint | string, (d: AmqpDescribed) => AmqpComposite>([
  [0x10n, decodeOpenDescribed],
  ['amqp:open:list', decodeOpenDescribed],
  [0x11n, decodeBeginDescribed],
  ['amqp:begin:list', decodeBeginDescribed],
  [0x12n, decodeAttachDescribed],
  ['amqp:attach:list', decodeAttachDescribed],
  [0x13n, decodeFlowDescribed],
  ['amqp:flow:list', decodeFlowDescribed],
  [0x14n, decodeTransferDescribed],
  ['amqp:transfer:list', decodeTransferDescribed],
  [0x15n, decodeDispositionDescribed],
  ['amqp:disposition:list', decodeDispositionDescribed],
  [0x16n, decodeDetachDescribed],
  ['amqp:detach:list', decodeDetachDescribed],
  [0x17n, decodeEndDescribed],
  ['amqp:end:list', decodeEndDescribed],
  [0x18n, decodeCloseDescribed],
  ['amqp:close:list', decodeCloseDescribed],
  [0x1dn, decodeAmqpErrorDescribed],
  ['amqp:error:list', decodeAmqpErrorDescribed],
  [0x70n, decodeHeaderDescribed],
  ['amqp:header:list', decodeHeaderDescribed],
  [0x71n, decodeDeliveryAnnotationsDescribed],
  ['amqp:delivery-annotations:map', decodeDeliveryAnnotationsDescribed],
  [0x72n, decodeMessageAnnotationsDescribed],
  ['amqp:message-annotations:map', decodeMessageAnnotationsDescribed],
  [0x73n, decodePropertiesDescribed],
  ['amqp:properties:list', decodePropertiesDescribed],
  [0x74n, decodeApplicationPropertiesDescribed],
  ['amqp:application-properties:map', decodeApplicationPropertiesDescribed],
  [0x75n, decodeDataDescribed],
  ['amqp:data:binary', decodeDataDescribed],
  [0x76n, decodeAmqpSequenceSectionDescribed],
  ['amqp:amqp-sequence:list', decodeAmqpSequenceSectionDescribed],
  [0x77n, decodeAmqpValueSectionDescribed],
  ['amqp:amqp-value:*', decodeAmqpValueSectionDescribed],
  [0x78n, decodeFooterDescribed],
  ['amqp:footer:map', decodeFooterDescribed],
  [0x23n, decodeReceivedDescribed],
  ['amqp:received:list', decodeReceivedDescribed],
  [0x24n, decodeAcceptedDescribed],
  ['amqp:accepted:list', decodeAcceptedDescribed],
  [0x25n, decodeRejectedDescribed],
  ['amqp:rejected:list', decodeRejectedDescribed],
  [0x26n, decodeReleasedDescribed],
  ['amqp:released:list', decodeReleasedDescribed],
  [0x27n, decodeModifiedDescribed],
  ['amqp:modified:list', decodeModifiedDescribed],
  [0x28n, decodeSourceDescribed],
  ['amqp:source:list', decodeSourceDescribed],
  [0x29n, decodeTargetDescribed],
  ['amqp:target:list', decodeTargetDescribed],
  [0x2bn, decodeDeleteOnCloseDescribed],
  ['amqp:delete-on-close:list', decodeDeleteOnCloseDescribed],
  [0x2cn, decodeDeleteOnNoLinksDescribed],
  ['amqp:delete-on-no-links:list', decodeDeleteOnNoLinksDescribed],
  [0x2dn, decodeDeleteOnNoMessagesDescribed],
  ['amqp:delete-on-no-messages:list', decodeDeleteOnNoMessagesDescribed],
  [0x2en, decodeDeleteOnNoLinksOrMessagesDescribed],
  ['amqp:delete-on-no-links-or-messages:list', decodeDeleteOnNoLinksOrMessagesDescribed],
  [0x40n, decodeSaslMechanismsDescribed],
  ['amqp:sasl-mechanisms:list', decodeSaslMechanismsDescribed],
  [0x41n, decodeSaslInitDescribed],
  ['amqp:sasl-init:list', decodeSaslInitDescribed],
  [0x42n, decodeSaslChallengeDescribed],
  ['amqp:sasl-challenge:list', decodeSaslChallengeDescribed],
  [0x43n, decodeSaslResponseDescribed],
  ['amqp:sasl-response:list', decodeSaslResponseDescribed],
  [0x44n, decodeSaslOutcomeDescribed],
  ['amqp:sasl-outcome:list', decodeSaslOutcomeDescribed],
  [0x30n, decodeCoordinatorDescribed],
  ['amqp:coordinator:list', decodeCoordinatorDescribed],
  [0x31n, decodeDeclareDescribed],
  ['amqp:declare:list', decodeDeclareDescribed],
  [0x32n, decodeDischargeDescribed],
  ['amqp:discharge:list', decodeDischargeDescribed],
  [0x33n, decodeDeclaredDescribed],
  ['amqp:declared:list', decodeDeclaredDescribed],
  [0x34n, decodeTransactionalStateDescribed],
  ['amqp:transactional-state:list', decodeTransactionalStateDescribed],
]);

/** The decoded composite a described value holds, or undefined when its descriptor names none we know. */
export function decodeComposite(d: AmqpDescribed): AmqpComposite | undefined {
  const key = descriptorKey(d);
  const decode = key === undefined ? undefined : DECODERS.get(key);
  return decode?.(d);
}

/** A field holding a described value of one of `kinds`, decoded; anything else is a typed error. */
export function decodeCompositeOf(v: AmqpValue, field: string, kinds: readonly AmqpCompositeKind[]): AmqpComposite {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v) || v.type !== 'described') {
    throw new Amqp10DecodeError('BAD_FIELD_TYPE', 'DECODE_ERROR', `${field} must be a described type`);
  }
  const c = decodeComposite(v);
  if (c === undefined || !kinds.includes(c.kind)) {
    throw new Amqp10DecodeError('UNKNOWN_DESCRIPTOR', 'DECODE_ERROR', `${field} holds a described type other than ${kinds.join(', ')}`);
  }
  return c;
}

/** Any described type as its described value, by kind. */
export function encodeCompositeValue(c: AmqpCompositeInit): AmqpDescribed {
  switch (c.kind) {
    case 'open':
      return encodeOpenValue(c);
    case 'begin':
      return encodeBeginValue(c);
    case 'attach':
      return encodeAttachValue(c);
    case 'flow':
      return encodeFlowValue(c);
    case 'transfer':
      return encodeTransferValue(c);
    case 'disposition':
      return encodeDispositionValue(c);
    case 'detach':
      return encodeDetachValue(c);
    case 'end':
      return encodeEndValue(c);
    case 'close':
      return encodeCloseValue(c);
    case 'error':
      return encodeAmqpErrorValue(c);
    case 'header':
      return encodeHeaderValue(c);
    case 'delivery-annotations':
      return encodeDeliveryAnnotationsValue(c);
    case 'message-annotations':
      return encodeMessageAnnotationsValue(c);
    case 'properties':
      return encodePropertiesValue(c);
    case 'application-properties':
      return encodeApplicationPropertiesValue(c);
    case 'data':
      return encodeDataValue(c);
    case 'amqp-sequence':
      return encodeAmqpSequenceSectionValue(c);
    case 'amqp-value':
      return encodeAmqpValueSectionValue(c);
    case 'footer':
      return encodeFooterValue(c);
    case 'received':
      return encodeReceivedValue(c);
    case 'accepted':
      return encodeAcceptedValue(c);
    case 'rejected':
      return encodeRejectedValue(c);
    case 'released':
      return encodeReleasedValue(c);
    case 'modified':
      return encodeModifiedValue(c);
    case 'source':
      return encodeSourceValue(c);
    case 'target':
      return encodeTargetValue(c);
    case 'delete-on-close':
      return encodeDeleteOnCloseValue(c);
    case 'delete-on-no-links':
      return encodeDeleteOnNoLinksValue(c);
    case 'delete-on-no-messages':
      return encodeDeleteOnNoMessagesValue(c);
    case 'delete-on-no-links-or-messages':
      return encodeDeleteOnNoLinksOrMessagesValue(c);
    case 'sasl-mechanisms':
      return encodeSaslMechanismsValue(c);
    case 'sasl-init':
      return encodeSaslInitValue(c);
    case 'sasl-challenge':
      return encodeSaslChallengeValue(c);
    case 'sasl-response':
      return encodeSaslResponseValue(c);
    case 'sasl-outcome':
      return encodeSaslOutcomeValue(c);
    case 'coordinator':
      return encodeCoordinatorValue(c);
    case 'declare':
      return encodeDeclareValue(c);
    case 'discharge':
      return encodeDischargeValue(c);
    case 'declared':
      return encodeDeclaredValue(c);
    case 'transactional-state':
      return encodeTransactionalStateValue(c);
  }
}

/** Kinds of the performatives carried in AMQP frames (provides="frame"). */
export const FRAME_PERFORMATIVE_KINDS: readonly AmqpCompositeKind[] = ['open', 'begin', 'attach', 'flow', 'transfer', 'disposition', 'detach', 'end', 'close'];
/** Kinds of the performatives carried in SASL frames (provides="sasl-frame"). */
export const SASL_PERFORMATIVE_KINDS: readonly AmqpCompositeKind[] = ['sasl-mechanisms', 'sasl-init', 'sasl-challenge', 'sasl-response', 'sasl-outcome'];
/** Kinds of the message sections, in the order a message carries them (provides="section"). */
export const SECTION_KINDS: readonly AmqpCompositeKind[] = ['header', 'delivery-annotations', 'message-annotations', 'properties', 'application-properties', 'data', 'amqp-sequence', 'amqp-value', 'footer'];
/** A performative of an AMQP frame. */
export type Performative = Open | Begin | Attach | Flow | Transfer | Disposition | Detach | End | Close;
/** A performative to encode into an AMQP frame. */
export type PerformativeInit = (OpenInit & { kind: 'open' }) | (BeginInit & { kind: 'begin' }) | (AttachInit & { kind: 'attach' }) | (FlowInit & { kind: 'flow' }) | (TransferInit & { kind: 'transfer' }) | (DispositionInit & { kind: 'disposition' }) | (DetachInit & { kind: 'detach' }) | (EndInit & { kind: 'end' }) | (CloseInit & { kind: 'close' });
/** A performative of a SASL frame. */
export type SaslPerformative = SaslMechanisms | SaslInit | SaslChallenge | SaslResponse | SaslOutcome;
/** A SASL performative to encode. */
export type SaslPerformativeInit = (SaslMechanismsInit & { kind: 'sasl-mechanisms' }) | (SaslInitInit & { kind: 'sasl-init' }) | (SaslChallengeInit & { kind: 'sasl-challenge' }) | (SaslResponseInit & { kind: 'sasl-response' }) | (SaslOutcomeInit & { kind: 'sasl-outcome' });
/** A delivery state (transfer and disposition state). */
export type DeliveryState = Received | Accepted | Rejected | Released | Modified | Declared | TransactionalState;
/** An outcome (source default-outcome, transactional-state outcome). */
export type Outcome = Accepted | Rejected | Released | Modified | Declared;
/** A message section. */
export type Section = Header | DeliveryAnnotations | MessageAnnotations | Properties | ApplicationProperties | Data | AmqpSequenceSection | AmqpValueSection | Footer;

/** Field layout of each composite, for tests and tools: spec name, property, mandatory, multiple, default. */
export const COMPOSITE_FIELDS: Record<AmqpCompositeKind, ReadonlyArray<{ name: string; prop: string; type: string; mandatory: boolean; multiple: boolean; hasDefault: boolean; kinds?: readonly AmqpCompositeKind[]; choices?: readonly (number | boolean)[] }>> = {
  'open': [
    { name: 'container-id', prop: 'containerId', type: 'string', mandatory: true, multiple: false, hasDefault: false },
    { name: 'hostname', prop: 'hostname', type: 'string', mandatory: false, multiple: false, hasDefault: false },
    { name: 'max-frame-size', prop: 'maxFrameSize', type: 'uint', mandatory: false, multiple: false, hasDefault: true },
    { name: 'channel-max', prop: 'channelMax', type: 'ushort', mandatory: false, multiple: false, hasDefault: true },
    { name: 'idle-time-out', prop: 'idleTimeOut', type: 'uint', mandatory: false, multiple: false, hasDefault: false },
    { name: 'outgoing-locales', prop: 'outgoingLocales', type: 'symbol', mandatory: false, multiple: true, hasDefault: false },
    { name: 'incoming-locales', prop: 'incomingLocales', type: 'symbol', mandatory: false, multiple: true, hasDefault: false },
    { name: 'offered-capabilities', prop: 'offeredCapabilities', type: 'symbol', mandatory: false, multiple: true, hasDefault: false },
    { name: 'desired-capabilities', prop: 'desiredCapabilities', type: 'symbol', mandatory: false, multiple: true, hasDefault: false },
    { name: 'properties', prop: 'properties', type: 'map', mandatory: false, multiple: false, hasDefault: false },
  ],
  'begin': [
    { name: 'remote-channel', prop: 'remoteChannel', type: 'ushort', mandatory: false, multiple: false, hasDefault: false },
    { name: 'next-outgoing-id', prop: 'nextOutgoingId', type: 'uint', mandatory: true, multiple: false, hasDefault: false },
    { name: 'incoming-window', prop: 'incomingWindow', type: 'uint', mandatory: true, multiple: false, hasDefault: false },
    { name: 'outgoing-window', prop: 'outgoingWindow', type: 'uint', mandatory: true, multiple: false, hasDefault: false },
    { name: 'handle-max', prop: 'handleMax', type: 'uint', mandatory: false, multiple: false, hasDefault: true },
    { name: 'offered-capabilities', prop: 'offeredCapabilities', type: 'symbol', mandatory: false, multiple: true, hasDefault: false },
    { name: 'desired-capabilities', prop: 'desiredCapabilities', type: 'symbol', mandatory: false, multiple: true, hasDefault: false },
    { name: 'properties', prop: 'properties', type: 'map', mandatory: false, multiple: false, hasDefault: false },
  ],
  'attach': [
    { name: 'name', prop: 'name', type: 'string', mandatory: true, multiple: false, hasDefault: false },
    { name: 'handle', prop: 'handle', type: 'uint', mandatory: true, multiple: false, hasDefault: false },
    { name: 'role', prop: 'role', type: 'boolean', mandatory: true, multiple: false, hasDefault: false, choices: [false, true] },
    { name: 'snd-settle-mode', prop: 'sndSettleMode', type: 'ubyte', mandatory: false, multiple: false, hasDefault: true, choices: [0, 1, 2] },
    { name: 'rcv-settle-mode', prop: 'rcvSettleMode', type: 'ubyte', mandatory: false, multiple: false, hasDefault: true, choices: [0, 1] },
    { name: 'source', prop: 'source', type: '*', mandatory: false, multiple: false, hasDefault: false, kinds: ['source'] },
    { name: 'target', prop: 'target', type: '*', mandatory: false, multiple: false, hasDefault: false, kinds: ['target', 'coordinator'] },
    { name: 'unsettled', prop: 'unsettled', type: 'map', mandatory: false, multiple: false, hasDefault: false },
    { name: 'incomplete-unsettled', prop: 'incompleteUnsettled', type: 'boolean', mandatory: false, multiple: false, hasDefault: true },
    { name: 'initial-delivery-count', prop: 'initialDeliveryCount', type: 'uint', mandatory: false, multiple: false, hasDefault: false },
    { name: 'max-message-size', prop: 'maxMessageSize', type: 'ulong', mandatory: false, multiple: false, hasDefault: false },
    { name: 'offered-capabilities', prop: 'offeredCapabilities', type: 'symbol', mandatory: false, multiple: true, hasDefault: false },
    { name: 'desired-capabilities', prop: 'desiredCapabilities', type: 'symbol', mandatory: false, multiple: true, hasDefault: false },
    { name: 'properties', prop: 'properties', type: 'map', mandatory: false, multiple: false, hasDefault: false },
  ],
  'flow': [
    { name: 'next-incoming-id', prop: 'nextIncomingId', type: 'uint', mandatory: false, multiple: false, hasDefault: false },
    { name: 'incoming-window', prop: 'incomingWindow', type: 'uint', mandatory: true, multiple: false, hasDefault: false },
    { name: 'next-outgoing-id', prop: 'nextOutgoingId', type: 'uint', mandatory: true, multiple: false, hasDefault: false },
    { name: 'outgoing-window', prop: 'outgoingWindow', type: 'uint', mandatory: true, multiple: false, hasDefault: false },
    { name: 'handle', prop: 'handle', type: 'uint', mandatory: false, multiple: false, hasDefault: false },
    { name: 'delivery-count', prop: 'deliveryCount', type: 'uint', mandatory: false, multiple: false, hasDefault: false },
    { name: 'link-credit', prop: 'linkCredit', type: 'uint', mandatory: false, multiple: false, hasDefault: false },
    { name: 'available', prop: 'available', type: 'uint', mandatory: false, multiple: false, hasDefault: false },
    { name: 'drain', prop: 'drain', type: 'boolean', mandatory: false, multiple: false, hasDefault: true },
    { name: 'echo', prop: 'echo', type: 'boolean', mandatory: false, multiple: false, hasDefault: true },
    { name: 'properties', prop: 'properties', type: 'map', mandatory: false, multiple: false, hasDefault: false },
  ],
  'transfer': [
    { name: 'handle', prop: 'handle', type: 'uint', mandatory: true, multiple: false, hasDefault: false },
    { name: 'delivery-id', prop: 'deliveryId', type: 'uint', mandatory: false, multiple: false, hasDefault: false },
    { name: 'delivery-tag', prop: 'deliveryTag', type: 'binary', mandatory: false, multiple: false, hasDefault: false },
    { name: 'message-format', prop: 'messageFormat', type: 'uint', mandatory: false, multiple: false, hasDefault: false },
    { name: 'settled', prop: 'settled', type: 'boolean', mandatory: false, multiple: false, hasDefault: false },
    { name: 'more', prop: 'more', type: 'boolean', mandatory: false, multiple: false, hasDefault: true },
    { name: 'rcv-settle-mode', prop: 'rcvSettleMode', type: 'ubyte', mandatory: false, multiple: false, hasDefault: false, choices: [0, 1] },
    { name: 'state', prop: 'state', type: '*', mandatory: false, multiple: false, hasDefault: false, kinds: ['received', 'accepted', 'rejected', 'released', 'modified', 'declared', 'transactional-state'] },
    { name: 'resume', prop: 'resume', type: 'boolean', mandatory: false, multiple: false, hasDefault: true },
    { name: 'aborted', prop: 'aborted', type: 'boolean', mandatory: false, multiple: false, hasDefault: true },
    { name: 'batchable', prop: 'batchable', type: 'boolean', mandatory: false, multiple: false, hasDefault: true },
  ],
  'disposition': [
    { name: 'role', prop: 'role', type: 'boolean', mandatory: true, multiple: false, hasDefault: false, choices: [false, true] },
    { name: 'first', prop: 'first', type: 'uint', mandatory: true, multiple: false, hasDefault: false },
    { name: 'last', prop: 'last', type: 'uint', mandatory: false, multiple: false, hasDefault: false },
    { name: 'settled', prop: 'settled', type: 'boolean', mandatory: false, multiple: false, hasDefault: true },
    { name: 'state', prop: 'state', type: '*', mandatory: false, multiple: false, hasDefault: false, kinds: ['received', 'accepted', 'rejected', 'released', 'modified', 'declared', 'transactional-state'] },
    { name: 'batchable', prop: 'batchable', type: 'boolean', mandatory: false, multiple: false, hasDefault: true },
  ],
  'detach': [
    { name: 'handle', prop: 'handle', type: 'uint', mandatory: true, multiple: false, hasDefault: false },
    { name: 'closed', prop: 'closed', type: 'boolean', mandatory: false, multiple: false, hasDefault: true },
    { name: 'error', prop: 'error', type: 'error', mandatory: false, multiple: false, hasDefault: false, kinds: ['error'] },
  ],
  'end': [
    { name: 'error', prop: 'error', type: 'error', mandatory: false, multiple: false, hasDefault: false, kinds: ['error'] },
  ],
  'close': [
    { name: 'error', prop: 'error', type: 'error', mandatory: false, multiple: false, hasDefault: false, kinds: ['error'] },
  ],
  'error': [
    { name: 'condition', prop: 'condition', type: 'symbol', mandatory: true, multiple: false, hasDefault: false },
    { name: 'description', prop: 'description', type: 'string', mandatory: false, multiple: false, hasDefault: false },
    { name: 'info', prop: 'info', type: 'map', mandatory: false, multiple: false, hasDefault: false },
  ],
  'header': [
    { name: 'durable', prop: 'durable', type: 'boolean', mandatory: false, multiple: false, hasDefault: false },
    { name: 'priority', prop: 'priority', type: 'ubyte', mandatory: false, multiple: false, hasDefault: false },
    { name: 'ttl', prop: 'ttl', type: 'uint', mandatory: false, multiple: false, hasDefault: false },
    { name: 'first-acquirer', prop: 'firstAcquirer', type: 'boolean', mandatory: false, multiple: false, hasDefault: false },
    { name: 'delivery-count', prop: 'deliveryCount', type: 'uint', mandatory: false, multiple: false, hasDefault: false },
  ],
  'delivery-annotations': [],
  'message-annotations': [],
  'properties': [
    { name: 'message-id', prop: 'messageId', type: '*', mandatory: false, multiple: false, hasDefault: false },
    { name: 'user-id', prop: 'userId', type: 'binary', mandatory: false, multiple: false, hasDefault: false },
    { name: 'to', prop: 'to', type: '*', mandatory: false, multiple: false, hasDefault: false },
    { name: 'subject', prop: 'subject', type: 'string', mandatory: false, multiple: false, hasDefault: false },
    { name: 'reply-to', prop: 'replyTo', type: '*', mandatory: false, multiple: false, hasDefault: false },
    { name: 'correlation-id', prop: 'correlationId', type: '*', mandatory: false, multiple: false, hasDefault: false },
    { name: 'content-type', prop: 'contentType', type: 'symbol', mandatory: false, multiple: false, hasDefault: false },
    { name: 'content-encoding', prop: 'contentEncoding', type: 'symbol', mandatory: false, multiple: false, hasDefault: false },
    { name: 'absolute-expiry-time', prop: 'absoluteExpiryTime', type: 'timestamp', mandatory: false, multiple: false, hasDefault: false },
    { name: 'creation-time', prop: 'creationTime', type: 'timestamp', mandatory: false, multiple: false, hasDefault: false },
    { name: 'group-id', prop: 'groupId', type: 'string', mandatory: false, multiple: false, hasDefault: false },
    { name: 'group-sequence', prop: 'groupSequence', type: 'uint', mandatory: false, multiple: false, hasDefault: false },
    { name: 'reply-to-group-id', prop: 'replyToGroupId', type: 'string', mandatory: false, multiple: false, hasDefault: false },
  ],
  'application-properties': [],
  'data': [],
  'amqp-sequence': [],
  'amqp-value': [],
  'footer': [],
  'received': [
    { name: 'section-number', prop: 'sectionNumber', type: 'uint', mandatory: true, multiple: false, hasDefault: false },
    { name: 'section-offset', prop: 'sectionOffset', type: 'ulong', mandatory: true, multiple: false, hasDefault: false },
  ],
  'accepted': [],
  'rejected': [
    { name: 'error', prop: 'error', type: 'error', mandatory: false, multiple: false, hasDefault: false, kinds: ['error'] },
  ],
  'released': [],
  'modified': [
    { name: 'delivery-failed', prop: 'deliveryFailed', type: 'boolean', mandatory: false, multiple: false, hasDefault: false },
    { name: 'undeliverable-here', prop: 'undeliverableHere', type: 'boolean', mandatory: false, multiple: false, hasDefault: false },
    { name: 'message-annotations', prop: 'messageAnnotations', type: 'map', mandatory: false, multiple: false, hasDefault: false },
  ],
  'source': [
    { name: 'address', prop: 'address', type: '*', mandatory: false, multiple: false, hasDefault: false },
    { name: 'durable', prop: 'durable', type: 'uint', mandatory: false, multiple: false, hasDefault: true, choices: [0, 1, 2] },
    { name: 'expiry-policy', prop: 'expiryPolicy', type: 'symbol', mandatory: false, multiple: false, hasDefault: true },
    { name: 'timeout', prop: 'timeout', type: 'uint', mandatory: false, multiple: false, hasDefault: true },
    { name: 'dynamic', prop: 'dynamic', type: 'boolean', mandatory: false, multiple: false, hasDefault: true },
    { name: 'dynamic-node-properties', prop: 'dynamicNodeProperties', type: 'map', mandatory: false, multiple: false, hasDefault: false },
    { name: 'distribution-mode', prop: 'distributionMode', type: 'symbol', mandatory: false, multiple: false, hasDefault: false },
    { name: 'filter', prop: 'filter', type: 'map', mandatory: false, multiple: false, hasDefault: false },
    { name: 'default-outcome', prop: 'defaultOutcome', type: '*', mandatory: false, multiple: false, hasDefault: false, kinds: ['accepted', 'rejected', 'released', 'modified', 'declared'] },
    { name: 'outcomes', prop: 'outcomes', type: 'symbol', mandatory: false, multiple: true, hasDefault: false },
    { name: 'capabilities', prop: 'capabilities', type: 'symbol', mandatory: false, multiple: true, hasDefault: false },
  ],
  'target': [
    { name: 'address', prop: 'address', type: '*', mandatory: false, multiple: false, hasDefault: false },
    { name: 'durable', prop: 'durable', type: 'uint', mandatory: false, multiple: false, hasDefault: true, choices: [0, 1, 2] },
    { name: 'expiry-policy', prop: 'expiryPolicy', type: 'symbol', mandatory: false, multiple: false, hasDefault: true },
    { name: 'timeout', prop: 'timeout', type: 'uint', mandatory: false, multiple: false, hasDefault: true },
    { name: 'dynamic', prop: 'dynamic', type: 'boolean', mandatory: false, multiple: false, hasDefault: true },
    { name: 'dynamic-node-properties', prop: 'dynamicNodeProperties', type: 'map', mandatory: false, multiple: false, hasDefault: false },
    { name: 'capabilities', prop: 'capabilities', type: 'symbol', mandatory: false, multiple: true, hasDefault: false },
  ],
  'delete-on-close': [],
  'delete-on-no-links': [],
  'delete-on-no-messages': [],
  'delete-on-no-links-or-messages': [],
  'sasl-mechanisms': [
    { name: 'sasl-server-mechanisms', prop: 'saslServerMechanisms', type: 'symbol', mandatory: true, multiple: true, hasDefault: false },
  ],
  'sasl-init': [
    { name: 'mechanism', prop: 'mechanism', type: 'symbol', mandatory: true, multiple: false, hasDefault: false },
    { name: 'initial-response', prop: 'initialResponse', type: 'binary', mandatory: false, multiple: false, hasDefault: false },
    { name: 'hostname', prop: 'hostname', type: 'string', mandatory: false, multiple: false, hasDefault: false },
  ],
  'sasl-challenge': [
    { name: 'challenge', prop: 'challenge', type: 'binary', mandatory: true, multiple: false, hasDefault: false },
  ],
  'sasl-response': [
    { name: 'response', prop: 'response', type: 'binary', mandatory: true, multiple: false, hasDefault: false },
  ],
  'sasl-outcome': [
    { name: 'code', prop: 'code', type: 'ubyte', mandatory: true, multiple: false, hasDefault: false, choices: [0, 1, 2, 3, 4] },
    { name: 'additional-data', prop: 'additionalData', type: 'binary', mandatory: false, multiple: false, hasDefault: false },
  ],
  'coordinator': [
    { name: 'capabilities', prop: 'capabilities', type: 'symbol', mandatory: false, multiple: true, hasDefault: false },
  ],
  'declare': [
    { name: 'global-id', prop: 'globalId', type: '*', mandatory: false, multiple: false, hasDefault: false },
  ],
  'discharge': [
    { name: 'txn-id', prop: 'txnId', type: '*', mandatory: true, multiple: false, hasDefault: false },
    { name: 'fail', prop: 'fail', type: 'boolean', mandatory: false, multiple: false, hasDefault: false },
  ],
  'declared': [
    { name: 'txn-id', prop: 'txnId', type: '*', mandatory: true, multiple: false, hasDefault: false },
  ],
  'transactional-state': [
    { name: 'txn-id', prop: 'txnId', type: '*', mandatory: true, multiple: false, hasDefault: false },
    { name: 'outcome', prop: 'outcome', type: '*', mandatory: false, multiple: false, hasDefault: false, kinds: ['accepted', 'rejected', 'released', 'modified', 'declared'] },
  ],
};

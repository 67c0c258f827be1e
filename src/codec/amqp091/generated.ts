// GENERATED FILE: DO NOT EDIT. Made by scripts/gen-amqp091.ts from rabbitmq-codegen's
// amqp-rabbitmq-0.9.1.json (AMQP 0-9-1 with RabbitMQ's extensions).
// Run `npm run codegen` after changing the generator; `npm run codegen:check` fails when this is stale.
//
// Owns the per-method argument layouts, content properties, constants and reply codes. Framing is in
// frame-decoder.ts and frame-encoder.ts; field tables in field-table.ts; primitive types in
// byte-reader.ts and byte-writer.ts. Consecutive bit arguments share an octet, lowest bit first.
//
// The specification data carries this notice:
//
//   Copyright (C) 2008-2020 VMware, Inc. or its affiliates.
//
//   Permission is hereby granted, free of charge, to any person
//   obtaining a copy of this file (the "Software"), to deal in the
//   Software without restriction, including without limitation the
//   rights to use, copy, modify, merge, publish, distribute,
//   sublicense, and/or sell copies of the Software, and to permit
//   persons to whom the Software is furnished to do so, subject to
//   the following conditions:
//
//   The above copyright notice and this permission notice shall be
//   included in all copies or substantial portions of the Software.
//
//   THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND,
//   EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES
//   OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
//   NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT
//   HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY,
//   WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING
//   FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR
//   OTHER DEALINGS IN THE SOFTWARE.
//
//   Class information entered from amqp_xml0-8.pdf and domain types from amqp-xml-doc0-9.pdf
//   Updated for 0-9-1 by Tony Garnock-Jones
//
//   b3cb053f15e7b98808c0ccc67f23cb3e  amqp_xml0-8.pdf
//   http://twiststandards.org/?option=com_docman&task=cat_view&gid=28&Itemid=90
//   8444db91e2949dbecfb2585e9eef6d64  amqp-xml-doc0-9.pdf
//   https://jira.amqp.org/confluence/download/attachments/720900/amqp-xml-doc0-9.pdf?version=1

import type { ByteReader } from './byte-reader.ts';
import type { ByteWriter } from './byte-writer.ts';
import { Amqp091DecodeError } from './errors.ts';
import { readFieldTable, writeFieldTable, type FieldTable } from './field-table.ts';

/** Protocol version spoken, as sent in the protocol header. */
export const PROTOCOL_VERSION = { major: 0, minor: 9, revision: 1 } as const;

/** IANA port for AMQP over TCP (amqps uses 5671). */
export const DEFAULT_PORT = 5672;

export const FRAME_METHOD = 1;
export const FRAME_HEADER = 2;
export const FRAME_BODY = 3;
export const FRAME_HEARTBEAT = 8;
export const FRAME_MIN_SIZE = 4096;
export const FRAME_END = 206;
export const REPLY_SUCCESS = 200;

/**
 * Soft errors (spec class "soft-error"): channel-level. The peer closes only the channel, with
 * channel.close carrying the code; the connection stays open.
 */
export const SOFT_ERROR = {
  CONTENT_TOO_LARGE: 311,
  NO_ROUTE: 312,
  NO_CONSUMERS: 313,
  ACCESS_REFUSED: 403,
  NOT_FOUND: 404,
  RESOURCE_LOCKED: 405,
  PRECONDITION_FAILED: 406,
} as const;

/**
 * Hard errors (spec class "hard-error"): connection-level. The peer closes the whole connection
 * with connection.close carrying the code.
 */
export const HARD_ERROR = {
  CONNECTION_FORCED: 320,
  INVALID_PATH: 402,
  FRAME_ERROR: 501,
  SYNTAX_ERROR: 502,
  COMMAND_INVALID: 503,
  CHANNEL_ERROR: 504,
  UNEXPECTED_FRAME: 505,
  RESOURCE_ERROR: 506,
  NOT_ALLOWED: 530,
  NOT_IMPLEMENTED: 540,
  INTERNAL_ERROR: 541,
} as const;

/** Every reply code by its spec name: success, soft and hard errors. */
export const REPLY_CODE = { REPLY_SUCCESS: 200, ...SOFT_ERROR, ...HARD_ERROR } as const;

/** A reply code's spec name, e.g. `NOT_FOUND`. */
export type ReplyCodeName = keyof typeof REPLY_CODE;

const REPLY_CODE_NAMES = new Map<number, ReplyCodeName>(
  (Object.keys(REPLY_CODE) as ReplyCodeName[]).map((name) => [REPLY_CODE[name], name]),
);

/** The spec name of a reply code, or undefined for a code the spec does not define. */
export function replyCodeName(replyCode: number): ReplyCodeName | undefined {
  return REPLY_CODE_NAMES.get(replyCode);
}

/** Whether a reply code is a hard error, i.e. closes the connection rather than the channel. */
export function isHardError(replyCode: number): boolean {
  return (Object.values(HARD_ERROR) as number[]).includes(replyCode);
}

/** Class ids by spec class name. */
export const CLASS_ID = {
  connection: 10,
  channel: 20,
  access: 30,
  exchange: 40,
  queue: 50,
  basic: 60,
  tx: 90,
  confirm: 85,
} as const;

/** A method's spec name, `class.method`, e.g. `basic.publish`. */
export type MethodName =
  | 'connection.start'
  | 'connection.start-ok'
  | 'connection.secure'
  | 'connection.secure-ok'
  | 'connection.tune'
  | 'connection.tune-ok'
  | 'connection.open'
  | 'connection.open-ok'
  | 'connection.close'
  | 'connection.close-ok'
  | 'connection.blocked'
  | 'connection.unblocked'
  | 'connection.update-secret'
  | 'connection.update-secret-ok'
  | 'channel.open'
  | 'channel.open-ok'
  | 'channel.flow'
  | 'channel.flow-ok'
  | 'channel.close'
  | 'channel.close-ok'
  | 'access.request'
  | 'access.request-ok'
  | 'exchange.declare'
  | 'exchange.declare-ok'
  | 'exchange.delete'
  | 'exchange.delete-ok'
  | 'exchange.bind'
  | 'exchange.bind-ok'
  | 'exchange.unbind'
  | 'exchange.unbind-ok'
  | 'queue.declare'
  | 'queue.declare-ok'
  | 'queue.bind'
  | 'queue.bind-ok'
  | 'queue.purge'
  | 'queue.purge-ok'
  | 'queue.delete'
  | 'queue.delete-ok'
  | 'queue.unbind'
  | 'queue.unbind-ok'
  | 'basic.qos'
  | 'basic.qos-ok'
  | 'basic.consume'
  | 'basic.consume-ok'
  | 'basic.cancel'
  | 'basic.cancel-ok'
  | 'basic.publish'
  | 'basic.return'
  | 'basic.deliver'
  | 'basic.get'
  | 'basic.get-ok'
  | 'basic.get-empty'
  | 'basic.ack'
  | 'basic.reject'
  | 'basic.recover-async'
  | 'basic.recover'
  | 'basic.recover-ok'
  | 'basic.nack'
  | 'tx.select'
  | 'tx.select-ok'
  | 'tx.commit'
  | 'tx.commit-ok'
  | 'tx.rollback'
  | 'tx.rollback-ok'
  | 'confirm.select'
  | 'confirm.select-ok'
;

/** An empty table, the spec default for table arguments. */
const EMPTY_TABLE: FieldTable = new Map();

/** The wire types of method arguments and content properties (domains resolved). */
export type WireType = 'octet' | 'short' | 'long' | 'longlong' | 'timestamp' | 'shortstr' | 'longstr' | 'table' | 'bit';

/** One method argument or content property, for introspection and tests. */
export interface FieldInfo {
  /** Property name in the TypeScript types (camelCase). */
  readonly name: string;
  /** Name in the spec, e.g. `routing-key`. */
  readonly specName: string;
  readonly type: WireType;
}

// ---- connection (class 10) ------------------------------------------------

/** connection.start (class 10, method 10): synchronous. */
export interface ConnectionStart {
  versionMajor: number;
  versionMinor: number;
  serverProperties: FieldTable;
  mechanisms: Buffer;
  locales: Buffer;
}

/** Arguments to encode connection.start; those with a spec default may be left out. */
export interface ConnectionStartInput {
  /** Default: 0. */
  versionMajor?: number;
  /** Default: 9. */
  versionMinor?: number;
  serverProperties: FieldTable;
  /** Default: 'PLAIN'. */
  mechanisms?: string | Uint8Array;
  /** Default: 'en_US'. */
  locales?: string | Uint8Array;
}

/** Writes the arguments of connection.start. */
export function encodeConnectionStart(w: ByteWriter, a: ConnectionStartInput): void {
  w.u8(a.versionMajor ?? 0);
  w.u8(a.versionMinor ?? 9);
  writeFieldTable(w, a.serverProperties);
  w.longstr(a.mechanisms ?? 'PLAIN');
  w.longstr(a.locales ?? 'en_US');
}

/** Reads the arguments of connection.start; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeConnectionStart(r: ByteReader): ConnectionStart {
  return {
    versionMajor: r.u8(),
    versionMinor: r.u8(),
    serverProperties: readFieldTable(r),
    mechanisms: r.longstr(),
    locales: r.longstr(),
  };
}

/** connection.start-ok (class 10, method 11): asynchronous. */
export interface ConnectionStartOk {
  clientProperties: FieldTable;
  mechanism: string;
  response: Buffer;
  locale: string;
}

/** Arguments to encode connection.start-ok; those with a spec default may be left out. */
export interface ConnectionStartOkInput {
  clientProperties: FieldTable;
  /** Default: 'PLAIN'. */
  mechanism?: string;
  response: string | Uint8Array;
  /** Default: 'en_US'. */
  locale?: string;
}

/** Writes the arguments of connection.start-ok. */
export function encodeConnectionStartOk(w: ByteWriter, a: ConnectionStartOkInput): void {
  writeFieldTable(w, a.clientProperties);
  w.shortstr(a.mechanism ?? 'PLAIN');
  w.longstr(a.response);
  w.shortstr(a.locale ?? 'en_US');
}

/** Reads the arguments of connection.start-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeConnectionStartOk(r: ByteReader): ConnectionStartOk {
  return {
    clientProperties: readFieldTable(r),
    mechanism: r.shortstr(),
    response: r.longstr(),
    locale: r.shortstr(),
  };
}

/** connection.secure (class 10, method 20): synchronous. */
export interface ConnectionSecure {
  challenge: Buffer;
}

/** Arguments to encode connection.secure; those with a spec default may be left out. */
export interface ConnectionSecureInput {
  challenge: string | Uint8Array;
}

/** Writes the arguments of connection.secure. */
export function encodeConnectionSecure(w: ByteWriter, a: ConnectionSecureInput): void {
  w.longstr(a.challenge);
}

/** Reads the arguments of connection.secure; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeConnectionSecure(r: ByteReader): ConnectionSecure {
  return {
    challenge: r.longstr(),
  };
}

/** connection.secure-ok (class 10, method 21): asynchronous. */
export interface ConnectionSecureOk {
  response: Buffer;
}

/** Arguments to encode connection.secure-ok; those with a spec default may be left out. */
export interface ConnectionSecureOkInput {
  response: string | Uint8Array;
}

/** Writes the arguments of connection.secure-ok. */
export function encodeConnectionSecureOk(w: ByteWriter, a: ConnectionSecureOkInput): void {
  w.longstr(a.response);
}

/** Reads the arguments of connection.secure-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeConnectionSecureOk(r: ByteReader): ConnectionSecureOk {
  return {
    response: r.longstr(),
  };
}

/** connection.tune (class 10, method 30): synchronous. */
export interface ConnectionTune {
  channelMax: number;
  frameMax: number;
  heartbeat: number;
}

/** Arguments to encode connection.tune; those with a spec default may be left out. */
export interface ConnectionTuneInput {
  /** Default: 0. */
  channelMax?: number;
  /** Default: 0. */
  frameMax?: number;
  /** Default: 0. */
  heartbeat?: number;
}

/** Writes the arguments of connection.tune. */
export function encodeConnectionTune(w: ByteWriter, a: ConnectionTuneInput): void {
  w.u16(a.channelMax ?? 0);
  w.u32(a.frameMax ?? 0);
  w.u16(a.heartbeat ?? 0);
}

/** Reads the arguments of connection.tune; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeConnectionTune(r: ByteReader): ConnectionTune {
  return {
    channelMax: r.u16(),
    frameMax: r.u32(),
    heartbeat: r.u16(),
  };
}

/** connection.tune-ok (class 10, method 31): asynchronous. */
export interface ConnectionTuneOk {
  channelMax: number;
  frameMax: number;
  heartbeat: number;
}

/** Arguments to encode connection.tune-ok; those with a spec default may be left out. */
export interface ConnectionTuneOkInput {
  /** Default: 0. */
  channelMax?: number;
  /** Default: 0. */
  frameMax?: number;
  /** Default: 0. */
  heartbeat?: number;
}

/** Writes the arguments of connection.tune-ok. */
export function encodeConnectionTuneOk(w: ByteWriter, a: ConnectionTuneOkInput): void {
  w.u16(a.channelMax ?? 0);
  w.u32(a.frameMax ?? 0);
  w.u16(a.heartbeat ?? 0);
}

/** Reads the arguments of connection.tune-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeConnectionTuneOk(r: ByteReader): ConnectionTuneOk {
  return {
    channelMax: r.u16(),
    frameMax: r.u32(),
    heartbeat: r.u16(),
  };
}

/** connection.open (class 10, method 40): synchronous. */
export interface ConnectionOpen {
  virtualHost: string;
  capabilities: string;
  insist: boolean;
}

/** Arguments to encode connection.open; those with a spec default may be left out. */
export interface ConnectionOpenInput {
  /** Default: '/'. */
  virtualHost?: string;
  /** Default: ''. */
  capabilities?: string;
  /** Default: false. */
  insist?: boolean;
}

/** Writes the arguments of connection.open. */
export function encodeConnectionOpen(w: ByteWriter, a: ConnectionOpenInput): void {
  w.shortstr(a.virtualHost ?? '/');
  w.shortstr(a.capabilities ?? '');
  let bits0 = 0;
  if (a.insist ?? false) bits0 |= 1;
  w.u8(bits0);
}

/** Reads the arguments of connection.open; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeConnectionOpen(r: ByteReader): ConnectionOpen {
  let bits0 = 0;
  return {
    virtualHost: r.shortstr(),
    capabilities: r.shortstr(),
    insist: ((bits0 = r.u8()) & 1) !== 0,
  };
}

/** connection.open-ok (class 10, method 41): asynchronous. */
export interface ConnectionOpenOk {
  knownHosts: string;
}

/** Arguments to encode connection.open-ok; those with a spec default may be left out. */
export interface ConnectionOpenOkInput {
  /** Default: ''. */
  knownHosts?: string;
}

/** Writes the arguments of connection.open-ok. */
export function encodeConnectionOpenOk(w: ByteWriter, a: ConnectionOpenOkInput): void {
  w.shortstr(a.knownHosts ?? '');
}

/** Reads the arguments of connection.open-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeConnectionOpenOk(r: ByteReader): ConnectionOpenOk {
  return {
    knownHosts: r.shortstr(),
  };
}

/** connection.close (class 10, method 50): synchronous. */
export interface ConnectionClose {
  replyCode: number;
  replyText: string;
  classId: number;
  methodId: number;
}

/** Arguments to encode connection.close; those with a spec default may be left out. */
export interface ConnectionCloseInput {
  replyCode: number;
  /** Default: ''. */
  replyText?: string;
  classId: number;
  methodId: number;
}

/** Writes the arguments of connection.close. */
export function encodeConnectionClose(w: ByteWriter, a: ConnectionCloseInput): void {
  w.u16(a.replyCode);
  w.shortstr(a.replyText ?? '');
  w.u16(a.classId);
  w.u16(a.methodId);
}

/** Reads the arguments of connection.close; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeConnectionClose(r: ByteReader): ConnectionClose {
  return {
    replyCode: r.u16(),
    replyText: r.shortstr(),
    classId: r.u16(),
    methodId: r.u16(),
  };
}

/** connection.close-ok (class 10, method 51): asynchronous. */
export type ConnectionCloseOk = Record<string, never>;

/** Arguments to encode connection.close-ok: none. */
export type ConnectionCloseOkInput = Record<string, never>;

/** Writes the arguments of connection.close-ok. */
export function encodeConnectionCloseOk(_w: ByteWriter, _a: ConnectionCloseOkInput): void {}

/** Reads the arguments of connection.close-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeConnectionCloseOk(_r: ByteReader): ConnectionCloseOk {
  return {};
}

/** connection.blocked (class 10, method 60): asynchronous. */
export interface ConnectionBlocked {
  reason: string;
}

/** Arguments to encode connection.blocked; those with a spec default may be left out. */
export interface ConnectionBlockedInput {
  /** Default: ''. */
  reason?: string;
}

/** Writes the arguments of connection.blocked. */
export function encodeConnectionBlocked(w: ByteWriter, a: ConnectionBlockedInput): void {
  w.shortstr(a.reason ?? '');
}

/** Reads the arguments of connection.blocked; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeConnectionBlocked(r: ByteReader): ConnectionBlocked {
  return {
    reason: r.shortstr(),
  };
}

/** connection.unblocked (class 10, method 61): asynchronous. */
export type ConnectionUnblocked = Record<string, never>;

/** Arguments to encode connection.unblocked: none. */
export type ConnectionUnblockedInput = Record<string, never>;

/** Writes the arguments of connection.unblocked. */
export function encodeConnectionUnblocked(_w: ByteWriter, _a: ConnectionUnblockedInput): void {}

/** Reads the arguments of connection.unblocked; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeConnectionUnblocked(_r: ByteReader): ConnectionUnblocked {
  return {};
}

/** connection.update-secret (class 10, method 70): synchronous. */
export interface ConnectionUpdateSecret {
  newSecret: Buffer;
  reason: string;
}

/** Arguments to encode connection.update-secret; those with a spec default may be left out. */
export interface ConnectionUpdateSecretInput {
  newSecret: string | Uint8Array;
  reason: string;
}

/** Writes the arguments of connection.update-secret. */
export function encodeConnectionUpdateSecret(w: ByteWriter, a: ConnectionUpdateSecretInput): void {
  w.longstr(a.newSecret);
  w.shortstr(a.reason);
}

/** Reads the arguments of connection.update-secret; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeConnectionUpdateSecret(r: ByteReader): ConnectionUpdateSecret {
  return {
    newSecret: r.longstr(),
    reason: r.shortstr(),
  };
}

/** connection.update-secret-ok (class 10, method 71): asynchronous. */
export type ConnectionUpdateSecretOk = Record<string, never>;

/** Arguments to encode connection.update-secret-ok: none. */
export type ConnectionUpdateSecretOkInput = Record<string, never>;

/** Writes the arguments of connection.update-secret-ok. */
export function encodeConnectionUpdateSecretOk(_w: ByteWriter, _a: ConnectionUpdateSecretOkInput): void {}

/** Reads the arguments of connection.update-secret-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeConnectionUpdateSecretOk(_r: ByteReader): ConnectionUpdateSecretOk {
  return {};
}

// ---- channel (class 20) ---------------------------------------------------

/** channel.open (class 20, method 10): synchronous. */
export interface ChannelOpen {
  outOfBand: string;
}

/** Arguments to encode channel.open; those with a spec default may be left out. */
export interface ChannelOpenInput {
  /** Default: ''. */
  outOfBand?: string;
}

/** Writes the arguments of channel.open. */
export function encodeChannelOpen(w: ByteWriter, a: ChannelOpenInput): void {
  w.shortstr(a.outOfBand ?? '');
}

/** Reads the arguments of channel.open; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeChannelOpen(r: ByteReader): ChannelOpen {
  return {
    outOfBand: r.shortstr(),
  };
}

/** channel.open-ok (class 20, method 11): asynchronous. */
export interface ChannelOpenOk {
  channelId: Buffer;
}

/** Arguments to encode channel.open-ok; those with a spec default may be left out. */
export interface ChannelOpenOkInput {
  /** Default: ''. */
  channelId?: string | Uint8Array;
}

/** Writes the arguments of channel.open-ok. */
export function encodeChannelOpenOk(w: ByteWriter, a: ChannelOpenOkInput): void {
  w.longstr(a.channelId ?? '');
}

/** Reads the arguments of channel.open-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeChannelOpenOk(r: ByteReader): ChannelOpenOk {
  return {
    channelId: r.longstr(),
  };
}

/** channel.flow (class 20, method 20): synchronous. */
export interface ChannelFlow {
  active: boolean;
}

/** Arguments to encode channel.flow; those with a spec default may be left out. */
export interface ChannelFlowInput {
  active: boolean;
}

/** Writes the arguments of channel.flow. */
export function encodeChannelFlow(w: ByteWriter, a: ChannelFlowInput): void {
  let bits0 = 0;
  if (a.active) bits0 |= 1;
  w.u8(bits0);
}

/** Reads the arguments of channel.flow; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeChannelFlow(r: ByteReader): ChannelFlow {
  let bits0 = 0;
  return {
    active: ((bits0 = r.u8()) & 1) !== 0,
  };
}

/** channel.flow-ok (class 20, method 21): asynchronous. */
export interface ChannelFlowOk {
  active: boolean;
}

/** Arguments to encode channel.flow-ok; those with a spec default may be left out. */
export interface ChannelFlowOkInput {
  active: boolean;
}

/** Writes the arguments of channel.flow-ok. */
export function encodeChannelFlowOk(w: ByteWriter, a: ChannelFlowOkInput): void {
  let bits0 = 0;
  if (a.active) bits0 |= 1;
  w.u8(bits0);
}

/** Reads the arguments of channel.flow-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeChannelFlowOk(r: ByteReader): ChannelFlowOk {
  let bits0 = 0;
  return {
    active: ((bits0 = r.u8()) & 1) !== 0,
  };
}

/** channel.close (class 20, method 40): synchronous. */
export interface ChannelClose {
  replyCode: number;
  replyText: string;
  classId: number;
  methodId: number;
}

/** Arguments to encode channel.close; those with a spec default may be left out. */
export interface ChannelCloseInput {
  replyCode: number;
  /** Default: ''. */
  replyText?: string;
  classId: number;
  methodId: number;
}

/** Writes the arguments of channel.close. */
export function encodeChannelClose(w: ByteWriter, a: ChannelCloseInput): void {
  w.u16(a.replyCode);
  w.shortstr(a.replyText ?? '');
  w.u16(a.classId);
  w.u16(a.methodId);
}

/** Reads the arguments of channel.close; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeChannelClose(r: ByteReader): ChannelClose {
  return {
    replyCode: r.u16(),
    replyText: r.shortstr(),
    classId: r.u16(),
    methodId: r.u16(),
  };
}

/** channel.close-ok (class 20, method 41): asynchronous. */
export type ChannelCloseOk = Record<string, never>;

/** Arguments to encode channel.close-ok: none. */
export type ChannelCloseOkInput = Record<string, never>;

/** Writes the arguments of channel.close-ok. */
export function encodeChannelCloseOk(_w: ByteWriter, _a: ChannelCloseOkInput): void {}

/** Reads the arguments of channel.close-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeChannelCloseOk(_r: ByteReader): ChannelCloseOk {
  return {};
}

// ---- access (class 30) ----------------------------------------------------

/** access.request (class 30, method 10): synchronous. */
export interface AccessRequest {
  realm: string;
  exclusive: boolean;
  passive: boolean;
  active: boolean;
  write: boolean;
  read: boolean;
}

/** Arguments to encode access.request; those with a spec default may be left out. */
export interface AccessRequestInput {
  /** Default: '/data'. */
  realm?: string;
  /** Default: false. */
  exclusive?: boolean;
  /** Default: true. */
  passive?: boolean;
  /** Default: true. */
  active?: boolean;
  /** Default: true. */
  write?: boolean;
  /** Default: true. */
  read?: boolean;
}

/** Writes the arguments of access.request. */
export function encodeAccessRequest(w: ByteWriter, a: AccessRequestInput): void {
  w.shortstr(a.realm ?? '/data');
  let bits0 = 0;
  if (a.exclusive ?? false) bits0 |= 1;
  if (a.passive ?? true) bits0 |= 2;
  if (a.active ?? true) bits0 |= 4;
  if (a.write ?? true) bits0 |= 8;
  if (a.read ?? true) bits0 |= 16;
  w.u8(bits0);
}

/** Reads the arguments of access.request; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeAccessRequest(r: ByteReader): AccessRequest {
  let bits0 = 0;
  return {
    realm: r.shortstr(),
    exclusive: ((bits0 = r.u8()) & 1) !== 0,
    passive: (bits0 & 2) !== 0,
    active: (bits0 & 4) !== 0,
    write: (bits0 & 8) !== 0,
    read: (bits0 & 16) !== 0,
  };
}

/** access.request-ok (class 30, method 11): asynchronous. */
export interface AccessRequestOk {
  ticket: number;
}

/** Arguments to encode access.request-ok; those with a spec default may be left out. */
export interface AccessRequestOkInput {
  /** Default: 1. */
  ticket?: number;
}

/** Writes the arguments of access.request-ok. */
export function encodeAccessRequestOk(w: ByteWriter, a: AccessRequestOkInput): void {
  w.u16(a.ticket ?? 1);
}

/** Reads the arguments of access.request-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeAccessRequestOk(r: ByteReader): AccessRequestOk {
  return {
    ticket: r.u16(),
  };
}

// ---- exchange (class 40) --------------------------------------------------

/** exchange.declare (class 40, method 10): synchronous. */
export interface ExchangeDeclare {
  ticket: number;
  exchange: string;
  type: string;
  passive: boolean;
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  nowait: boolean;
  arguments: FieldTable;
}

/** Arguments to encode exchange.declare; those with a spec default may be left out. */
export interface ExchangeDeclareInput {
  /** Default: 0. */
  ticket?: number;
  exchange: string;
  /** Default: 'direct'. */
  type?: string;
  /** Default: false. */
  passive?: boolean;
  /** Default: false. */
  durable?: boolean;
  /** Default: false. */
  autoDelete?: boolean;
  /** Default: false. */
  internal?: boolean;
  /** Default: false. */
  nowait?: boolean;
  /** Default: empty table. */
  arguments?: FieldTable;
}

/** Writes the arguments of exchange.declare. */
export function encodeExchangeDeclare(w: ByteWriter, a: ExchangeDeclareInput): void {
  w.u16(a.ticket ?? 0);
  w.shortstr(a.exchange);
  w.shortstr(a.type ?? 'direct');
  let bits0 = 0;
  if (a.passive ?? false) bits0 |= 1;
  if (a.durable ?? false) bits0 |= 2;
  if (a.autoDelete ?? false) bits0 |= 4;
  if (a.internal ?? false) bits0 |= 8;
  if (a.nowait ?? false) bits0 |= 16;
  w.u8(bits0);
  writeFieldTable(w, a.arguments ?? EMPTY_TABLE);
}

/** Reads the arguments of exchange.declare; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeExchangeDeclare(r: ByteReader): ExchangeDeclare {
  let bits0 = 0;
  return {
    ticket: r.u16(),
    exchange: r.shortstr(),
    type: r.shortstr(),
    passive: ((bits0 = r.u8()) & 1) !== 0,
    durable: (bits0 & 2) !== 0,
    autoDelete: (bits0 & 4) !== 0,
    internal: (bits0 & 8) !== 0,
    nowait: (bits0 & 16) !== 0,
    arguments: readFieldTable(r),
  };
}

/** exchange.declare-ok (class 40, method 11): asynchronous. */
export type ExchangeDeclareOk = Record<string, never>;

/** Arguments to encode exchange.declare-ok: none. */
export type ExchangeDeclareOkInput = Record<string, never>;

/** Writes the arguments of exchange.declare-ok. */
export function encodeExchangeDeclareOk(_w: ByteWriter, _a: ExchangeDeclareOkInput): void {}

/** Reads the arguments of exchange.declare-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeExchangeDeclareOk(_r: ByteReader): ExchangeDeclareOk {
  return {};
}

/** exchange.delete (class 40, method 20): synchronous. */
export interface ExchangeDelete {
  ticket: number;
  exchange: string;
  ifUnused: boolean;
  nowait: boolean;
}

/** Arguments to encode exchange.delete; those with a spec default may be left out. */
export interface ExchangeDeleteInput {
  /** Default: 0. */
  ticket?: number;
  exchange: string;
  /** Default: false. */
  ifUnused?: boolean;
  /** Default: false. */
  nowait?: boolean;
}

/** Writes the arguments of exchange.delete. */
export function encodeExchangeDelete(w: ByteWriter, a: ExchangeDeleteInput): void {
  w.u16(a.ticket ?? 0);
  w.shortstr(a.exchange);
  let bits0 = 0;
  if (a.ifUnused ?? false) bits0 |= 1;
  if (a.nowait ?? false) bits0 |= 2;
  w.u8(bits0);
}

/** Reads the arguments of exchange.delete; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeExchangeDelete(r: ByteReader): ExchangeDelete {
  let bits0 = 0;
  return {
    ticket: r.u16(),
    exchange: r.shortstr(),
    ifUnused: ((bits0 = r.u8()) & 1) !== 0,
    nowait: (bits0 & 2) !== 0,
  };
}

/** exchange.delete-ok (class 40, method 21): asynchronous. */
export type ExchangeDeleteOk = Record<string, never>;

/** Arguments to encode exchange.delete-ok: none. */
export type ExchangeDeleteOkInput = Record<string, never>;

/** Writes the arguments of exchange.delete-ok. */
export function encodeExchangeDeleteOk(_w: ByteWriter, _a: ExchangeDeleteOkInput): void {}

/** Reads the arguments of exchange.delete-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeExchangeDeleteOk(_r: ByteReader): ExchangeDeleteOk {
  return {};
}

/** exchange.bind (class 40, method 30): synchronous. */
export interface ExchangeBind {
  ticket: number;
  destination: string;
  source: string;
  routingKey: string;
  nowait: boolean;
  arguments: FieldTable;
}

/** Arguments to encode exchange.bind; those with a spec default may be left out. */
export interface ExchangeBindInput {
  /** Default: 0. */
  ticket?: number;
  destination: string;
  source: string;
  /** Default: ''. */
  routingKey?: string;
  /** Default: false. */
  nowait?: boolean;
  /** Default: empty table. */
  arguments?: FieldTable;
}

/** Writes the arguments of exchange.bind. */
export function encodeExchangeBind(w: ByteWriter, a: ExchangeBindInput): void {
  w.u16(a.ticket ?? 0);
  w.shortstr(a.destination);
  w.shortstr(a.source);
  w.shortstr(a.routingKey ?? '');
  let bits0 = 0;
  if (a.nowait ?? false) bits0 |= 1;
  w.u8(bits0);
  writeFieldTable(w, a.arguments ?? EMPTY_TABLE);
}

/** Reads the arguments of exchange.bind; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeExchangeBind(r: ByteReader): ExchangeBind {
  let bits0 = 0;
  return {
    ticket: r.u16(),
    destination: r.shortstr(),
    source: r.shortstr(),
    routingKey: r.shortstr(),
    nowait: ((bits0 = r.u8()) & 1) !== 0,
    arguments: readFieldTable(r),
  };
}

/** exchange.bind-ok (class 40, method 31): asynchronous. */
export type ExchangeBindOk = Record<string, never>;

/** Arguments to encode exchange.bind-ok: none. */
export type ExchangeBindOkInput = Record<string, never>;

/** Writes the arguments of exchange.bind-ok. */
export function encodeExchangeBindOk(_w: ByteWriter, _a: ExchangeBindOkInput): void {}

/** Reads the arguments of exchange.bind-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeExchangeBindOk(_r: ByteReader): ExchangeBindOk {
  return {};
}

/** exchange.unbind (class 40, method 40): synchronous. */
export interface ExchangeUnbind {
  ticket: number;
  destination: string;
  source: string;
  routingKey: string;
  nowait: boolean;
  arguments: FieldTable;
}

/** Arguments to encode exchange.unbind; those with a spec default may be left out. */
export interface ExchangeUnbindInput {
  /** Default: 0. */
  ticket?: number;
  destination: string;
  source: string;
  /** Default: ''. */
  routingKey?: string;
  /** Default: false. */
  nowait?: boolean;
  /** Default: empty table. */
  arguments?: FieldTable;
}

/** Writes the arguments of exchange.unbind. */
export function encodeExchangeUnbind(w: ByteWriter, a: ExchangeUnbindInput): void {
  w.u16(a.ticket ?? 0);
  w.shortstr(a.destination);
  w.shortstr(a.source);
  w.shortstr(a.routingKey ?? '');
  let bits0 = 0;
  if (a.nowait ?? false) bits0 |= 1;
  w.u8(bits0);
  writeFieldTable(w, a.arguments ?? EMPTY_TABLE);
}

/** Reads the arguments of exchange.unbind; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeExchangeUnbind(r: ByteReader): ExchangeUnbind {
  let bits0 = 0;
  return {
    ticket: r.u16(),
    destination: r.shortstr(),
    source: r.shortstr(),
    routingKey: r.shortstr(),
    nowait: ((bits0 = r.u8()) & 1) !== 0,
    arguments: readFieldTable(r),
  };
}

/** exchange.unbind-ok (class 40, method 51): asynchronous. */
export type ExchangeUnbindOk = Record<string, never>;

/** Arguments to encode exchange.unbind-ok: none. */
export type ExchangeUnbindOkInput = Record<string, never>;

/** Writes the arguments of exchange.unbind-ok. */
export function encodeExchangeUnbindOk(_w: ByteWriter, _a: ExchangeUnbindOkInput): void {}

/** Reads the arguments of exchange.unbind-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeExchangeUnbindOk(_r: ByteReader): ExchangeUnbindOk {
  return {};
}

// ---- queue (class 50) -----------------------------------------------------

/** queue.declare (class 50, method 10): synchronous. */
export interface QueueDeclare {
  ticket: number;
  queue: string;
  passive: boolean;
  durable: boolean;
  exclusive: boolean;
  autoDelete: boolean;
  nowait: boolean;
  arguments: FieldTable;
}

/** Arguments to encode queue.declare; those with a spec default may be left out. */
export interface QueueDeclareInput {
  /** Default: 0. */
  ticket?: number;
  /** Default: ''. */
  queue?: string;
  /** Default: false. */
  passive?: boolean;
  /** Default: false. */
  durable?: boolean;
  /** Default: false. */
  exclusive?: boolean;
  /** Default: false. */
  autoDelete?: boolean;
  /** Default: false. */
  nowait?: boolean;
  /** Default: empty table. */
  arguments?: FieldTable;
}

/** Writes the arguments of queue.declare. */
export function encodeQueueDeclare(w: ByteWriter, a: QueueDeclareInput): void {
  w.u16(a.ticket ?? 0);
  w.shortstr(a.queue ?? '');
  let bits0 = 0;
  if (a.passive ?? false) bits0 |= 1;
  if (a.durable ?? false) bits0 |= 2;
  if (a.exclusive ?? false) bits0 |= 4;
  if (a.autoDelete ?? false) bits0 |= 8;
  if (a.nowait ?? false) bits0 |= 16;
  w.u8(bits0);
  writeFieldTable(w, a.arguments ?? EMPTY_TABLE);
}

/** Reads the arguments of queue.declare; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeQueueDeclare(r: ByteReader): QueueDeclare {
  let bits0 = 0;
  return {
    ticket: r.u16(),
    queue: r.shortstr(),
    passive: ((bits0 = r.u8()) & 1) !== 0,
    durable: (bits0 & 2) !== 0,
    exclusive: (bits0 & 4) !== 0,
    autoDelete: (bits0 & 8) !== 0,
    nowait: (bits0 & 16) !== 0,
    arguments: readFieldTable(r),
  };
}

/** queue.declare-ok (class 50, method 11): asynchronous. */
export interface QueueDeclareOk {
  queue: string;
  messageCount: number;
  consumerCount: number;
}

/** Arguments to encode queue.declare-ok; those with a spec default may be left out. */
export interface QueueDeclareOkInput {
  queue: string;
  messageCount: number;
  consumerCount: number;
}

/** Writes the arguments of queue.declare-ok. */
export function encodeQueueDeclareOk(w: ByteWriter, a: QueueDeclareOkInput): void {
  w.shortstr(a.queue);
  w.u32(a.messageCount);
  w.u32(a.consumerCount);
}

/** Reads the arguments of queue.declare-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeQueueDeclareOk(r: ByteReader): QueueDeclareOk {
  return {
    queue: r.shortstr(),
    messageCount: r.u32(),
    consumerCount: r.u32(),
  };
}

/** queue.bind (class 50, method 20): synchronous. */
export interface QueueBind {
  ticket: number;
  queue: string;
  exchange: string;
  routingKey: string;
  nowait: boolean;
  arguments: FieldTable;
}

/** Arguments to encode queue.bind; those with a spec default may be left out. */
export interface QueueBindInput {
  /** Default: 0. */
  ticket?: number;
  /** Default: ''. */
  queue?: string;
  exchange: string;
  /** Default: ''. */
  routingKey?: string;
  /** Default: false. */
  nowait?: boolean;
  /** Default: empty table. */
  arguments?: FieldTable;
}

/** Writes the arguments of queue.bind. */
export function encodeQueueBind(w: ByteWriter, a: QueueBindInput): void {
  w.u16(a.ticket ?? 0);
  w.shortstr(a.queue ?? '');
  w.shortstr(a.exchange);
  w.shortstr(a.routingKey ?? '');
  let bits0 = 0;
  if (a.nowait ?? false) bits0 |= 1;
  w.u8(bits0);
  writeFieldTable(w, a.arguments ?? EMPTY_TABLE);
}

/** Reads the arguments of queue.bind; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeQueueBind(r: ByteReader): QueueBind {
  let bits0 = 0;
  return {
    ticket: r.u16(),
    queue: r.shortstr(),
    exchange: r.shortstr(),
    routingKey: r.shortstr(),
    nowait: ((bits0 = r.u8()) & 1) !== 0,
    arguments: readFieldTable(r),
  };
}

/** queue.bind-ok (class 50, method 21): asynchronous. */
export type QueueBindOk = Record<string, never>;

/** Arguments to encode queue.bind-ok: none. */
export type QueueBindOkInput = Record<string, never>;

/** Writes the arguments of queue.bind-ok. */
export function encodeQueueBindOk(_w: ByteWriter, _a: QueueBindOkInput): void {}

/** Reads the arguments of queue.bind-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeQueueBindOk(_r: ByteReader): QueueBindOk {
  return {};
}

/** queue.purge (class 50, method 30): synchronous. */
export interface QueuePurge {
  ticket: number;
  queue: string;
  nowait: boolean;
}

/** Arguments to encode queue.purge; those with a spec default may be left out. */
export interface QueuePurgeInput {
  /** Default: 0. */
  ticket?: number;
  /** Default: ''. */
  queue?: string;
  /** Default: false. */
  nowait?: boolean;
}

/** Writes the arguments of queue.purge. */
export function encodeQueuePurge(w: ByteWriter, a: QueuePurgeInput): void {
  w.u16(a.ticket ?? 0);
  w.shortstr(a.queue ?? '');
  let bits0 = 0;
  if (a.nowait ?? false) bits0 |= 1;
  w.u8(bits0);
}

/** Reads the arguments of queue.purge; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeQueuePurge(r: ByteReader): QueuePurge {
  let bits0 = 0;
  return {
    ticket: r.u16(),
    queue: r.shortstr(),
    nowait: ((bits0 = r.u8()) & 1) !== 0,
  };
}

/** queue.purge-ok (class 50, method 31): asynchronous. */
export interface QueuePurgeOk {
  messageCount: number;
}

/** Arguments to encode queue.purge-ok; those with a spec default may be left out. */
export interface QueuePurgeOkInput {
  messageCount: number;
}

/** Writes the arguments of queue.purge-ok. */
export function encodeQueuePurgeOk(w: ByteWriter, a: QueuePurgeOkInput): void {
  w.u32(a.messageCount);
}

/** Reads the arguments of queue.purge-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeQueuePurgeOk(r: ByteReader): QueuePurgeOk {
  return {
    messageCount: r.u32(),
  };
}

/** queue.delete (class 50, method 40): synchronous. */
export interface QueueDelete {
  ticket: number;
  queue: string;
  ifUnused: boolean;
  ifEmpty: boolean;
  nowait: boolean;
}

/** Arguments to encode queue.delete; those with a spec default may be left out. */
export interface QueueDeleteInput {
  /** Default: 0. */
  ticket?: number;
  /** Default: ''. */
  queue?: string;
  /** Default: false. */
  ifUnused?: boolean;
  /** Default: false. */
  ifEmpty?: boolean;
  /** Default: false. */
  nowait?: boolean;
}

/** Writes the arguments of queue.delete. */
export function encodeQueueDelete(w: ByteWriter, a: QueueDeleteInput): void {
  w.u16(a.ticket ?? 0);
  w.shortstr(a.queue ?? '');
  let bits0 = 0;
  if (a.ifUnused ?? false) bits0 |= 1;
  if (a.ifEmpty ?? false) bits0 |= 2;
  if (a.nowait ?? false) bits0 |= 4;
  w.u8(bits0);
}

/** Reads the arguments of queue.delete; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeQueueDelete(r: ByteReader): QueueDelete {
  let bits0 = 0;
  return {
    ticket: r.u16(),
    queue: r.shortstr(),
    ifUnused: ((bits0 = r.u8()) & 1) !== 0,
    ifEmpty: (bits0 & 2) !== 0,
    nowait: (bits0 & 4) !== 0,
  };
}

/** queue.delete-ok (class 50, method 41): asynchronous. */
export interface QueueDeleteOk {
  messageCount: number;
}

/** Arguments to encode queue.delete-ok; those with a spec default may be left out. */
export interface QueueDeleteOkInput {
  messageCount: number;
}

/** Writes the arguments of queue.delete-ok. */
export function encodeQueueDeleteOk(w: ByteWriter, a: QueueDeleteOkInput): void {
  w.u32(a.messageCount);
}

/** Reads the arguments of queue.delete-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeQueueDeleteOk(r: ByteReader): QueueDeleteOk {
  return {
    messageCount: r.u32(),
  };
}

/** queue.unbind (class 50, method 50): synchronous. */
export interface QueueUnbind {
  ticket: number;
  queue: string;
  exchange: string;
  routingKey: string;
  arguments: FieldTable;
}

/** Arguments to encode queue.unbind; those with a spec default may be left out. */
export interface QueueUnbindInput {
  /** Default: 0. */
  ticket?: number;
  /** Default: ''. */
  queue?: string;
  exchange: string;
  /** Default: ''. */
  routingKey?: string;
  /** Default: empty table. */
  arguments?: FieldTable;
}

/** Writes the arguments of queue.unbind. */
export function encodeQueueUnbind(w: ByteWriter, a: QueueUnbindInput): void {
  w.u16(a.ticket ?? 0);
  w.shortstr(a.queue ?? '');
  w.shortstr(a.exchange);
  w.shortstr(a.routingKey ?? '');
  writeFieldTable(w, a.arguments ?? EMPTY_TABLE);
}

/** Reads the arguments of queue.unbind; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeQueueUnbind(r: ByteReader): QueueUnbind {
  return {
    ticket: r.u16(),
    queue: r.shortstr(),
    exchange: r.shortstr(),
    routingKey: r.shortstr(),
    arguments: readFieldTable(r),
  };
}

/** queue.unbind-ok (class 50, method 51): asynchronous. */
export type QueueUnbindOk = Record<string, never>;

/** Arguments to encode queue.unbind-ok: none. */
export type QueueUnbindOkInput = Record<string, never>;

/** Writes the arguments of queue.unbind-ok. */
export function encodeQueueUnbindOk(_w: ByteWriter, _a: QueueUnbindOkInput): void {}

/** Reads the arguments of queue.unbind-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeQueueUnbindOk(_r: ByteReader): QueueUnbindOk {
  return {};
}

// ---- basic (class 60) -----------------------------------------------------

/** basic.qos (class 60, method 10): synchronous. */
export interface BasicQos {
  prefetchSize: number;
  prefetchCount: number;
  global: boolean;
}

/** Arguments to encode basic.qos; those with a spec default may be left out. */
export interface BasicQosInput {
  /** Default: 0. */
  prefetchSize?: number;
  /** Default: 0. */
  prefetchCount?: number;
  /** Default: false. */
  global?: boolean;
}

/** Writes the arguments of basic.qos. */
export function encodeBasicQos(w: ByteWriter, a: BasicQosInput): void {
  w.u32(a.prefetchSize ?? 0);
  w.u16(a.prefetchCount ?? 0);
  let bits0 = 0;
  if (a.global ?? false) bits0 |= 1;
  w.u8(bits0);
}

/** Reads the arguments of basic.qos; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeBasicQos(r: ByteReader): BasicQos {
  let bits0 = 0;
  return {
    prefetchSize: r.u32(),
    prefetchCount: r.u16(),
    global: ((bits0 = r.u8()) & 1) !== 0,
  };
}

/** basic.qos-ok (class 60, method 11): asynchronous. */
export type BasicQosOk = Record<string, never>;

/** Arguments to encode basic.qos-ok: none. */
export type BasicQosOkInput = Record<string, never>;

/** Writes the arguments of basic.qos-ok. */
export function encodeBasicQosOk(_w: ByteWriter, _a: BasicQosOkInput): void {}

/** Reads the arguments of basic.qos-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeBasicQosOk(_r: ByteReader): BasicQosOk {
  return {};
}

/** basic.consume (class 60, method 20): synchronous. */
export interface BasicConsume {
  ticket: number;
  queue: string;
  consumerTag: string;
  noLocal: boolean;
  noAck: boolean;
  exclusive: boolean;
  nowait: boolean;
  arguments: FieldTable;
}

/** Arguments to encode basic.consume; those with a spec default may be left out. */
export interface BasicConsumeInput {
  /** Default: 0. */
  ticket?: number;
  /** Default: ''. */
  queue?: string;
  /** Default: ''. */
  consumerTag?: string;
  /** Default: false. */
  noLocal?: boolean;
  /** Default: false. */
  noAck?: boolean;
  /** Default: false. */
  exclusive?: boolean;
  /** Default: false. */
  nowait?: boolean;
  /** Default: empty table. */
  arguments?: FieldTable;
}

/** Writes the arguments of basic.consume. */
export function encodeBasicConsume(w: ByteWriter, a: BasicConsumeInput): void {
  w.u16(a.ticket ?? 0);
  w.shortstr(a.queue ?? '');
  w.shortstr(a.consumerTag ?? '');
  let bits0 = 0;
  if (a.noLocal ?? false) bits0 |= 1;
  if (a.noAck ?? false) bits0 |= 2;
  if (a.exclusive ?? false) bits0 |= 4;
  if (a.nowait ?? false) bits0 |= 8;
  w.u8(bits0);
  writeFieldTable(w, a.arguments ?? EMPTY_TABLE);
}

/** Reads the arguments of basic.consume; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeBasicConsume(r: ByteReader): BasicConsume {
  let bits0 = 0;
  return {
    ticket: r.u16(),
    queue: r.shortstr(),
    consumerTag: r.shortstr(),
    noLocal: ((bits0 = r.u8()) & 1) !== 0,
    noAck: (bits0 & 2) !== 0,
    exclusive: (bits0 & 4) !== 0,
    nowait: (bits0 & 8) !== 0,
    arguments: readFieldTable(r),
  };
}

/** basic.consume-ok (class 60, method 21): asynchronous. */
export interface BasicConsumeOk {
  consumerTag: string;
}

/** Arguments to encode basic.consume-ok; those with a spec default may be left out. */
export interface BasicConsumeOkInput {
  consumerTag: string;
}

/** Writes the arguments of basic.consume-ok. */
export function encodeBasicConsumeOk(w: ByteWriter, a: BasicConsumeOkInput): void {
  w.shortstr(a.consumerTag);
}

/** Reads the arguments of basic.consume-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeBasicConsumeOk(r: ByteReader): BasicConsumeOk {
  return {
    consumerTag: r.shortstr(),
  };
}

/** basic.cancel (class 60, method 30): synchronous. */
export interface BasicCancel {
  consumerTag: string;
  nowait: boolean;
}

/** Arguments to encode basic.cancel; those with a spec default may be left out. */
export interface BasicCancelInput {
  consumerTag: string;
  /** Default: false. */
  nowait?: boolean;
}

/** Writes the arguments of basic.cancel. */
export function encodeBasicCancel(w: ByteWriter, a: BasicCancelInput): void {
  w.shortstr(a.consumerTag);
  let bits0 = 0;
  if (a.nowait ?? false) bits0 |= 1;
  w.u8(bits0);
}

/** Reads the arguments of basic.cancel; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeBasicCancel(r: ByteReader): BasicCancel {
  let bits0 = 0;
  return {
    consumerTag: r.shortstr(),
    nowait: ((bits0 = r.u8()) & 1) !== 0,
  };
}

/** basic.cancel-ok (class 60, method 31): asynchronous. */
export interface BasicCancelOk {
  consumerTag: string;
}

/** Arguments to encode basic.cancel-ok; those with a spec default may be left out. */
export interface BasicCancelOkInput {
  consumerTag: string;
}

/** Writes the arguments of basic.cancel-ok. */
export function encodeBasicCancelOk(w: ByteWriter, a: BasicCancelOkInput): void {
  w.shortstr(a.consumerTag);
}

/** Reads the arguments of basic.cancel-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeBasicCancelOk(r: ByteReader): BasicCancelOk {
  return {
    consumerTag: r.shortstr(),
  };
}

/** basic.publish (class 60, method 40): asynchronous, carries content. */
export interface BasicPublish {
  ticket: number;
  exchange: string;
  routingKey: string;
  mandatory: boolean;
  immediate: boolean;
}

/** Arguments to encode basic.publish; those with a spec default may be left out. */
export interface BasicPublishInput {
  /** Default: 0. */
  ticket?: number;
  /** Default: ''. */
  exchange?: string;
  /** Default: ''. */
  routingKey?: string;
  /** Default: false. */
  mandatory?: boolean;
  /** Default: false. */
  immediate?: boolean;
}

/** Writes the arguments of basic.publish. */
export function encodeBasicPublish(w: ByteWriter, a: BasicPublishInput): void {
  w.u16(a.ticket ?? 0);
  w.shortstr(a.exchange ?? '');
  w.shortstr(a.routingKey ?? '');
  let bits0 = 0;
  if (a.mandatory ?? false) bits0 |= 1;
  if (a.immediate ?? false) bits0 |= 2;
  w.u8(bits0);
}

/** Reads the arguments of basic.publish; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeBasicPublish(r: ByteReader): BasicPublish {
  let bits0 = 0;
  return {
    ticket: r.u16(),
    exchange: r.shortstr(),
    routingKey: r.shortstr(),
    mandatory: ((bits0 = r.u8()) & 1) !== 0,
    immediate: (bits0 & 2) !== 0,
  };
}

/** basic.return (class 60, method 50): asynchronous, carries content. */
export interface BasicReturn {
  replyCode: number;
  replyText: string;
  exchange: string;
  routingKey: string;
}

/** Arguments to encode basic.return; those with a spec default may be left out. */
export interface BasicReturnInput {
  replyCode: number;
  /** Default: ''. */
  replyText?: string;
  exchange: string;
  routingKey: string;
}

/** Writes the arguments of basic.return. */
export function encodeBasicReturn(w: ByteWriter, a: BasicReturnInput): void {
  w.u16(a.replyCode);
  w.shortstr(a.replyText ?? '');
  w.shortstr(a.exchange);
  w.shortstr(a.routingKey);
}

/** Reads the arguments of basic.return; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeBasicReturn(r: ByteReader): BasicReturn {
  return {
    replyCode: r.u16(),
    replyText: r.shortstr(),
    exchange: r.shortstr(),
    routingKey: r.shortstr(),
  };
}

/** basic.deliver (class 60, method 60): asynchronous, carries content. */
export interface BasicDeliver {
  consumerTag: string;
  deliveryTag: number;
  redelivered: boolean;
  exchange: string;
  routingKey: string;
}

/** Arguments to encode basic.deliver; those with a spec default may be left out. */
export interface BasicDeliverInput {
  consumerTag: string;
  deliveryTag: number;
  /** Default: false. */
  redelivered?: boolean;
  exchange: string;
  routingKey: string;
}

/** Writes the arguments of basic.deliver. */
export function encodeBasicDeliver(w: ByteWriter, a: BasicDeliverInput): void {
  w.shortstr(a.consumerTag);
  w.u64(a.deliveryTag);
  let bits0 = 0;
  if (a.redelivered ?? false) bits0 |= 1;
  w.u8(bits0);
  w.shortstr(a.exchange);
  w.shortstr(a.routingKey);
}

/** Reads the arguments of basic.deliver; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeBasicDeliver(r: ByteReader): BasicDeliver {
  let bits0 = 0;
  return {
    consumerTag: r.shortstr(),
    deliveryTag: r.u64(),
    redelivered: ((bits0 = r.u8()) & 1) !== 0,
    exchange: r.shortstr(),
    routingKey: r.shortstr(),
  };
}

/** basic.get (class 60, method 70): synchronous. */
export interface BasicGet {
  ticket: number;
  queue: string;
  noAck: boolean;
}

/** Arguments to encode basic.get; those with a spec default may be left out. */
export interface BasicGetInput {
  /** Default: 0. */
  ticket?: number;
  /** Default: ''. */
  queue?: string;
  /** Default: false. */
  noAck?: boolean;
}

/** Writes the arguments of basic.get. */
export function encodeBasicGet(w: ByteWriter, a: BasicGetInput): void {
  w.u16(a.ticket ?? 0);
  w.shortstr(a.queue ?? '');
  let bits0 = 0;
  if (a.noAck ?? false) bits0 |= 1;
  w.u8(bits0);
}

/** Reads the arguments of basic.get; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeBasicGet(r: ByteReader): BasicGet {
  let bits0 = 0;
  return {
    ticket: r.u16(),
    queue: r.shortstr(),
    noAck: ((bits0 = r.u8()) & 1) !== 0,
  };
}

/** basic.get-ok (class 60, method 71): asynchronous, carries content. */
export interface BasicGetOk {
  deliveryTag: number;
  redelivered: boolean;
  exchange: string;
  routingKey: string;
  messageCount: number;
}

/** Arguments to encode basic.get-ok; those with a spec default may be left out. */
export interface BasicGetOkInput {
  deliveryTag: number;
  /** Default: false. */
  redelivered?: boolean;
  exchange: string;
  routingKey: string;
  messageCount: number;
}

/** Writes the arguments of basic.get-ok. */
export function encodeBasicGetOk(w: ByteWriter, a: BasicGetOkInput): void {
  w.u64(a.deliveryTag);
  let bits0 = 0;
  if (a.redelivered ?? false) bits0 |= 1;
  w.u8(bits0);
  w.shortstr(a.exchange);
  w.shortstr(a.routingKey);
  w.u32(a.messageCount);
}

/** Reads the arguments of basic.get-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeBasicGetOk(r: ByteReader): BasicGetOk {
  let bits0 = 0;
  return {
    deliveryTag: r.u64(),
    redelivered: ((bits0 = r.u8()) & 1) !== 0,
    exchange: r.shortstr(),
    routingKey: r.shortstr(),
    messageCount: r.u32(),
  };
}

/** basic.get-empty (class 60, method 72): asynchronous. */
export interface BasicGetEmpty {
  clusterId: string;
}

/** Arguments to encode basic.get-empty; those with a spec default may be left out. */
export interface BasicGetEmptyInput {
  /** Default: ''. */
  clusterId?: string;
}

/** Writes the arguments of basic.get-empty. */
export function encodeBasicGetEmpty(w: ByteWriter, a: BasicGetEmptyInput): void {
  w.shortstr(a.clusterId ?? '');
}

/** Reads the arguments of basic.get-empty; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeBasicGetEmpty(r: ByteReader): BasicGetEmpty {
  return {
    clusterId: r.shortstr(),
  };
}

/** basic.ack (class 60, method 80): asynchronous. */
export interface BasicAck {
  deliveryTag: number;
  multiple: boolean;
}

/** Arguments to encode basic.ack; those with a spec default may be left out. */
export interface BasicAckInput {
  /** Default: 0. */
  deliveryTag?: number;
  /** Default: false. */
  multiple?: boolean;
}

/** Writes the arguments of basic.ack. */
export function encodeBasicAck(w: ByteWriter, a: BasicAckInput): void {
  w.u64(a.deliveryTag ?? 0);
  let bits0 = 0;
  if (a.multiple ?? false) bits0 |= 1;
  w.u8(bits0);
}

/** Reads the arguments of basic.ack; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeBasicAck(r: ByteReader): BasicAck {
  let bits0 = 0;
  return {
    deliveryTag: r.u64(),
    multiple: ((bits0 = r.u8()) & 1) !== 0,
  };
}

/** basic.reject (class 60, method 90): asynchronous. */
export interface BasicReject {
  deliveryTag: number;
  requeue: boolean;
}

/** Arguments to encode basic.reject; those with a spec default may be left out. */
export interface BasicRejectInput {
  deliveryTag: number;
  /** Default: true. */
  requeue?: boolean;
}

/** Writes the arguments of basic.reject. */
export function encodeBasicReject(w: ByteWriter, a: BasicRejectInput): void {
  w.u64(a.deliveryTag);
  let bits0 = 0;
  if (a.requeue ?? true) bits0 |= 1;
  w.u8(bits0);
}

/** Reads the arguments of basic.reject; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeBasicReject(r: ByteReader): BasicReject {
  let bits0 = 0;
  return {
    deliveryTag: r.u64(),
    requeue: ((bits0 = r.u8()) & 1) !== 0,
  };
}

/** basic.recover-async (class 60, method 100): asynchronous. */
export interface BasicRecoverAsync {
  requeue: boolean;
}

/** Arguments to encode basic.recover-async; those with a spec default may be left out. */
export interface BasicRecoverAsyncInput {
  /** Default: false. */
  requeue?: boolean;
}

/** Writes the arguments of basic.recover-async. */
export function encodeBasicRecoverAsync(w: ByteWriter, a: BasicRecoverAsyncInput): void {
  let bits0 = 0;
  if (a.requeue ?? false) bits0 |= 1;
  w.u8(bits0);
}

/** Reads the arguments of basic.recover-async; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeBasicRecoverAsync(r: ByteReader): BasicRecoverAsync {
  let bits0 = 0;
  return {
    requeue: ((bits0 = r.u8()) & 1) !== 0,
  };
}

/** basic.recover (class 60, method 110): synchronous. */
export interface BasicRecover {
  requeue: boolean;
}

/** Arguments to encode basic.recover; those with a spec default may be left out. */
export interface BasicRecoverInput {
  /** Default: false. */
  requeue?: boolean;
}

/** Writes the arguments of basic.recover. */
export function encodeBasicRecover(w: ByteWriter, a: BasicRecoverInput): void {
  let bits0 = 0;
  if (a.requeue ?? false) bits0 |= 1;
  w.u8(bits0);
}

/** Reads the arguments of basic.recover; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeBasicRecover(r: ByteReader): BasicRecover {
  let bits0 = 0;
  return {
    requeue: ((bits0 = r.u8()) & 1) !== 0,
  };
}

/** basic.recover-ok (class 60, method 111): asynchronous. */
export type BasicRecoverOk = Record<string, never>;

/** Arguments to encode basic.recover-ok: none. */
export type BasicRecoverOkInput = Record<string, never>;

/** Writes the arguments of basic.recover-ok. */
export function encodeBasicRecoverOk(_w: ByteWriter, _a: BasicRecoverOkInput): void {}

/** Reads the arguments of basic.recover-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeBasicRecoverOk(_r: ByteReader): BasicRecoverOk {
  return {};
}

/** basic.nack (class 60, method 120): asynchronous. */
export interface BasicNack {
  deliveryTag: number;
  multiple: boolean;
  requeue: boolean;
}

/** Arguments to encode basic.nack; those with a spec default may be left out. */
export interface BasicNackInput {
  /** Default: 0. */
  deliveryTag?: number;
  /** Default: false. */
  multiple?: boolean;
  /** Default: true. */
  requeue?: boolean;
}

/** Writes the arguments of basic.nack. */
export function encodeBasicNack(w: ByteWriter, a: BasicNackInput): void {
  w.u64(a.deliveryTag ?? 0);
  let bits0 = 0;
  if (a.multiple ?? false) bits0 |= 1;
  if (a.requeue ?? true) bits0 |= 2;
  w.u8(bits0);
}

/** Reads the arguments of basic.nack; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeBasicNack(r: ByteReader): BasicNack {
  let bits0 = 0;
  return {
    deliveryTag: r.u64(),
    multiple: ((bits0 = r.u8()) & 1) !== 0,
    requeue: (bits0 & 2) !== 0,
  };
}

// ---- tx (class 90) --------------------------------------------------------

/** tx.select (class 90, method 10): synchronous. */
export type TxSelect = Record<string, never>;

/** Arguments to encode tx.select: none. */
export type TxSelectInput = Record<string, never>;

/** Writes the arguments of tx.select. */
export function encodeTxSelect(_w: ByteWriter, _a: TxSelectInput): void {}

/** Reads the arguments of tx.select; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeTxSelect(_r: ByteReader): TxSelect {
  return {};
}

/** tx.select-ok (class 90, method 11): asynchronous. */
export type TxSelectOk = Record<string, never>;

/** Arguments to encode tx.select-ok: none. */
export type TxSelectOkInput = Record<string, never>;

/** Writes the arguments of tx.select-ok. */
export function encodeTxSelectOk(_w: ByteWriter, _a: TxSelectOkInput): void {}

/** Reads the arguments of tx.select-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeTxSelectOk(_r: ByteReader): TxSelectOk {
  return {};
}

/** tx.commit (class 90, method 20): synchronous. */
export type TxCommit = Record<string, never>;

/** Arguments to encode tx.commit: none. */
export type TxCommitInput = Record<string, never>;

/** Writes the arguments of tx.commit. */
export function encodeTxCommit(_w: ByteWriter, _a: TxCommitInput): void {}

/** Reads the arguments of tx.commit; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeTxCommit(_r: ByteReader): TxCommit {
  return {};
}

/** tx.commit-ok (class 90, method 21): asynchronous. */
export type TxCommitOk = Record<string, never>;

/** Arguments to encode tx.commit-ok: none. */
export type TxCommitOkInput = Record<string, never>;

/** Writes the arguments of tx.commit-ok. */
export function encodeTxCommitOk(_w: ByteWriter, _a: TxCommitOkInput): void {}

/** Reads the arguments of tx.commit-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeTxCommitOk(_r: ByteReader): TxCommitOk {
  return {};
}

/** tx.rollback (class 90, method 30): synchronous. */
export type TxRollback = Record<string, never>;

/** Arguments to encode tx.rollback: none. */
export type TxRollbackInput = Record<string, never>;

/** Writes the arguments of tx.rollback. */
export function encodeTxRollback(_w: ByteWriter, _a: TxRollbackInput): void {}

/** Reads the arguments of tx.rollback; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeTxRollback(_r: ByteReader): TxRollback {
  return {};
}

/** tx.rollback-ok (class 90, method 31): asynchronous. */
export type TxRollbackOk = Record<string, never>;

/** Arguments to encode tx.rollback-ok: none. */
export type TxRollbackOkInput = Record<string, never>;

/** Writes the arguments of tx.rollback-ok. */
export function encodeTxRollbackOk(_w: ByteWriter, _a: TxRollbackOkInput): void {}

/** Reads the arguments of tx.rollback-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeTxRollbackOk(_r: ByteReader): TxRollbackOk {
  return {};
}

// ---- confirm (class 85) ---------------------------------------------------

/** confirm.select (class 85, method 10): synchronous. */
export interface ConfirmSelect {
  nowait: boolean;
}

/** Arguments to encode confirm.select; those with a spec default may be left out. */
export interface ConfirmSelectInput {
  /** Default: false. */
  nowait?: boolean;
}

/** Writes the arguments of confirm.select. */
export function encodeConfirmSelect(w: ByteWriter, a: ConfirmSelectInput): void {
  let bits0 = 0;
  if (a.nowait ?? false) bits0 |= 1;
  w.u8(bits0);
}

/** Reads the arguments of confirm.select; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeConfirmSelect(r: ByteReader): ConfirmSelect {
  let bits0 = 0;
  return {
    nowait: ((bits0 = r.u8()) & 1) !== 0,
  };
}

/** confirm.select-ok (class 85, method 11): asynchronous. */
export type ConfirmSelectOk = Record<string, never>;

/** Arguments to encode confirm.select-ok: none. */
export type ConfirmSelectOkInput = Record<string, never>;

/** Writes the arguments of confirm.select-ok. */
export function encodeConfirmSelectOk(_w: ByteWriter, _a: ConfirmSelectOkInput): void {}

/** Reads the arguments of confirm.select-ok; throws Amqp091DecodeError on truncation or a bad value. */
export function decodeConfirmSelectOk(_r: ByteReader): ConfirmSelectOk {
  return {};
}

// ---- methods by name and by id ----------------------------------------------------------

/** Decoded arguments by method name. */
export interface MethodArgs {
  'connection.start': ConnectionStart;
  'connection.start-ok': ConnectionStartOk;
  'connection.secure': ConnectionSecure;
  'connection.secure-ok': ConnectionSecureOk;
  'connection.tune': ConnectionTune;
  'connection.tune-ok': ConnectionTuneOk;
  'connection.open': ConnectionOpen;
  'connection.open-ok': ConnectionOpenOk;
  'connection.close': ConnectionClose;
  'connection.close-ok': ConnectionCloseOk;
  'connection.blocked': ConnectionBlocked;
  'connection.unblocked': ConnectionUnblocked;
  'connection.update-secret': ConnectionUpdateSecret;
  'connection.update-secret-ok': ConnectionUpdateSecretOk;
  'channel.open': ChannelOpen;
  'channel.open-ok': ChannelOpenOk;
  'channel.flow': ChannelFlow;
  'channel.flow-ok': ChannelFlowOk;
  'channel.close': ChannelClose;
  'channel.close-ok': ChannelCloseOk;
  'access.request': AccessRequest;
  'access.request-ok': AccessRequestOk;
  'exchange.declare': ExchangeDeclare;
  'exchange.declare-ok': ExchangeDeclareOk;
  'exchange.delete': ExchangeDelete;
  'exchange.delete-ok': ExchangeDeleteOk;
  'exchange.bind': ExchangeBind;
  'exchange.bind-ok': ExchangeBindOk;
  'exchange.unbind': ExchangeUnbind;
  'exchange.unbind-ok': ExchangeUnbindOk;
  'queue.declare': QueueDeclare;
  'queue.declare-ok': QueueDeclareOk;
  'queue.bind': QueueBind;
  'queue.bind-ok': QueueBindOk;
  'queue.purge': QueuePurge;
  'queue.purge-ok': QueuePurgeOk;
  'queue.delete': QueueDelete;
  'queue.delete-ok': QueueDeleteOk;
  'queue.unbind': QueueUnbind;
  'queue.unbind-ok': QueueUnbindOk;
  'basic.qos': BasicQos;
  'basic.qos-ok': BasicQosOk;
  'basic.consume': BasicConsume;
  'basic.consume-ok': BasicConsumeOk;
  'basic.cancel': BasicCancel;
  'basic.cancel-ok': BasicCancelOk;
  'basic.publish': BasicPublish;
  'basic.return': BasicReturn;
  'basic.deliver': BasicDeliver;
  'basic.get': BasicGet;
  'basic.get-ok': BasicGetOk;
  'basic.get-empty': BasicGetEmpty;
  'basic.ack': BasicAck;
  'basic.reject': BasicReject;
  'basic.recover-async': BasicRecoverAsync;
  'basic.recover': BasicRecover;
  'basic.recover-ok': BasicRecoverOk;
  'basic.nack': BasicNack;
  'tx.select': TxSelect;
  'tx.select-ok': TxSelectOk;
  'tx.commit': TxCommit;
  'tx.commit-ok': TxCommitOk;
  'tx.rollback': TxRollback;
  'tx.rollback-ok': TxRollbackOk;
  'confirm.select': ConfirmSelect;
  'confirm.select-ok': ConfirmSelectOk;
}

/** Arguments to encode, by method name. */
export interface MethodInputArgs {
  'connection.start': ConnectionStartInput;
  'connection.start-ok': ConnectionStartOkInput;
  'connection.secure': ConnectionSecureInput;
  'connection.secure-ok': ConnectionSecureOkInput;
  'connection.tune': ConnectionTuneInput;
  'connection.tune-ok': ConnectionTuneOkInput;
  'connection.open': ConnectionOpenInput;
  'connection.open-ok': ConnectionOpenOkInput;
  'connection.close': ConnectionCloseInput;
  'connection.close-ok': ConnectionCloseOkInput;
  'connection.blocked': ConnectionBlockedInput;
  'connection.unblocked': ConnectionUnblockedInput;
  'connection.update-secret': ConnectionUpdateSecretInput;
  'connection.update-secret-ok': ConnectionUpdateSecretOkInput;
  'channel.open': ChannelOpenInput;
  'channel.open-ok': ChannelOpenOkInput;
  'channel.flow': ChannelFlowInput;
  'channel.flow-ok': ChannelFlowOkInput;
  'channel.close': ChannelCloseInput;
  'channel.close-ok': ChannelCloseOkInput;
  'access.request': AccessRequestInput;
  'access.request-ok': AccessRequestOkInput;
  'exchange.declare': ExchangeDeclareInput;
  'exchange.declare-ok': ExchangeDeclareOkInput;
  'exchange.delete': ExchangeDeleteInput;
  'exchange.delete-ok': ExchangeDeleteOkInput;
  'exchange.bind': ExchangeBindInput;
  'exchange.bind-ok': ExchangeBindOkInput;
  'exchange.unbind': ExchangeUnbindInput;
  'exchange.unbind-ok': ExchangeUnbindOkInput;
  'queue.declare': QueueDeclareInput;
  'queue.declare-ok': QueueDeclareOkInput;
  'queue.bind': QueueBindInput;
  'queue.bind-ok': QueueBindOkInput;
  'queue.purge': QueuePurgeInput;
  'queue.purge-ok': QueuePurgeOkInput;
  'queue.delete': QueueDeleteInput;
  'queue.delete-ok': QueueDeleteOkInput;
  'queue.unbind': QueueUnbindInput;
  'queue.unbind-ok': QueueUnbindOkInput;
  'basic.qos': BasicQosInput;
  'basic.qos-ok': BasicQosOkInput;
  'basic.consume': BasicConsumeInput;
  'basic.consume-ok': BasicConsumeOkInput;
  'basic.cancel': BasicCancelInput;
  'basic.cancel-ok': BasicCancelOkInput;
  'basic.publish': BasicPublishInput;
  'basic.return': BasicReturnInput;
  'basic.deliver': BasicDeliverInput;
  'basic.get': BasicGetInput;
  'basic.get-ok': BasicGetOkInput;
  'basic.get-empty': BasicGetEmptyInput;
  'basic.ack': BasicAckInput;
  'basic.reject': BasicRejectInput;
  'basic.recover-async': BasicRecoverAsyncInput;
  'basic.recover': BasicRecoverInput;
  'basic.recover-ok': BasicRecoverOkInput;
  'basic.nack': BasicNackInput;
  'tx.select': TxSelectInput;
  'tx.select-ok': TxSelectOkInput;
  'tx.commit': TxCommitInput;
  'tx.commit-ok': TxCommitOkInput;
  'tx.rollback': TxRollbackInput;
  'tx.rollback-ok': TxRollbackOkInput;
  'confirm.select': ConfirmSelectInput;
  'confirm.select-ok': ConfirmSelectOkInput;
}

/** A decoded method, discriminated by `name`. */
export type Amqp091Method = {
  [N in MethodName]: {
    readonly name: N;
    readonly classId: number;
    readonly methodId: number;
    readonly args: MethodArgs[N];
  };
}[MethodName];

/** Static facts about a method from the spec. */
export interface MethodInfo {
  readonly name: MethodName;
  readonly classId: number;
  readonly methodId: number;
  /** The spec marks it synchronous: the peer answers with a matching -ok method. */
  readonly synchronous: boolean;
  /** A content header and body frames follow it. */
  readonly hasContent: boolean;
  /** Its arguments in wire order. */
  readonly fields: readonly FieldInfo[];
}

/** Every method by name. */
export const METHOD_INFO: { readonly [N in MethodName]: MethodInfo & { readonly name: N } } = {
  'connection.start': {
    name: 'connection.start',
    classId: 10,
    methodId: 10,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'versionMajor', specName: 'version-major', type: 'octet' },
      { name: 'versionMinor', specName: 'version-minor', type: 'octet' },
      { name: 'serverProperties', specName: 'server-properties', type: 'table' },
      { name: 'mechanisms', specName: 'mechanisms', type: 'longstr' },
      { name: 'locales', specName: 'locales', type: 'longstr' },
    ],
  },
  'connection.start-ok': {
    name: 'connection.start-ok',
    classId: 10,
    methodId: 11,
    synchronous: false,
    hasContent: false,
    fields: [
      { name: 'clientProperties', specName: 'client-properties', type: 'table' },
      { name: 'mechanism', specName: 'mechanism', type: 'shortstr' },
      { name: 'response', specName: 'response', type: 'longstr' },
      { name: 'locale', specName: 'locale', type: 'shortstr' },
    ],
  },
  'connection.secure': {
    name: 'connection.secure',
    classId: 10,
    methodId: 20,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'challenge', specName: 'challenge', type: 'longstr' },
    ],
  },
  'connection.secure-ok': {
    name: 'connection.secure-ok',
    classId: 10,
    methodId: 21,
    synchronous: false,
    hasContent: false,
    fields: [
      { name: 'response', specName: 'response', type: 'longstr' },
    ],
  },
  'connection.tune': {
    name: 'connection.tune',
    classId: 10,
    methodId: 30,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'channelMax', specName: 'channel-max', type: 'short' },
      { name: 'frameMax', specName: 'frame-max', type: 'long' },
      { name: 'heartbeat', specName: 'heartbeat', type: 'short' },
    ],
  },
  'connection.tune-ok': {
    name: 'connection.tune-ok',
    classId: 10,
    methodId: 31,
    synchronous: false,
    hasContent: false,
    fields: [
      { name: 'channelMax', specName: 'channel-max', type: 'short' },
      { name: 'frameMax', specName: 'frame-max', type: 'long' },
      { name: 'heartbeat', specName: 'heartbeat', type: 'short' },
    ],
  },
  'connection.open': {
    name: 'connection.open',
    classId: 10,
    methodId: 40,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'virtualHost', specName: 'virtual-host', type: 'shortstr' },
      { name: 'capabilities', specName: 'capabilities', type: 'shortstr' },
      { name: 'insist', specName: 'insist', type: 'bit' },
    ],
  },
  'connection.open-ok': {
    name: 'connection.open-ok',
    classId: 10,
    methodId: 41,
    synchronous: false,
    hasContent: false,
    fields: [
      { name: 'knownHosts', specName: 'known-hosts', type: 'shortstr' },
    ],
  },
  'connection.close': {
    name: 'connection.close',
    classId: 10,
    methodId: 50,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'replyCode', specName: 'reply-code', type: 'short' },
      { name: 'replyText', specName: 'reply-text', type: 'shortstr' },
      { name: 'classId', specName: 'class-id', type: 'short' },
      { name: 'methodId', specName: 'method-id', type: 'short' },
    ],
  },
  'connection.close-ok': {
    name: 'connection.close-ok',
    classId: 10,
    methodId: 51,
    synchronous: false,
    hasContent: false,
    fields: [],
  },
  'connection.blocked': {
    name: 'connection.blocked',
    classId: 10,
    methodId: 60,
    synchronous: false,
    hasContent: false,
    fields: [
      { name: 'reason', specName: 'reason', type: 'shortstr' },
    ],
  },
  'connection.unblocked': {
    name: 'connection.unblocked',
    classId: 10,
    methodId: 61,
    synchronous: false,
    hasContent: false,
    fields: [],
  },
  'connection.update-secret': {
    name: 'connection.update-secret',
    classId: 10,
    methodId: 70,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'newSecret', specName: 'new-secret', type: 'longstr' },
      { name: 'reason', specName: 'reason', type: 'shortstr' },
    ],
  },
  'connection.update-secret-ok': {
    name: 'connection.update-secret-ok',
    classId: 10,
    methodId: 71,
    synchronous: false,
    hasContent: false,
    fields: [],
  },
  'channel.open': {
    name: 'channel.open',
    classId: 20,
    methodId: 10,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'outOfBand', specName: 'out-of-band', type: 'shortstr' },
    ],
  },
  'channel.open-ok': {
    name: 'channel.open-ok',
    classId: 20,
    methodId: 11,
    synchronous: false,
    hasContent: false,
    fields: [
      { name: 'channelId', specName: 'channel-id', type: 'longstr' },
    ],
  },
  'channel.flow': {
    name: 'channel.flow',
    classId: 20,
    methodId: 20,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'active', specName: 'active', type: 'bit' },
    ],
  },
  'channel.flow-ok': {
    name: 'channel.flow-ok',
    classId: 20,
    methodId: 21,
    synchronous: false,
    hasContent: false,
    fields: [
      { name: 'active', specName: 'active', type: 'bit' },
    ],
  },
  'channel.close': {
    name: 'channel.close',
    classId: 20,
    methodId: 40,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'replyCode', specName: 'reply-code', type: 'short' },
      { name: 'replyText', specName: 'reply-text', type: 'shortstr' },
      { name: 'classId', specName: 'class-id', type: 'short' },
      { name: 'methodId', specName: 'method-id', type: 'short' },
    ],
  },
  'channel.close-ok': {
    name: 'channel.close-ok',
    classId: 20,
    methodId: 41,
    synchronous: false,
    hasContent: false,
    fields: [],
  },
  'access.request': {
    name: 'access.request',
    classId: 30,
    methodId: 10,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'realm', specName: 'realm', type: 'shortstr' },
      { name: 'exclusive', specName: 'exclusive', type: 'bit' },
      { name: 'passive', specName: 'passive', type: 'bit' },
      { name: 'active', specName: 'active', type: 'bit' },
      { name: 'write', specName: 'write', type: 'bit' },
      { name: 'read', specName: 'read', type: 'bit' },
    ],
  },
  'access.request-ok': {
    name: 'access.request-ok',
    classId: 30,
    methodId: 11,
    synchronous: false,
    hasContent: false,
    fields: [
      { name: 'ticket', specName: 'ticket', type: 'short' },
    ],
  },
  'exchange.declare': {
    name: 'exchange.declare',
    classId: 40,
    methodId: 10,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'ticket', specName: 'ticket', type: 'short' },
      { name: 'exchange', specName: 'exchange', type: 'shortstr' },
      { name: 'type', specName: 'type', type: 'shortstr' },
      { name: 'passive', specName: 'passive', type: 'bit' },
      { name: 'durable', specName: 'durable', type: 'bit' },
      { name: 'autoDelete', specName: 'auto-delete', type: 'bit' },
      { name: 'internal', specName: 'internal', type: 'bit' },
      { name: 'nowait', specName: 'nowait', type: 'bit' },
      { name: 'arguments', specName: 'arguments', type: 'table' },
    ],
  },
  'exchange.declare-ok': {
    name: 'exchange.declare-ok',
    classId: 40,
    methodId: 11,
    synchronous: false,
    hasContent: false,
    fields: [],
  },
  'exchange.delete': {
    name: 'exchange.delete',
    classId: 40,
    methodId: 20,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'ticket', specName: 'ticket', type: 'short' },
      { name: 'exchange', specName: 'exchange', type: 'shortstr' },
      { name: 'ifUnused', specName: 'if-unused', type: 'bit' },
      { name: 'nowait', specName: 'nowait', type: 'bit' },
    ],
  },
  'exchange.delete-ok': {
    name: 'exchange.delete-ok',
    classId: 40,
    methodId: 21,
    synchronous: false,
    hasContent: false,
    fields: [],
  },
  'exchange.bind': {
    name: 'exchange.bind',
    classId: 40,
    methodId: 30,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'ticket', specName: 'ticket', type: 'short' },
      { name: 'destination', specName: 'destination', type: 'shortstr' },
      { name: 'source', specName: 'source', type: 'shortstr' },
      { name: 'routingKey', specName: 'routing-key', type: 'shortstr' },
      { name: 'nowait', specName: 'nowait', type: 'bit' },
      { name: 'arguments', specName: 'arguments', type: 'table' },
    ],
  },
  'exchange.bind-ok': {
    name: 'exchange.bind-ok',
    classId: 40,
    methodId: 31,
    synchronous: false,
    hasContent: false,
    fields: [],
  },
  'exchange.unbind': {
    name: 'exchange.unbind',
    classId: 40,
    methodId: 40,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'ticket', specName: 'ticket', type: 'short' },
      { name: 'destination', specName: 'destination', type: 'shortstr' },
      { name: 'source', specName: 'source', type: 'shortstr' },
      { name: 'routingKey', specName: 'routing-key', type: 'shortstr' },
      { name: 'nowait', specName: 'nowait', type: 'bit' },
      { name: 'arguments', specName: 'arguments', type: 'table' },
    ],
  },
  'exchange.unbind-ok': {
    name: 'exchange.unbind-ok',
    classId: 40,
    methodId: 51,
    synchronous: false,
    hasContent: false,
    fields: [],
  },
  'queue.declare': {
    name: 'queue.declare',
    classId: 50,
    methodId: 10,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'ticket', specName: 'ticket', type: 'short' },
      { name: 'queue', specName: 'queue', type: 'shortstr' },
      { name: 'passive', specName: 'passive', type: 'bit' },
      { name: 'durable', specName: 'durable', type: 'bit' },
      { name: 'exclusive', specName: 'exclusive', type: 'bit' },
      { name: 'autoDelete', specName: 'auto-delete', type: 'bit' },
      { name: 'nowait', specName: 'nowait', type: 'bit' },
      { name: 'arguments', specName: 'arguments', type: 'table' },
    ],
  },
  'queue.declare-ok': {
    name: 'queue.declare-ok',
    classId: 50,
    methodId: 11,
    synchronous: false,
    hasContent: false,
    fields: [
      { name: 'queue', specName: 'queue', type: 'shortstr' },
      { name: 'messageCount', specName: 'message-count', type: 'long' },
      { name: 'consumerCount', specName: 'consumer-count', type: 'long' },
    ],
  },
  'queue.bind': {
    name: 'queue.bind',
    classId: 50,
    methodId: 20,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'ticket', specName: 'ticket', type: 'short' },
      { name: 'queue', specName: 'queue', type: 'shortstr' },
      { name: 'exchange', specName: 'exchange', type: 'shortstr' },
      { name: 'routingKey', specName: 'routing-key', type: 'shortstr' },
      { name: 'nowait', specName: 'nowait', type: 'bit' },
      { name: 'arguments', specName: 'arguments', type: 'table' },
    ],
  },
  'queue.bind-ok': {
    name: 'queue.bind-ok',
    classId: 50,
    methodId: 21,
    synchronous: false,
    hasContent: false,
    fields: [],
  },
  'queue.purge': {
    name: 'queue.purge',
    classId: 50,
    methodId: 30,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'ticket', specName: 'ticket', type: 'short' },
      { name: 'queue', specName: 'queue', type: 'shortstr' },
      { name: 'nowait', specName: 'nowait', type: 'bit' },
    ],
  },
  'queue.purge-ok': {
    name: 'queue.purge-ok',
    classId: 50,
    methodId: 31,
    synchronous: false,
    hasContent: false,
    fields: [
      { name: 'messageCount', specName: 'message-count', type: 'long' },
    ],
  },
  'queue.delete': {
    name: 'queue.delete',
    classId: 50,
    methodId: 40,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'ticket', specName: 'ticket', type: 'short' },
      { name: 'queue', specName: 'queue', type: 'shortstr' },
      { name: 'ifUnused', specName: 'if-unused', type: 'bit' },
      { name: 'ifEmpty', specName: 'if-empty', type: 'bit' },
      { name: 'nowait', specName: 'nowait', type: 'bit' },
    ],
  },
  'queue.delete-ok': {
    name: 'queue.delete-ok',
    classId: 50,
    methodId: 41,
    synchronous: false,
    hasContent: false,
    fields: [
      { name: 'messageCount', specName: 'message-count', type: 'long' },
    ],
  },
  'queue.unbind': {
    name: 'queue.unbind',
    classId: 50,
    methodId: 50,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'ticket', specName: 'ticket', type: 'short' },
      { name: 'queue', specName: 'queue', type: 'shortstr' },
      { name: 'exchange', specName: 'exchange', type: 'shortstr' },
      { name: 'routingKey', specName: 'routing-key', type: 'shortstr' },
      { name: 'arguments', specName: 'arguments', type: 'table' },
    ],
  },
  'queue.unbind-ok': {
    name: 'queue.unbind-ok',
    classId: 50,
    methodId: 51,
    synchronous: false,
    hasContent: false,
    fields: [],
  },
  'basic.qos': {
    name: 'basic.qos',
    classId: 60,
    methodId: 10,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'prefetchSize', specName: 'prefetch-size', type: 'long' },
      { name: 'prefetchCount', specName: 'prefetch-count', type: 'short' },
      { name: 'global', specName: 'global', type: 'bit' },
    ],
  },
  'basic.qos-ok': {
    name: 'basic.qos-ok',
    classId: 60,
    methodId: 11,
    synchronous: false,
    hasContent: false,
    fields: [],
  },
  'basic.consume': {
    name: 'basic.consume',
    classId: 60,
    methodId: 20,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'ticket', specName: 'ticket', type: 'short' },
      { name: 'queue', specName: 'queue', type: 'shortstr' },
      { name: 'consumerTag', specName: 'consumer-tag', type: 'shortstr' },
      { name: 'noLocal', specName: 'no-local', type: 'bit' },
      { name: 'noAck', specName: 'no-ack', type: 'bit' },
      { name: 'exclusive', specName: 'exclusive', type: 'bit' },
      { name: 'nowait', specName: 'nowait', type: 'bit' },
      { name: 'arguments', specName: 'arguments', type: 'table' },
    ],
  },
  'basic.consume-ok': {
    name: 'basic.consume-ok',
    classId: 60,
    methodId: 21,
    synchronous: false,
    hasContent: false,
    fields: [
      { name: 'consumerTag', specName: 'consumer-tag', type: 'shortstr' },
    ],
  },
  'basic.cancel': {
    name: 'basic.cancel',
    classId: 60,
    methodId: 30,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'consumerTag', specName: 'consumer-tag', type: 'shortstr' },
      { name: 'nowait', specName: 'nowait', type: 'bit' },
    ],
  },
  'basic.cancel-ok': {
    name: 'basic.cancel-ok',
    classId: 60,
    methodId: 31,
    synchronous: false,
    hasContent: false,
    fields: [
      { name: 'consumerTag', specName: 'consumer-tag', type: 'shortstr' },
    ],
  },
  'basic.publish': {
    name: 'basic.publish',
    classId: 60,
    methodId: 40,
    synchronous: false,
    hasContent: true,
    fields: [
      { name: 'ticket', specName: 'ticket', type: 'short' },
      { name: 'exchange', specName: 'exchange', type: 'shortstr' },
      { name: 'routingKey', specName: 'routing-key', type: 'shortstr' },
      { name: 'mandatory', specName: 'mandatory', type: 'bit' },
      { name: 'immediate', specName: 'immediate', type: 'bit' },
    ],
  },
  'basic.return': {
    name: 'basic.return',
    classId: 60,
    methodId: 50,
    synchronous: false,
    hasContent: true,
    fields: [
      { name: 'replyCode', specName: 'reply-code', type: 'short' },
      { name: 'replyText', specName: 'reply-text', type: 'shortstr' },
      { name: 'exchange', specName: 'exchange', type: 'shortstr' },
      { name: 'routingKey', specName: 'routing-key', type: 'shortstr' },
    ],
  },
  'basic.deliver': {
    name: 'basic.deliver',
    classId: 60,
    methodId: 60,
    synchronous: false,
    hasContent: true,
    fields: [
      { name: 'consumerTag', specName: 'consumer-tag', type: 'shortstr' },
      { name: 'deliveryTag', specName: 'delivery-tag', type: 'longlong' },
      { name: 'redelivered', specName: 'redelivered', type: 'bit' },
      { name: 'exchange', specName: 'exchange', type: 'shortstr' },
      { name: 'routingKey', specName: 'routing-key', type: 'shortstr' },
    ],
  },
  'basic.get': {
    name: 'basic.get',
    classId: 60,
    methodId: 70,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'ticket', specName: 'ticket', type: 'short' },
      { name: 'queue', specName: 'queue', type: 'shortstr' },
      { name: 'noAck', specName: 'no-ack', type: 'bit' },
    ],
  },
  'basic.get-ok': {
    name: 'basic.get-ok',
    classId: 60,
    methodId: 71,
    synchronous: false,
    hasContent: true,
    fields: [
      { name: 'deliveryTag', specName: 'delivery-tag', type: 'longlong' },
      { name: 'redelivered', specName: 'redelivered', type: 'bit' },
      { name: 'exchange', specName: 'exchange', type: 'shortstr' },
      { name: 'routingKey', specName: 'routing-key', type: 'shortstr' },
      { name: 'messageCount', specName: 'message-count', type: 'long' },
    ],
  },
  'basic.get-empty': {
    name: 'basic.get-empty',
    classId: 60,
    methodId: 72,
    synchronous: false,
    hasContent: false,
    fields: [
      { name: 'clusterId', specName: 'cluster-id', type: 'shortstr' },
    ],
  },
  'basic.ack': {
    name: 'basic.ack',
    classId: 60,
    methodId: 80,
    synchronous: false,
    hasContent: false,
    fields: [
      { name: 'deliveryTag', specName: 'delivery-tag', type: 'longlong' },
      { name: 'multiple', specName: 'multiple', type: 'bit' },
    ],
  },
  'basic.reject': {
    name: 'basic.reject',
    classId: 60,
    methodId: 90,
    synchronous: false,
    hasContent: false,
    fields: [
      { name: 'deliveryTag', specName: 'delivery-tag', type: 'longlong' },
      { name: 'requeue', specName: 'requeue', type: 'bit' },
    ],
  },
  'basic.recover-async': {
    name: 'basic.recover-async',
    classId: 60,
    methodId: 100,
    synchronous: false,
    hasContent: false,
    fields: [
      { name: 'requeue', specName: 'requeue', type: 'bit' },
    ],
  },
  'basic.recover': {
    name: 'basic.recover',
    classId: 60,
    methodId: 110,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'requeue', specName: 'requeue', type: 'bit' },
    ],
  },
  'basic.recover-ok': {
    name: 'basic.recover-ok',
    classId: 60,
    methodId: 111,
    synchronous: false,
    hasContent: false,
    fields: [],
  },
  'basic.nack': {
    name: 'basic.nack',
    classId: 60,
    methodId: 120,
    synchronous: false,
    hasContent: false,
    fields: [
      { name: 'deliveryTag', specName: 'delivery-tag', type: 'longlong' },
      { name: 'multiple', specName: 'multiple', type: 'bit' },
      { name: 'requeue', specName: 'requeue', type: 'bit' },
    ],
  },
  'tx.select': {
    name: 'tx.select',
    classId: 90,
    methodId: 10,
    synchronous: true,
    hasContent: false,
    fields: [],
  },
  'tx.select-ok': {
    name: 'tx.select-ok',
    classId: 90,
    methodId: 11,
    synchronous: false,
    hasContent: false,
    fields: [],
  },
  'tx.commit': {
    name: 'tx.commit',
    classId: 90,
    methodId: 20,
    synchronous: true,
    hasContent: false,
    fields: [],
  },
  'tx.commit-ok': {
    name: 'tx.commit-ok',
    classId: 90,
    methodId: 21,
    synchronous: false,
    hasContent: false,
    fields: [],
  },
  'tx.rollback': {
    name: 'tx.rollback',
    classId: 90,
    methodId: 30,
    synchronous: true,
    hasContent: false,
    fields: [],
  },
  'tx.rollback-ok': {
    name: 'tx.rollback-ok',
    classId: 90,
    methodId: 31,
    synchronous: false,
    hasContent: false,
    fields: [],
  },
  'confirm.select': {
    name: 'confirm.select',
    classId: 85,
    methodId: 10,
    synchronous: true,
    hasContent: false,
    fields: [
      { name: 'nowait', specName: 'nowait', type: 'bit' },
    ],
  },
  'confirm.select-ok': {
    name: 'confirm.select-ok',
    classId: 85,
    methodId: 11,
    synchronous: false,
    hasContent: false,
    fields: [],
  },
};

const METHOD_INFO_BY_ID = new Map<number, MethodInfo>(
  Object.values(METHOD_INFO).map((info: MethodInfo) => [info.classId * 65536 + info.methodId, info]),
);

/** The method with this (class-id, method-id), or undefined if the spec defines none. */
export function lookupMethod(classId: number, methodId: number): MethodInfo | undefined {
  return METHOD_INFO_BY_ID.get(classId * 65536 + methodId);
}

/**
 * Reads the arguments of method (classId, methodId); undefined if the spec defines no such method.
 * Throws Amqp091DecodeError on truncated or bad arguments; trailing octets are the caller's check.
 */
export function decodeMethodArgs(classId: number, methodId: number, r: ByteReader): Amqp091Method | undefined {
  switch (classId * 65536 + methodId) {
    case 655370: // (10, 10)
      return { name: 'connection.start', classId: 10, methodId: 10, args: decodeConnectionStart(r) };
    case 655371: // (10, 11)
      return { name: 'connection.start-ok', classId: 10, methodId: 11, args: decodeConnectionStartOk(r) };
    case 655380: // (10, 20)
      return { name: 'connection.secure', classId: 10, methodId: 20, args: decodeConnectionSecure(r) };
    case 655381: // (10, 21)
      return { name: 'connection.secure-ok', classId: 10, methodId: 21, args: decodeConnectionSecureOk(r) };
    case 655390: // (10, 30)
      return { name: 'connection.tune', classId: 10, methodId: 30, args: decodeConnectionTune(r) };
    case 655391: // (10, 31)
      return { name: 'connection.tune-ok', classId: 10, methodId: 31, args: decodeConnectionTuneOk(r) };
    case 655400: // (10, 40)
      return { name: 'connection.open', classId: 10, methodId: 40, args: decodeConnectionOpen(r) };
    case 655401: // (10, 41)
      return { name: 'connection.open-ok', classId: 10, methodId: 41, args: decodeConnectionOpenOk(r) };
    case 655410: // (10, 50)
      return { name: 'connection.close', classId: 10, methodId: 50, args: decodeConnectionClose(r) };
    case 655411: // (10, 51)
      return { name: 'connection.close-ok', classId: 10, methodId: 51, args: decodeConnectionCloseOk(r) };
    case 655420: // (10, 60)
      return { name: 'connection.blocked', classId: 10, methodId: 60, args: decodeConnectionBlocked(r) };
    case 655421: // (10, 61)
      return { name: 'connection.unblocked', classId: 10, methodId: 61, args: decodeConnectionUnblocked(r) };
    case 655430: // (10, 70)
      return { name: 'connection.update-secret', classId: 10, methodId: 70, args: decodeConnectionUpdateSecret(r) };
    case 655431: // (10, 71)
      return {
        name: 'connection.update-secret-ok',
        classId: 10,
        methodId: 71,
        args: decodeConnectionUpdateSecretOk(r),
      };
    case 1310730: // (20, 10)
      return { name: 'channel.open', classId: 20, methodId: 10, args: decodeChannelOpen(r) };
    case 1310731: // (20, 11)
      return { name: 'channel.open-ok', classId: 20, methodId: 11, args: decodeChannelOpenOk(r) };
    case 1310740: // (20, 20)
      return { name: 'channel.flow', classId: 20, methodId: 20, args: decodeChannelFlow(r) };
    case 1310741: // (20, 21)
      return { name: 'channel.flow-ok', classId: 20, methodId: 21, args: decodeChannelFlowOk(r) };
    case 1310760: // (20, 40)
      return { name: 'channel.close', classId: 20, methodId: 40, args: decodeChannelClose(r) };
    case 1310761: // (20, 41)
      return { name: 'channel.close-ok', classId: 20, methodId: 41, args: decodeChannelCloseOk(r) };
    case 1966090: // (30, 10)
      return { name: 'access.request', classId: 30, methodId: 10, args: decodeAccessRequest(r) };
    case 1966091: // (30, 11)
      return { name: 'access.request-ok', classId: 30, methodId: 11, args: decodeAccessRequestOk(r) };
    case 2621450: // (40, 10)
      return { name: 'exchange.declare', classId: 40, methodId: 10, args: decodeExchangeDeclare(r) };
    case 2621451: // (40, 11)
      return { name: 'exchange.declare-ok', classId: 40, methodId: 11, args: decodeExchangeDeclareOk(r) };
    case 2621460: // (40, 20)
      return { name: 'exchange.delete', classId: 40, methodId: 20, args: decodeExchangeDelete(r) };
    case 2621461: // (40, 21)
      return { name: 'exchange.delete-ok', classId: 40, methodId: 21, args: decodeExchangeDeleteOk(r) };
    case 2621470: // (40, 30)
      return { name: 'exchange.bind', classId: 40, methodId: 30, args: decodeExchangeBind(r) };
    case 2621471: // (40, 31)
      return { name: 'exchange.bind-ok', classId: 40, methodId: 31, args: decodeExchangeBindOk(r) };
    case 2621480: // (40, 40)
      return { name: 'exchange.unbind', classId: 40, methodId: 40, args: decodeExchangeUnbind(r) };
    case 2621491: // (40, 51)
      return { name: 'exchange.unbind-ok', classId: 40, methodId: 51, args: decodeExchangeUnbindOk(r) };
    case 3276810: // (50, 10)
      return { name: 'queue.declare', classId: 50, methodId: 10, args: decodeQueueDeclare(r) };
    case 3276811: // (50, 11)
      return { name: 'queue.declare-ok', classId: 50, methodId: 11, args: decodeQueueDeclareOk(r) };
    case 3276820: // (50, 20)
      return { name: 'queue.bind', classId: 50, methodId: 20, args: decodeQueueBind(r) };
    case 3276821: // (50, 21)
      return { name: 'queue.bind-ok', classId: 50, methodId: 21, args: decodeQueueBindOk(r) };
    case 3276830: // (50, 30)
      return { name: 'queue.purge', classId: 50, methodId: 30, args: decodeQueuePurge(r) };
    case 3276831: // (50, 31)
      return { name: 'queue.purge-ok', classId: 50, methodId: 31, args: decodeQueuePurgeOk(r) };
    case 3276840: // (50, 40)
      return { name: 'queue.delete', classId: 50, methodId: 40, args: decodeQueueDelete(r) };
    case 3276841: // (50, 41)
      return { name: 'queue.delete-ok', classId: 50, methodId: 41, args: decodeQueueDeleteOk(r) };
    case 3276850: // (50, 50)
      return { name: 'queue.unbind', classId: 50, methodId: 50, args: decodeQueueUnbind(r) };
    case 3276851: // (50, 51)
      return { name: 'queue.unbind-ok', classId: 50, methodId: 51, args: decodeQueueUnbindOk(r) };
    case 3932170: // (60, 10)
      return { name: 'basic.qos', classId: 60, methodId: 10, args: decodeBasicQos(r) };
    case 3932171: // (60, 11)
      return { name: 'basic.qos-ok', classId: 60, methodId: 11, args: decodeBasicQosOk(r) };
    case 3932180: // (60, 20)
      return { name: 'basic.consume', classId: 60, methodId: 20, args: decodeBasicConsume(r) };
    case 3932181: // (60, 21)
      return { name: 'basic.consume-ok', classId: 60, methodId: 21, args: decodeBasicConsumeOk(r) };
    case 3932190: // (60, 30)
      return { name: 'basic.cancel', classId: 60, methodId: 30, args: decodeBasicCancel(r) };
    case 3932191: // (60, 31)
      return { name: 'basic.cancel-ok', classId: 60, methodId: 31, args: decodeBasicCancelOk(r) };
    case 3932200: // (60, 40)
      return { name: 'basic.publish', classId: 60, methodId: 40, args: decodeBasicPublish(r) };
    case 3932210: // (60, 50)
      return { name: 'basic.return', classId: 60, methodId: 50, args: decodeBasicReturn(r) };
    case 3932220: // (60, 60)
      return { name: 'basic.deliver', classId: 60, methodId: 60, args: decodeBasicDeliver(r) };
    case 3932230: // (60, 70)
      return { name: 'basic.get', classId: 60, methodId: 70, args: decodeBasicGet(r) };
    case 3932231: // (60, 71)
      return { name: 'basic.get-ok', classId: 60, methodId: 71, args: decodeBasicGetOk(r) };
    case 3932232: // (60, 72)
      return { name: 'basic.get-empty', classId: 60, methodId: 72, args: decodeBasicGetEmpty(r) };
    case 3932240: // (60, 80)
      return { name: 'basic.ack', classId: 60, methodId: 80, args: decodeBasicAck(r) };
    case 3932250: // (60, 90)
      return { name: 'basic.reject', classId: 60, methodId: 90, args: decodeBasicReject(r) };
    case 3932260: // (60, 100)
      return { name: 'basic.recover-async', classId: 60, methodId: 100, args: decodeBasicRecoverAsync(r) };
    case 3932270: // (60, 110)
      return { name: 'basic.recover', classId: 60, methodId: 110, args: decodeBasicRecover(r) };
    case 3932271: // (60, 111)
      return { name: 'basic.recover-ok', classId: 60, methodId: 111, args: decodeBasicRecoverOk(r) };
    case 3932280: // (60, 120)
      return { name: 'basic.nack', classId: 60, methodId: 120, args: decodeBasicNack(r) };
    case 5898250: // (90, 10)
      return { name: 'tx.select', classId: 90, methodId: 10, args: decodeTxSelect(r) };
    case 5898251: // (90, 11)
      return { name: 'tx.select-ok', classId: 90, methodId: 11, args: decodeTxSelectOk(r) };
    case 5898260: // (90, 20)
      return { name: 'tx.commit', classId: 90, methodId: 20, args: decodeTxCommit(r) };
    case 5898261: // (90, 21)
      return { name: 'tx.commit-ok', classId: 90, methodId: 21, args: decodeTxCommitOk(r) };
    case 5898270: // (90, 30)
      return { name: 'tx.rollback', classId: 90, methodId: 30, args: decodeTxRollback(r) };
    case 5898271: // (90, 31)
      return { name: 'tx.rollback-ok', classId: 90, methodId: 31, args: decodeTxRollbackOk(r) };
    case 5570570: // (85, 10)
      return { name: 'confirm.select', classId: 85, methodId: 10, args: decodeConfirmSelect(r) };
    case 5570571: // (85, 11)
      return { name: 'confirm.select-ok', classId: 85, methodId: 11, args: decodeConfirmSelectOk(r) };
    default:
      return undefined;
  }
}

/** Writes class-id, method-id and the arguments of a method: a method frame's payload. */
export function encodeMethodPayload<N extends MethodName>(
  w: ByteWriter,
  name: N,
  args: MethodInputArgs[N],
): void {
  const a: MethodInputArgs[MethodName] = args;
  switch (name as MethodName) {
    case 'connection.start':
      w.u16(10);
      w.u16(10);
      return encodeConnectionStart(w, a as ConnectionStartInput);
    case 'connection.start-ok':
      w.u16(10);
      w.u16(11);
      return encodeConnectionStartOk(w, a as ConnectionStartOkInput);
    case 'connection.secure':
      w.u16(10);
      w.u16(20);
      return encodeConnectionSecure(w, a as ConnectionSecureInput);
    case 'connection.secure-ok':
      w.u16(10);
      w.u16(21);
      return encodeConnectionSecureOk(w, a as ConnectionSecureOkInput);
    case 'connection.tune':
      w.u16(10);
      w.u16(30);
      return encodeConnectionTune(w, a as ConnectionTuneInput);
    case 'connection.tune-ok':
      w.u16(10);
      w.u16(31);
      return encodeConnectionTuneOk(w, a as ConnectionTuneOkInput);
    case 'connection.open':
      w.u16(10);
      w.u16(40);
      return encodeConnectionOpen(w, a as ConnectionOpenInput);
    case 'connection.open-ok':
      w.u16(10);
      w.u16(41);
      return encodeConnectionOpenOk(w, a as ConnectionOpenOkInput);
    case 'connection.close':
      w.u16(10);
      w.u16(50);
      return encodeConnectionClose(w, a as ConnectionCloseInput);
    case 'connection.close-ok':
      w.u16(10);
      w.u16(51);
      return encodeConnectionCloseOk(w, a as ConnectionCloseOkInput);
    case 'connection.blocked':
      w.u16(10);
      w.u16(60);
      return encodeConnectionBlocked(w, a as ConnectionBlockedInput);
    case 'connection.unblocked':
      w.u16(10);
      w.u16(61);
      return encodeConnectionUnblocked(w, a as ConnectionUnblockedInput);
    case 'connection.update-secret':
      w.u16(10);
      w.u16(70);
      return encodeConnectionUpdateSecret(w, a as ConnectionUpdateSecretInput);
    case 'connection.update-secret-ok':
      w.u16(10);
      w.u16(71);
      return encodeConnectionUpdateSecretOk(w, a as ConnectionUpdateSecretOkInput);
    case 'channel.open':
      w.u16(20);
      w.u16(10);
      return encodeChannelOpen(w, a as ChannelOpenInput);
    case 'channel.open-ok':
      w.u16(20);
      w.u16(11);
      return encodeChannelOpenOk(w, a as ChannelOpenOkInput);
    case 'channel.flow':
      w.u16(20);
      w.u16(20);
      return encodeChannelFlow(w, a as ChannelFlowInput);
    case 'channel.flow-ok':
      w.u16(20);
      w.u16(21);
      return encodeChannelFlowOk(w, a as ChannelFlowOkInput);
    case 'channel.close':
      w.u16(20);
      w.u16(40);
      return encodeChannelClose(w, a as ChannelCloseInput);
    case 'channel.close-ok':
      w.u16(20);
      w.u16(41);
      return encodeChannelCloseOk(w, a as ChannelCloseOkInput);
    case 'access.request':
      w.u16(30);
      w.u16(10);
      return encodeAccessRequest(w, a as AccessRequestInput);
    case 'access.request-ok':
      w.u16(30);
      w.u16(11);
      return encodeAccessRequestOk(w, a as AccessRequestOkInput);
    case 'exchange.declare':
      w.u16(40);
      w.u16(10);
      return encodeExchangeDeclare(w, a as ExchangeDeclareInput);
    case 'exchange.declare-ok':
      w.u16(40);
      w.u16(11);
      return encodeExchangeDeclareOk(w, a as ExchangeDeclareOkInput);
    case 'exchange.delete':
      w.u16(40);
      w.u16(20);
      return encodeExchangeDelete(w, a as ExchangeDeleteInput);
    case 'exchange.delete-ok':
      w.u16(40);
      w.u16(21);
      return encodeExchangeDeleteOk(w, a as ExchangeDeleteOkInput);
    case 'exchange.bind':
      w.u16(40);
      w.u16(30);
      return encodeExchangeBind(w, a as ExchangeBindInput);
    case 'exchange.bind-ok':
      w.u16(40);
      w.u16(31);
      return encodeExchangeBindOk(w, a as ExchangeBindOkInput);
    case 'exchange.unbind':
      w.u16(40);
      w.u16(40);
      return encodeExchangeUnbind(w, a as ExchangeUnbindInput);
    case 'exchange.unbind-ok':
      w.u16(40);
      w.u16(51);
      return encodeExchangeUnbindOk(w, a as ExchangeUnbindOkInput);
    case 'queue.declare':
      w.u16(50);
      w.u16(10);
      return encodeQueueDeclare(w, a as QueueDeclareInput);
    case 'queue.declare-ok':
      w.u16(50);
      w.u16(11);
      return encodeQueueDeclareOk(w, a as QueueDeclareOkInput);
    case 'queue.bind':
      w.u16(50);
      w.u16(20);
      return encodeQueueBind(w, a as QueueBindInput);
    case 'queue.bind-ok':
      w.u16(50);
      w.u16(21);
      return encodeQueueBindOk(w, a as QueueBindOkInput);
    case 'queue.purge':
      w.u16(50);
      w.u16(30);
      return encodeQueuePurge(w, a as QueuePurgeInput);
    case 'queue.purge-ok':
      w.u16(50);
      w.u16(31);
      return encodeQueuePurgeOk(w, a as QueuePurgeOkInput);
    case 'queue.delete':
      w.u16(50);
      w.u16(40);
      return encodeQueueDelete(w, a as QueueDeleteInput);
    case 'queue.delete-ok':
      w.u16(50);
      w.u16(41);
      return encodeQueueDeleteOk(w, a as QueueDeleteOkInput);
    case 'queue.unbind':
      w.u16(50);
      w.u16(50);
      return encodeQueueUnbind(w, a as QueueUnbindInput);
    case 'queue.unbind-ok':
      w.u16(50);
      w.u16(51);
      return encodeQueueUnbindOk(w, a as QueueUnbindOkInput);
    case 'basic.qos':
      w.u16(60);
      w.u16(10);
      return encodeBasicQos(w, a as BasicQosInput);
    case 'basic.qos-ok':
      w.u16(60);
      w.u16(11);
      return encodeBasicQosOk(w, a as BasicQosOkInput);
    case 'basic.consume':
      w.u16(60);
      w.u16(20);
      return encodeBasicConsume(w, a as BasicConsumeInput);
    case 'basic.consume-ok':
      w.u16(60);
      w.u16(21);
      return encodeBasicConsumeOk(w, a as BasicConsumeOkInput);
    case 'basic.cancel':
      w.u16(60);
      w.u16(30);
      return encodeBasicCancel(w, a as BasicCancelInput);
    case 'basic.cancel-ok':
      w.u16(60);
      w.u16(31);
      return encodeBasicCancelOk(w, a as BasicCancelOkInput);
    case 'basic.publish':
      w.u16(60);
      w.u16(40);
      return encodeBasicPublish(w, a as BasicPublishInput);
    case 'basic.return':
      w.u16(60);
      w.u16(50);
      return encodeBasicReturn(w, a as BasicReturnInput);
    case 'basic.deliver':
      w.u16(60);
      w.u16(60);
      return encodeBasicDeliver(w, a as BasicDeliverInput);
    case 'basic.get':
      w.u16(60);
      w.u16(70);
      return encodeBasicGet(w, a as BasicGetInput);
    case 'basic.get-ok':
      w.u16(60);
      w.u16(71);
      return encodeBasicGetOk(w, a as BasicGetOkInput);
    case 'basic.get-empty':
      w.u16(60);
      w.u16(72);
      return encodeBasicGetEmpty(w, a as BasicGetEmptyInput);
    case 'basic.ack':
      w.u16(60);
      w.u16(80);
      return encodeBasicAck(w, a as BasicAckInput);
    case 'basic.reject':
      w.u16(60);
      w.u16(90);
      return encodeBasicReject(w, a as BasicRejectInput);
    case 'basic.recover-async':
      w.u16(60);
      w.u16(100);
      return encodeBasicRecoverAsync(w, a as BasicRecoverAsyncInput);
    case 'basic.recover':
      w.u16(60);
      w.u16(110);
      return encodeBasicRecover(w, a as BasicRecoverInput);
    case 'basic.recover-ok':
      w.u16(60);
      w.u16(111);
      return encodeBasicRecoverOk(w, a as BasicRecoverOkInput);
    case 'basic.nack':
      w.u16(60);
      w.u16(120);
      return encodeBasicNack(w, a as BasicNackInput);
    case 'tx.select':
      w.u16(90);
      w.u16(10);
      return encodeTxSelect(w, a as TxSelectInput);
    case 'tx.select-ok':
      w.u16(90);
      w.u16(11);
      return encodeTxSelectOk(w, a as TxSelectOkInput);
    case 'tx.commit':
      w.u16(90);
      w.u16(20);
      return encodeTxCommit(w, a as TxCommitInput);
    case 'tx.commit-ok':
      w.u16(90);
      w.u16(21);
      return encodeTxCommitOk(w, a as TxCommitOkInput);
    case 'tx.rollback':
      w.u16(90);
      w.u16(30);
      return encodeTxRollback(w, a as TxRollbackInput);
    case 'tx.rollback-ok':
      w.u16(90);
      w.u16(31);
      return encodeTxRollbackOk(w, a as TxRollbackOkInput);
    case 'confirm.select':
      w.u16(85);
      w.u16(10);
      return encodeConfirmSelect(w, a as ConfirmSelectInput);
    case 'confirm.select-ok':
      w.u16(85);
      w.u16(11);
      return encodeConfirmSelectOk(w, a as ConfirmSelectOkInput);
    default:
      throw new RangeError(`unknown AMQP method ${String(name)}`);
  }
}

// ---- basic content properties ---------------------------------------------------

/** Content-header properties of class basic (60); absent properties are left out. */
export interface BasicProperties {
  contentType?: string;
  contentEncoding?: string;
  headers?: FieldTable;
  deliveryMode?: number;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  expiration?: string;
  messageId?: string;
  timestamp?: number;
  type?: string;
  userId?: string;
  appId?: string;
  clusterId?: string;
}

/** The property-flags bit of each basic property (bit 15 is the first property). */
export const BASIC_PROPERTY_FLAG = {
  contentType: 0x8000,
  contentEncoding: 0x4000,
  headers: 0x2000,
  deliveryMode: 0x1000,
  priority: 0x0800,
  correlationId: 0x0400,
  replyTo: 0x0200,
  expiration: 0x0100,
  messageId: 0x0080,
  timestamp: 0x0040,
  type: 0x0020,
  userId: 0x0010,
  appId: 0x0008,
  clusterId: 0x0004,
} as const;

/** The basic properties in wire order, with their types and flag bits. */
export const BASIC_PROPERTY_LIST: readonly (FieldInfo & { readonly flag: number })[] = [
  { name: 'contentType', specName: 'content-type', type: 'shortstr', flag: 0x8000 },
  { name: 'contentEncoding', specName: 'content-encoding', type: 'shortstr', flag: 0x4000 },
  { name: 'headers', specName: 'headers', type: 'table', flag: 0x2000 },
  { name: 'deliveryMode', specName: 'delivery-mode', type: 'octet', flag: 0x1000 },
  { name: 'priority', specName: 'priority', type: 'octet', flag: 0x0800 },
  { name: 'correlationId', specName: 'correlation-id', type: 'shortstr', flag: 0x0400 },
  { name: 'replyTo', specName: 'reply-to', type: 'shortstr', flag: 0x0200 },
  { name: 'expiration', specName: 'expiration', type: 'shortstr', flag: 0x0100 },
  { name: 'messageId', specName: 'message-id', type: 'shortstr', flag: 0x0080 },
  { name: 'timestamp', specName: 'timestamp', type: 'timestamp', flag: 0x0040 },
  { name: 'type', specName: 'type', type: 'shortstr', flag: 0x0020 },
  { name: 'userId', specName: 'user-id', type: 'shortstr', flag: 0x0010 },
  { name: 'appId', specName: 'app-id', type: 'shortstr', flag: 0x0008 },
  { name: 'clusterId', specName: 'cluster-id', type: 'shortstr', flag: 0x0004 },
];

/**
 * Writes property flags and the present basic properties: a content header after its body size.
 */
export function encodeBasicProperties(w: ByteWriter, p: BasicProperties): void {
  let flags = 0;
  if (p.contentType !== undefined) flags |= 0x8000;
  if (p.contentEncoding !== undefined) flags |= 0x4000;
  if (p.headers !== undefined) flags |= 0x2000;
  if (p.deliveryMode !== undefined) flags |= 0x1000;
  if (p.priority !== undefined) flags |= 0x0800;
  if (p.correlationId !== undefined) flags |= 0x0400;
  if (p.replyTo !== undefined) flags |= 0x0200;
  if (p.expiration !== undefined) flags |= 0x0100;
  if (p.messageId !== undefined) flags |= 0x0080;
  if (p.timestamp !== undefined) flags |= 0x0040;
  if (p.type !== undefined) flags |= 0x0020;
  if (p.userId !== undefined) flags |= 0x0010;
  if (p.appId !== undefined) flags |= 0x0008;
  if (p.clusterId !== undefined) flags |= 0x0004;
  w.u16(flags);
  if (p.contentType !== undefined) w.shortstr(p.contentType);
  if (p.contentEncoding !== undefined) w.shortstr(p.contentEncoding);
  if (p.headers !== undefined) writeFieldTable(w, p.headers);
  if (p.deliveryMode !== undefined) w.u8(p.deliveryMode);
  if (p.priority !== undefined) w.u8(p.priority);
  if (p.correlationId !== undefined) w.shortstr(p.correlationId);
  if (p.replyTo !== undefined) w.shortstr(p.replyTo);
  if (p.expiration !== undefined) w.shortstr(p.expiration);
  if (p.messageId !== undefined) w.shortstr(p.messageId);
  if (p.timestamp !== undefined) w.u64(p.timestamp);
  if (p.type !== undefined) w.shortstr(p.type);
  if (p.userId !== undefined) w.shortstr(p.userId);
  if (p.appId !== undefined) w.shortstr(p.appId);
  if (p.clusterId !== undefined) w.shortstr(p.clusterId);
}

/** Reads property flags and the basic properties they name. */
export function decodeBasicProperties(r: ByteReader): BasicProperties {
  const flags = r.u16();
  if ((flags & 0x0003) !== 0) {
    throw new Amqp091DecodeError('BAD_PROPERTY_FLAGS', 'SYNTAX_ERROR', 'property flags name no basic property', {
      classId: 60,
    });
  }
  const p: BasicProperties = {};
  if ((flags & 0x8000) !== 0) p.contentType = r.shortstr();
  if ((flags & 0x4000) !== 0) p.contentEncoding = r.shortstr();
  if ((flags & 0x2000) !== 0) p.headers = readFieldTable(r);
  if ((flags & 0x1000) !== 0) p.deliveryMode = r.u8();
  if ((flags & 0x0800) !== 0) p.priority = r.u8();
  if ((flags & 0x0400) !== 0) p.correlationId = r.shortstr();
  if ((flags & 0x0200) !== 0) p.replyTo = r.shortstr();
  if ((flags & 0x0100) !== 0) p.expiration = r.shortstr();
  if ((flags & 0x0080) !== 0) p.messageId = r.shortstr();
  if ((flags & 0x0040) !== 0) p.timestamp = r.u64();
  if ((flags & 0x0020) !== 0) p.type = r.shortstr();
  if ((flags & 0x0010) !== 0) p.userId = r.shortstr();
  if ((flags & 0x0008) !== 0) p.appId = r.shortstr();
  if ((flags & 0x0004) !== 0) p.clusterId = r.shortstr();
  return p;
}

/** Properties of any content class. */
export type ContentProperties = BasicProperties;

/** Class ids that carry content (have content-header properties). */
export const CONTENT_CLASS_IDS: readonly number[] = [60];

/** Reads the properties of a content header of class `classId`; undefined for a class without content. */
export function decodeContentProperties(classId: number, r: ByteReader): ContentProperties | undefined {
  switch (classId) {
    case 60:
      return decodeBasicProperties(r);
    default:
      return undefined;
  }
}

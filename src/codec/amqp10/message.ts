// AMQP 1.0 messages as transfer payloads (part 3, section 3.2): the sections in their order,
//
//   [header] [delivery-annotations] [message-annotations] [properties] [application-properties]
//   body: data+ | amqp-sequence+ | amqp-value                                             [footer]
//
// each a described value. The bare message (properties through body, part 3 section 3.2) is
// immutable across intermediaries, so the decoder also returns its octets: a broker stores and
// forwards them as they came and re-encodes only the header and annotations. Payload assembly
// across transfer frames (more=true) is the session's.

import { Amqp10DecodeError } from './errors.ts';
import {
  decodeComposite,
  encodeAmqpSequenceSectionValue,
  encodeAmqpValueSectionValue,
  encodeApplicationPropertiesValue,
  encodeDataValue,
  encodeDeliveryAnnotationsValue,
  encodeFooterValue,
  encodeHeaderValue,
  encodeMessageAnnotationsValue,
  encodePropertiesValue,
  type Header,
  type HeaderInit,
  type Properties,
  type PropertiesInit,
} from './generated.ts';
import { Amqp10Reader, Amqp10Writer, type AmqpMap, type AmqpValue, readValue, writeValue } from './types.ts';

/** A message body: one or more data sections, one or more amqp-sequence sections, or one amqp-value. */
export type Amqp10MessageBody =
  | { readonly kind: 'data'; readonly data: Buffer[] }
  | { readonly kind: 'amqp-sequence'; readonly sequences: AmqpValue[][] }
  | { readonly kind: 'amqp-value'; readonly value: AmqpValue };

/** A decoded message. Absent sections are absent properties. */
export interface Amqp10Message {
  header?: Header;
  deliveryAnnotations?: AmqpMap;
  messageAnnotations?: AmqpMap;
  properties?: Properties;
  applicationProperties?: AmqpMap;
  /** Absent only if the sender sent no body section (the spec requires one; the session decides). */
  body?: Amqp10MessageBody;
  footer?: AmqpMap;
}

/** What {@link encodeMessage} accepts. */
export interface Amqp10MessageInit extends Omit<Amqp10Message, 'header' | 'properties'> {
  header?: HeaderInit;
  properties?: PropertiesInit;
}

/** A decoded message with the octets of its bare message (properties through body, no footer). */
export interface DecodedMessage {
  message: Amqp10Message;
  bareMessage: Buffer;
}

const RANK: Record<string, number> = {
  header: 0,
  'delivery-annotations': 1,
  'message-annotations': 2,
  properties: 3,
  'application-properties': 4,
  data: 5,
  'amqp-sequence': 5,
  'amqp-value': 5,
  footer: 6,
};

function badSection(text: string): Amqp10DecodeError {
  return new Amqp10DecodeError('BAD_SECTION', 'DECODE_ERROR', text);
}

/** Decodes a transfer payload into its sections; order, repetition and body kinds are checked. */
export function decodeMessage(payload: Buffer): DecodedMessage {
  const r = new Amqp10Reader(payload);
  const message: Amqp10Message = {};
  let lastRank = -1;
  let bareStart = -1;
  let bareEnd = -1;
  while (r.pos < r.end) {
    const start = r.pos;
    const v = readValue(r);
    const section =
      v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) && v.type === 'described' ? decodeComposite(v) : undefined;
    const rank = section === undefined ? undefined : RANK[section.kind];
    if (section === undefined || rank === undefined) throw badSection('a message holds a value that is not a section');
    if (rank < lastRank || (rank === lastRank && rank !== 5)) throw badSection(`${section.kind} out of order or repeated`);
    if (rank >= 3 && rank <= 5 && bareStart < 0) bareStart = start;
    if (rank <= 5) bareEnd = r.pos;
    lastRank = rank;
    switch (section.kind) {
      case 'header':
        message.header = section;
        break;
      case 'delivery-annotations':
        message.deliveryAnnotations = section.value;
        break;
      case 'message-annotations':
        message.messageAnnotations = section.value;
        break;
      case 'properties':
        message.properties = section;
        break;
      case 'application-properties':
        message.applicationProperties = section.value;
        break;
      case 'data':
        if (message.body === undefined) message.body = { kind: 'data', data: [] };
        else if (message.body.kind !== 'data') throw badSection('body sections of different kinds');
        message.body.data.push(section.value);
        break;
      case 'amqp-sequence':
        if (message.body === undefined) message.body = { kind: 'amqp-sequence', sequences: [] };
        else if (message.body.kind !== 'amqp-sequence') throw badSection('body sections of different kinds');
        message.body.sequences.push(section.value);
        break;
      case 'amqp-value':
        if (message.body !== undefined) throw badSection('amqp-value after another body section');
        message.body = { kind: 'amqp-value', value: section.value };
        break;
      case 'footer':
        message.footer = section.value;
        break;
      default:
        throw badSection(`${section.kind} is not a section`);
    }
  }
  return { message, bareMessage: bareStart < 0 ? Buffer.alloc(0) : payload.subarray(bareStart, bareEnd) };
}

/** Encodes a message as a transfer payload, its sections in the spec's order. */
export function encodeMessage(m: Amqp10MessageInit): Buffer {
  const w = new Amqp10Writer();
  if (m.header !== undefined) writeValue(w, encodeHeaderValue(m.header));
  if (m.deliveryAnnotations !== undefined) writeValue(w, encodeDeliveryAnnotationsValue({ value: m.deliveryAnnotations }));
  if (m.messageAnnotations !== undefined) writeValue(w, encodeMessageAnnotationsValue({ value: m.messageAnnotations }));
  if (m.properties !== undefined) writeValue(w, encodePropertiesValue(m.properties));
  if (m.applicationProperties !== undefined) writeValue(w, encodeApplicationPropertiesValue({ value: m.applicationProperties }));
  const body = m.body;
  if (body?.kind === 'data') for (const d of body.data) writeValue(w, encodeDataValue({ value: d }));
  else if (body?.kind === 'amqp-sequence') for (const s of body.sequences) writeValue(w, encodeAmqpSequenceSectionValue({ value: s }));
  else if (body?.kind === 'amqp-value') writeValue(w, encodeAmqpValueSectionValue({ value: body.value }));
  if (m.footer !== undefined) writeValue(w, encodeFooterValue({ value: m.footer }));
  return w.toBuffer();
}

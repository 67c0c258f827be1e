// One MQTT 3.1, 3.1.1 or 5.0 connection to the ActiveMQ engine, on any byte stream (a TLS socket, or
// a secure WebSocket through ws's createWebSocketStream). It owns the packet order (CONNECT first and
// once, the connect timeout, keep-alive), the client id (assigned, taken over), QoS 0/1/2 flows both
// ways with packet ids, DUP and the in-flight windows, subscriptions (durable under the client id for
// QoS 1/2 in a session that outlives the connection), retained and will messages, MQTT 5 topic
// aliases, limits and reason codes, and closing in both directions. Packet syntax is the codec's
// (src/codec/mqtt); topics, storage and redelivery are the engine's; the state that outlives a
// connection is session-state.ts's; turning errors into codes is errors.ts's; the message mapping
// is message-mapping.ts's.

import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import {
  encodeMqttPacket,
  type IConnackPacket,
  type IConnectPacket,
  type IDisconnectPacket,
  type IPublishPacket,
  type ISubscribePacket,
  type ISubscription,
  type IUnsubscribePacket,
  MqttDecodeError,
  MqttPacketDecoder,
  type MqttProtocolVersion,
  type Packet,
  type QoS,
} from '../../codec/mqtt/index.ts';
import { SENT, type AmqConnection, type AmqDelivery, type AmqEngine, type AmqMessage, type Destination, type Subscription } from '../../core/activemq/api.ts';
import { destinationToMqttTopic, mqttFilterToPattern, mqttTopicToDestination } from '../../core/activemq/destinations.ts';
import type { Logger } from '../../util/logger.ts';
import {
  CONNACK_RETURN_CODE,
  closeReasonFor,
  connackCodeFor,
  MqttSessionError,
  publishReasonFor,
  REASON_CODE,
  subscribeFailureFor,
} from './errors.ts';
import { messageQos, messageToPublish, publishToMessage, RETAIN_PROPERTY, retainedMessage } from './message-mapping.ts';
import {
  type MqttSessionOwner,
  type MqttSessionRegistry,
  type MqttSessionState,
  type MqttSubscriptionEntry,
  newSessionState,
  type PendingWill,
  sessionRegistryFor,
  type WillMessage,
} from './session-state.ts';

/** Options of {@link createMqttSession}; every limit has a default (README.md lists them). */
export interface MqttSessionOptions {
  readonly engine: AmqEngine;
  /** The peer's address, for the engine's audit records and the logs. */
  readonly remoteAddress?: string;
  readonly logger?: Logger;
  /** CONNECT must arrive within this (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** Largest packet accepted, fixed header included; MQTT 5 clients are told (default 1 MiB). */
  readonly packetSizeMaxBytes?: number;
  /** Subscriptions per connection (default 1000). */
  readonly subscriptionsMax?: number;
  /**
   * QoS 1/2 messages in flight each way (default 1000): MQTT 5 Receive Maximum offered to the
   * client, and the most unacknowledged deliveries the server sends (also bounded by the client's).
   */
  readonly inflightMax?: number;
  /** Unacknowledged QoS 0 deliveries per subscription before the engine holds back (default 1000). */
  readonly qos0PrefetchMax?: number;
  /** MQTT 5 Topic Alias Maximum offered to the client (default 10; 0 turns aliases off). */
  readonly topicAliasMax?: number;
  /** When set, a longer (or absent) client keep-alive is replaced by this (MQTT 5 Server Keep Alive). */
  readonly keepAliveMaxSec?: number;
  /** Longest MQTT 5 session expiry granted (default 0xFFFFFFFF: as the client asks). */
  readonly sessionExpiryMaxSec?: number;
  /** Longest client identifier, in UTF-8 bytes (default 256). */
  readonly clientIdMaxBytes?: number;
  /** How long a closing connection may flush before it is cut (default 3 s). */
  readonly closeTimeoutMs?: number;
  /** Session state shared by the engine's MQTT connections (default: one per engine). */
  readonly registry?: MqttSessionRegistry;
}

export interface MqttSession {
  /** The broker shutting down: MQTT 5 DISCONNECT 0x8B, then the stream ends; resolves when it is gone. */
  close(): Promise<void>;
}

const DEFAULTS = {
  connectTimeoutMs: 10_000,
  packetSizeMaxBytes: 1024 * 1024,
  subscriptionsMax: 1000,
  inflightMax: 1000,
  qos0PrefetchMax: 1000,
  topicAliasMax: 10,
  sessionExpiryMaxSec: 0xffffffff,
  clientIdMaxBytes: 256,
  closeTimeoutMs: 3000,
} as const;

/** MQTT 5 "the session does not expire" (§3.1.2.11.2); 3.1.1 persistent sessions are the same. */
const SESSION_NEVER_EXPIRES = 0xffffffff;
/** Timers longer than this overflow setTimeout; such sessions are kept like ones that never expire. */
const TIMER_MAX_MS = 2 ** 31 - 1;
/**
 * A will published on broker shutdown waits for the store this long at most: shutdown goes on
 * without it (the listener cuts a session after 5 s, the broker then closes).
 */
const WILL_ON_SHUTDOWN_MAX_MS = 2000;
/** Decoded packets waiting for the session before reading pauses. */
const QUEUE_HIGH_WATER = 64;
const QUEUE_LOW_WATER = 16;
/** QoS 0 sends awaiting the engine before the session stops taking packets. */
const SENDS_IN_FLIGHT_MAX = 256;
/** MQTT 3.1 limits client identifiers to 23 characters (3.1.1 relaxed it). */
const MQTT31_CLIENT_ID_MAX_CHARS = 23;

type Phase = 'awaiting-connect' | 'connecting' | 'connected' | 'lingering' | 'closed';
type EndKind = 'disconnect' | 'abnormal' | 'takeover' | 'forced' | 'shutdown';

interface ActiveSubscription {
  readonly filter: string;
  /** Replaced in place by a SUBSCRIBE that changes nothing the engine sees. */
  entry: MqttSubscriptionEntry;
  /** [MQTT-4.7.2-1] a filter starting with a wildcard does not match topics starting with `$`. */
  readonly leadingWildcard: boolean;
  subscription: Subscription | undefined;
  closed: boolean;
  /** The MQTT topic of the last delivery's destination (the engine reuses it for the same topic). */
  lastDestination?: Destination;
  lastTopic?: string;
}

interface Outbound {
  /** The engine's delivery token; undefined for a retained message sent on SUBSCRIBE. */
  readonly token: number | undefined;
  /** Key in the session state's outboundIds (filter and message id), when the message has an id. */
  readonly key: string | undefined;
  readonly qos: QoS;
  phase: 'published' | 'released';
}

interface QueuedDelivery {
  readonly active: ActiveSubscription;
  readonly token: number | undefined;
  readonly message: AmqMessage;
  readonly topic: string;
  readonly retained: boolean;
}

/** Starts the MQTT protocol on a stream; the returned handle closes it for a broker shutdown. */
export function createMqttSession(stream: Duplex, options: MqttSessionOptions): MqttSession {
  return new MqttConnectionSession(stream, options);
}

class MqttConnectionSession implements MqttSession, MqttSessionOwner {
  readonly #stream: Duplex;
  readonly #engine: AmqEngine;
  readonly #log: Logger | undefined;
  readonly #registry: MqttSessionRegistry;
  readonly #limits: { -readonly [K in keyof typeof DEFAULTS]: number };
  readonly #decoder: MqttPacketDecoder;
  readonly #closed: Promise<void>;
  readonly #keepAliveMaxSec: number | undefined;
  readonly #remoteAddress: string | undefined;
  #phase: Phase = 'awaiting-connect';
  #version: MqttProtocolVersion = 4;
  #connackSent = false;
  #connection: AmqConnection | undefined;
  #clientId: string | undefined;
  #state: MqttSessionState | undefined;
  #sessionExpirySec = 0;
  /** The expiresAfterMs this connection gave its durable subscriptions (they follow a change). */
  #durableExpiryApplied: number | undefined;
  #will: WillMessage | undefined;
  #willDelaySec = 0;
  #keepAliveSec = 0;
  #connectTimer: NodeJS.Timeout | undefined;
  #keepAliveTimer: NodeJS.Timeout | undefined;
  /** performance.now() of the last bytes read, for the keep-alive. */
  #lastReadMs = 0;
  #closeTimer: NodeJS.Timeout | undefined;
  #willTimer: NodeJS.Timeout | undefined;
  #expiryTimer: NodeJS.Timeout | undefined;
  /** The most QoS 1/2 deliveries in flight to the client. */
  #outboundWindow: number;
  #clientPacketMaxBytes = Number.POSITIVE_INFINITY;
  #requestProblemInformation = true;
  readonly #topicAliases = new Map<number, string>();
  readonly #subscriptions = new Map<string, ActiveSubscription>();
  readonly #outbound = new Map<number, Outbound>();
  /** Packet ids kept for messages the engine will redeliver (the state's outboundIds values). */
  readonly #reservedIds = new Set<number>();
  #nextPacketId = 0;
  readonly #pendingDeliveries: QueuedDelivery[] = [];
  /** Inbound QoS 1 PUBLISHes not yet acknowledged. */
  #inboundQos1Pending = 0;
  #sendsInFlight = 0;
  #sendSlotWaiter: (() => void) | undefined;
  readonly #queue: Array<Packet | MqttDecodeError> = [];
  #running = false;
  #readFailed = false;
  /** The peer closed the stream; the session ends once the packets before the close are handled. */
  #peerClosed = false;
  /** Writes are being gathered until the end of this tick. */
  #corked = false;
  #lastPublishTopic: string | undefined;
  #lastPublishDestination: Destination | undefined;
  /** PUBACK/PUBREC/PUBCOMP are written in the order their packets came [MQTT-4.6.0-2..4]. */
  #ackChain: Promise<void> = Promise.resolve();
  /** Acknowledgements waiting in #ackChain: while there are any, a new one queues behind them. */
  #acksChained = 0;

  constructor(stream: Duplex, options: MqttSessionOptions) {
    this.#stream = stream;
    this.#engine = options.engine;
    this.#log = options.logger?.child({ session: 'mqtt', remoteAddress: options.remoteAddress });
    this.#registry = options.registry ?? sessionRegistryFor(options.engine);
    this.#registry.watchShutdown(options.engine);
    this.#limits = {
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      packetSizeMaxBytes: options.packetSizeMaxBytes ?? DEFAULTS.packetSizeMaxBytes,
      subscriptionsMax: options.subscriptionsMax ?? DEFAULTS.subscriptionsMax,
      inflightMax: Math.min(65535, options.inflightMax ?? DEFAULTS.inflightMax),
      qos0PrefetchMax: options.qos0PrefetchMax ?? DEFAULTS.qos0PrefetchMax,
      topicAliasMax: Math.min(65535, options.topicAliasMax ?? DEFAULTS.topicAliasMax),
      sessionExpiryMaxSec: options.sessionExpiryMaxSec ?? DEFAULTS.sessionExpiryMaxSec,
      clientIdMaxBytes: options.clientIdMaxBytes ?? DEFAULTS.clientIdMaxBytes,
      closeTimeoutMs: options.closeTimeoutMs ?? DEFAULTS.closeTimeoutMs,
    };
    this.#keepAliveMaxSec = options.keepAliveMaxSec;
    this.#remoteAddress = options.remoteAddress;
    this.#outboundWindow = this.#limits.inflightMax;
    this.#decoder = new MqttPacketDecoder({ packetSizeMaxBytes: this.#limits.packetSizeMaxBytes });
    this.#closed = new Promise((resolve) => stream.once('close', resolve));
    // Acknowledgements are small and latency-bound: no Nagle delay on a TCP/TLS socket.
    (stream as Duplex & { setNoDelay?: (noDelay: boolean) => void }).setNoDelay?.(true);
    stream.on('error', (err: NodeJS.ErrnoException) => {
      this.#log?.debug({ code: err.code }, 'MQTT stream error');
      stream.destroy();
    });
    stream.on('close', () => {
      if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
      this.#onPeerClosed();
    });
    // MQTT has no half-close: the peer ending its side ends the connection.
    stream.on('end', () => {
      this.#onPeerClosed();
      this.#endStream();
    });
    stream.on('data', (chunk: Buffer) => this.#onData(chunk));
    // A server closes a connection whose CONNECT does not come in reasonable time (3.1.1 and 5.0 §3.1).
    this.#connectTimer = setTimeout(() => {
      this.#log?.debug('no CONNECT within the connect timeout');
      this.#stream.destroy();
    }, this.#limits.connectTimeoutMs);
  }

  get #v5(): boolean {
    return this.#version === 5;
  }

  // ---- shutdown and takeover ----

  async close(): Promise<void> {
    if (this.#phase === 'lingering') {
      // A delayed will is published now: the session state is in memory only, so after the
      // restart nothing would remember to publish it when its delay is over.
      await this.#publishWillOnShutdown();
      await this.#endLinger();
    }
    // Only MQTT 5 has a server DISCONNECT; a 3.1.1 connection is simply closed.
    if (this.#phase === 'connected' && this.#v5) {
      this.#write({ cmd: 'disconnect', reasonCode: REASON_CODE.SERVER_SHUTTING_DOWN } as IDisconnectPacket, true);
    }
    if (this.#phase !== 'closed') await this.#finish('shutdown');
    this.#endStream();
    await this.#closed;
  }

  async surrender(): Promise<PendingWill | undefined> {
    const will = this.#will;
    const delayed = this.#willDelaySec > 0 && this.#sessionExpirySec > 0;
    this.#will = undefined;
    if (this.#phase === 'connected') {
      // [MQTT-3.1.4-2] the existing connection is closed; MQTT 5 says why.
      if (this.#v5) this.#write({ cmd: 'disconnect', reasonCode: REASON_CODE.SESSION_TAKEN_OVER } as IDisconnectPacket, true);
      this.#endStream();
    }
    if (this.#phase === 'lingering') {
      // The engine closed the lingering connection for the takeover: only the timers are left.
      this.#clearTimer('will');
      this.#clearTimer('expiry');
      this.#phase = 'closed';
    } else if (this.#phase !== 'closed') {
      await this.#finish('takeover');
    }
    if (will === undefined) return undefined;
    return { delayed, publishVia: (send) => send(will) };
  }

  #onForcedClose(reason: string): void {
    // A takeover is handled by the new connection (surrender); anything else is the broker's doing.
    if (this.#clientId !== undefined && this.#registry.isTakingOver(this.#clientId)) return;
    this.#log?.info({ reason }, 'MQTT connection closed by the broker');
    if (this.#phase === 'lingering') {
      // A delayed will or an expiry cannot happen without the engine connection: dropped.
      this.#connection = undefined;
      void this.#endLinger();
      return;
    }
    if (this.#phase === 'connected' && this.#v5) {
      this.#write({ cmd: 'disconnect', reasonCode: REASON_CODE.ADMINISTRATIVE_ACTION } as IDisconnectPacket, true);
    }
    this.#connection = undefined; // already closed by the engine
    void this.#finish('forced');
    this.#endStream();
  }

  #onPeerClosed(): void {
    this.#clearTimer('connect');
    if (this.#peerClosed || this.#phase === 'lingering' || this.#phase === 'closed') return;
    // Packets that arrived before the close are still handled (a client may PUBLISH, DISCONNECT
    // and close at once); then, without a DISCONNECT, the will is due [MQTT-3.1.2-8].
    this.#peerClosed = true;
    if (this.#running || this.#queue.length > 0) void this.#run();
    else void this.#finish('abnormal');
  }

  // ---- reading ----

  #onData(chunk: Buffer): void {
    // The keep-alive timer checks this when it fires, rather than being re-armed for every read.
    this.#lastReadMs = performance.now();
    // After a failure or the end of the session nothing more is read (the close is under way).
    if (this.#readFailed || this.#phase === 'closed' || this.#phase === 'lingering') return;
    try {
      this.#decoder.push(chunk);
      for (let p = this.#decoder.next(); p !== undefined; p = this.#decoder.next()) this.#queue.push(p);
    } catch (err) {
      this.#readFailed = true;
      this.#queue.push(err instanceof MqttDecodeError ? err : new MqttDecodeError('malformed-packet', 'packet could not be decoded'));
    }
    if (this.#queue.length >= QUEUE_HIGH_WATER || this.#readFailed) this.#stream.pause();
    void this.#run();
  }

  async #run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#queue.length > 0 && (this.#phase === 'awaiting-connect' || this.#phase === 'connecting' || this.#phase === 'connected')) {
        const item = this.#queue.shift()!;
        if (this.#queue.length <= QUEUE_LOW_WATER && !this.#readFailed) this.#stream.resume();
        if (item instanceof MqttDecodeError) {
          this.#fail(item);
          break;
        }
        // PUBLISH and the acknowledgements are handled synchronously: the packets of one read are
        // handled in one go, so their deliveries leave in one write, before the PUBACKs.
        const handling = this.#handle(item);
        if (handling !== undefined) await handling;
        if (this.#sendsInFlight >= SENDS_IN_FLIGHT_MAX) await new Promise<void>((resolve) => (this.#sendSlotWaiter = resolve));
      }
    } catch (err) {
      this.#fail(err);
    } finally {
      this.#running = false;
      // After a DISCONNECT or an error the session has already ended and this does nothing.
      if (this.#peerClosed) void this.#finish('abnormal');
    }
  }

  #handle(packet: Packet): Promise<void> | void {
    if (this.#phase === 'awaiting-connect') {
      if (packet.cmd !== 'connect') {
        // [MQTT-3.1.0-1] the first packet must be CONNECT; there is nobody to tell.
        this.#log?.debug({ cmd: packet.cmd }, 'first MQTT packet is not CONNECT');
        this.#stream.destroy();
        this.#phase = 'closed';
        return;
      }
      return this.#handleConnect(packet);
    }
    switch (packet.cmd) {
      case 'connect':
        throw new MqttSessionError(REASON_CODE.PROTOCOL_ERROR, 'second CONNECT'); // [MQTT-3.1.0-2]
      case 'publish':
        return this.#handlePublish(packet);
      case 'puback':
        return this.#handlePuback(packet.messageId!);
      case 'pubrec':
        return this.#handlePubrec(packet.messageId!, packet.reasonCode ?? 0);
      case 'pubrel':
        return this.#handlePubrel(packet.messageId!);
      case 'pubcomp':
        return this.#handlePubcomp(packet.messageId!);
      case 'subscribe':
        return this.#handleSubscribe(packet);
      case 'unsubscribe':
        return this.#handleUnsubscribe(packet);
      case 'pingreq':
        this.#write({ cmd: 'pingresp' });
        return;
      case 'disconnect':
        return this.#handleDisconnect(packet);
      case 'auth':
        // No authentication method was agreed in CONNECT: AUTH is a protocol error (5.0 §4.12).
        throw new MqttSessionError(REASON_CODE.PROTOCOL_ERROR, 'AUTH without an authentication method');
      default:
        throw new MqttSessionError(REASON_CODE.PROTOCOL_ERROR, 'unexpected packet');
    }
  }

  // ---- CONNECT ----

  #refuseConnect(code: number, version: number): void {
    const packet =
      version === 5
        ? { cmd: 'connack' as const, sessionPresent: false, reasonCode: code }
        : { cmd: 'connack' as const, sessionPresent: false, returnCode: code };
    this.#write(packet, true);
    this.#phase = 'closed';
    this.#endStream();
  }

  async #handleConnect(p: IConnectPacket): Promise<void> {
    this.#phase = 'connecting';
    this.#clearTimer('connect');
    const version = (p.protocolVersion ?? 4) as MqttProtocolVersion;
    this.#version = version;
    const v5 = version === 5;
    const props = v5 ? (p.properties ?? {}) : {};
    const refuse = (error: unknown) => this.#refuseConnect(connackCodeFor(error, version), version);

    if (v5 && props.authenticationMethod !== undefined) {
      // No enhanced authentication: [MQTT-4.12.0-1] answer 0x8C.
      return this.#refuseConnect(REASON_CODE.BAD_AUTHENTICATION_METHOD, version);
    }
    let clientId = p.clientId;
    let assigned = false;
    if (clientId === '') {
      // [MQTT-3.1.3-8] 3.1.1: an empty id needs a clean session; MQTT 5 assigns one either way.
      if (!v5 && !p.clean) return refuse(new MqttSessionError(REASON_CODE.CLIENT_IDENTIFIER_NOT_VALID, 'empty client id without clean session'));
      clientId = `sealmq-${randomUUID()}`;
      assigned = true;
    }
    if ((version === 3 && clientId.length > MQTT31_CLIENT_ID_MAX_CHARS) || Buffer.byteLength(clientId) > this.#limits.clientIdMaxBytes) {
      return refuse(new MqttSessionError(REASON_CODE.CLIENT_IDENTIFIER_NOT_VALID, 'client id too long'));
    }
    if (p.will !== undefined) {
      try {
        mqttTopicToDestination(p.will.topic);
      } catch {
        // MQTT 5: 0x90; 3.1.1 has no code for it, so the connection is closed.
        if (v5) return this.#refuseConnect(REASON_CODE.TOPIC_NAME_INVALID, version);
        this.#phase = 'closed';
        this.#endStream();
        return;
      }
    }
    const requestedExpiry = v5 ? (props.sessionExpiryInterval ?? 0) : p.clean ? 0 : SESSION_NEVER_EXPIRES;
    const sessionExpirySec = Math.min(requestedExpiry, this.#limits.sessionExpiryMaxSec);
    const clientReceiveMax = v5 ? (props.receiveMaximum ?? 65535) : this.#limits.inflightMax;

    this.#registry.beginTakeover(clientId);
    let connection: AmqConnection;
    try {
      connection = await this.#engine.connect({
        username: p.username ?? '',
        password: p.password === undefined ? '' : p.password.toString('utf8'),
        clientId,
        client: { sourceIPAddress: this.#remoteAddress, userAgent: `MQTT ${version === 5 ? '5.0' : version === 4 ? '3.1.1' : '3.1'}` },
        takeOverClientId: true,
      });
    } catch (err) {
      this.#log?.debug({ code: (err as { code?: string }).code }, 'MQTT CONNECT refused');
      return refuse(err);
    } finally {
      this.#registry.endTakeover(clientId);
    }
    if (this.#phase !== 'connecting') {
      // The network connection went away while the engine was connecting.
      await connection.close().catch(() => undefined);
      return;
    }
    this.#connection = connection;
    this.#clientId = clientId;
    connection.onForcedClose((reason) => this.#onForcedClose(reason));

    // [MQTT-3.1.4-2] a connection already using this client id is closed.
    const previous = this.#registry.owners.get(clientId);
    let pendingWill: PendingWill | undefined;
    if (previous !== undefined && previous !== this) pendingWill = await previous.surrender();
    if (this.#phase !== 'connecting') return; // closed meanwhile: #finish released the connection
    this.#registry.owners.set(clientId, this);

    // After a broker restart only the engine remembers the session, by its durable subscriptions
    // (as ActiveMQ restores an MQTT client's subscriptions from them).
    const existing = this.#registry.states.get(clientId) ?? storedSessionState(clientId, connection);
    if (p.clean && existing !== undefined) {
      // [MQTT-3.1.2-6] clean session / clean start: the previous session is discarded.
      await this.#dropDurableSubscriptions(existing);
      this.#registry.states.delete(clientId);
    }
    if (this.#phase !== 'connecting') return; // closed meanwhile: #finish released the connection
    const resumed = !p.clean && existing !== undefined;
    const state = resumed ? existing : newSessionState(clientId);
    this.#registry.states.set(clientId, state);
    this.#state = state;
    this.#sessionExpirySec = sessionExpirySec;
    this.#durableExpiryApplied = this.#durableExpiresAfterMs();
    this.#outboundWindow = Math.min(clientReceiveMax, this.#limits.inflightMax);
    this.#clientPacketMaxBytes = v5 ? (props.maximumPacketSize ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY;
    this.#requestProblemInformation = !v5 || props.requestProblemInformation !== false;
    if (p.will !== undefined) {
      const willPayload = typeof p.will.payload === 'string' ? Buffer.from(p.will.payload) : p.will.payload;
      this.#will = { topic: p.will.topic, payload: willPayload, qos: (p.will.qos ?? 0) as QoS, retain: p.will.retain === true, properties: v5 ? p.will.properties : undefined };
      this.#willDelaySec = v5 ? (p.will.properties?.willDelayInterval ?? 0) : 0;
    }

    // A will left by the session taken over: published unless this connection resumes the session
    // within the will delay [MQTT-3.1.3-9].
    if (pendingWill !== undefined && (!pendingWill.delayed || !resumed)) {
      await pendingWill.publishVia((will) => this.#publishWill(will)).catch((err) => this.#log?.warn({ code: (err as { code?: string }).code }, 'will of a replaced session not published'));
    }
    if (this.#phase !== 'connecting') return;

    let keepAliveSec = p.keepalive ?? 0;
    let serverKeepAlive: number | undefined;
    if (this.#keepAliveMaxSec !== undefined && v5 && (keepAliveSec === 0 || keepAliveSec > this.#keepAliveMaxSec)) {
      keepAliveSec = this.#keepAliveMaxSec;
      serverKeepAlive = keepAliveSec;
    }
    this.#keepAliveSec = keepAliveSec;

    if (v5) {
      const properties: NonNullable<IConnackPacket['properties']> = {
        receiveMaximum: this.#limits.inflightMax,
        maximumPacketSize: this.#limits.packetSizeMaxBytes,
        topicAliasMaximum: this.#limits.topicAliasMax,
        retainAvailable: true,
        wildcardSubscriptionAvailable: true,
        subscriptionIdentifiersAvailable: true,
        sharedSubscriptionAvailable: false,
      };
      if (sessionExpirySec !== requestedExpiry) properties.sessionExpiryInterval = sessionExpirySec;
      if (assigned) properties.assignedClientIdentifier = clientId; // [MQTT-3.2.2-16]
      if (serverKeepAlive !== undefined) properties.serverKeepAlive = serverKeepAlive;
      this.#write({ cmd: 'connack', sessionPresent: resumed, reasonCode: REASON_CODE.SUCCESS, properties });
    } else {
      // [MQTT-3.2.2-2] session present when a stored session is resumed.
      this.#write({ cmd: 'connack', sessionPresent: resumed, returnCode: CONNACK_RETURN_CODE.ACCEPTED });
    }
    this.#connackSent = true;
    this.#phase = 'connected';
    if (keepAliveSec > 0) this.#armKeepAlive(keepAliveSec * 1500);

    if (resumed) await this.#resume(state);
  }

  /**
   * [MQTT-3.1.2-24] one and a half keep-alive periods without a packet close the connection. The
   * timer fires `delayMs` from now and, if bytes came meanwhile, waits again for what is left of
   * the period since the last of them.
   */
  #armKeepAlive(delayMs: number): void {
    this.#keepAliveTimer = setTimeout(() => {
      this.#keepAliveTimer = undefined;
      if (this.#phase !== 'connected') return;
      const limitMs = this.#keepAliveSec * 1500;
      const quietMs = performance.now() - this.#lastReadMs;
      if (quietMs < limitMs) this.#armKeepAlive(limitMs - quietMs);
      else this.#fail(new MqttSessionError(REASON_CODE.KEEP_ALIVE_TIMEOUT, 'keep alive timeout'));
    }, delayMs);
  }

  /** Re-attaches a resumed session: the PUBRELs still owed, then its subscriptions [MQTT-4.4.0-1]. */
  async #resume(state: MqttSessionState): Promise<void> {
    for (const id of state.outboundIds.values()) this.#reservedIds.add(id);
    // PUBRELs owed first: their messages were delivered before anything the subscriptions resend.
    for (const id of state.outboundReleased) this.#write({ cmd: 'pubrel', messageId: id });
    for (const [filter, entry] of state.subscriptions) {
      try {
        await this.#openSubscription(filter, mqttFilterToPattern(filter), entry);
      } catch (err) {
        this.#log?.warn({ code: (err as { code?: string }).code }, 'subscription of a resumed MQTT session could not be restored');
        state.subscriptions.delete(filter);
      }
    }
  }

  async #dropDurableSubscriptions(state: MqttSessionState): Promise<void> {
    const connection = this.#connection;
    if (connection === undefined) return;
    for (const entry of state.subscriptions.values()) {
      if (entry.durableName === undefined) continue;
      await connection.unsubscribeDurable(entry.durableName).catch((err) => {
        // Already gone: the core removed it when its expiry ran out (#durableExpiresAfterMs).
        const code = (err as { code?: string }).code;
        if (code !== 'invalid-destination') this.#log?.warn({ code }, 'durable subscription not removed');
      });
    }
  }

  /**
   * How long the session's durable subscriptions survive without this connection: the session
   * expiry, enforced by the engine's store (the subscription queue's x-expires) so that it holds
   * across a broker restart, where the in-memory expiry timer (#expire) is lost [MQTT-4.1.0-2].
   * Undefined (never) for a session that does not expire (MQTT 3.1.1 persistent sessions too);
   * 1 ms for one that ends with the connection (a resumed session's subscriptions are removed
   * at its end; after a broker crash the store removes them). The engine keeps an expiry longer
   * than the core's largest x-expires (2^32-1 ms) like none (later, never earlier).
   */
  #durableExpiresAfterMs(): number | undefined {
    const sec = this.#sessionExpirySec;
    return sec === SESSION_NEVER_EXPIRES ? undefined : Math.max(1, sec * 1000);
  }

  /** A DISCONNECT changed the session expiry: the durable subscriptions follow, messages kept. */
  async #followExpiryChange(state: MqttSessionState, connection: AmqConnection): Promise<void> {
    const expiresAfterMs = this.#durableExpiresAfterMs();
    if (expiresAfterMs === this.#durableExpiryApplied) return;
    this.#durableExpiryApplied = expiresAfterMs;
    for (const entry of state.subscriptions.values()) {
      if (entry.durableName === undefined) continue;
      await connection.setDurableExpiry(entry.durableName, expiresAfterMs).catch((err) => this.#log?.warn({ code: (err as { code?: string }).code }, 'durable subscription expiry not changed'));
    }
  }

  // ---- PUBLISH from the client ----

  #resolveTopic(p: IPublishPacket): string {
    const alias = this.#v5 ? p.properties?.topicAlias : undefined;
    if (alias === undefined) {
      // [MQTT-3.3.2-1] a topic name is required unless an alias stands for it.
      if (p.topic === '') throw new MqttSessionError(this.#v5 ? REASON_CODE.PROTOCOL_ERROR : REASON_CODE.MALFORMED_PACKET, 'empty topic name');
      return p.topic;
    }
    // [MQTT-3.3.2-8/-9] an alias is 1..the maximum the server offered.
    if (alias === 0 || alias > this.#limits.topicAliasMax) throw new MqttSessionError(REASON_CODE.TOPIC_ALIAS_INVALID, 'topic alias out of range');
    if (p.topic !== '') {
      this.#topicAliases.set(alias, p.topic);
      return p.topic;
    }
    const topic = this.#topicAliases.get(alias);
    if (topic === undefined) throw new MqttSessionError(REASON_CODE.PROTOCOL_ERROR, 'unknown topic alias');
    return topic;
  }

  #handlePublish(p: IPublishPacket): void {
    const state = this.#state!;
    const connection = this.#connection!;
    // [MQTT-3.3.1-2] DUP is 0 for QoS 0.
    if (p.qos === 0 && p.dup) throw new MqttSessionError(REASON_CODE.PROTOCOL_ERROR, 'DUP set on a QoS 0 PUBLISH');
    const topic = this.#resolveTopic(p);
    const id = p.messageId ?? 0;
    if (p.qos > 0 && !(p.qos === 2 && state.inboundQos2.has(id))) {
      // More unacknowledged QoS 1/2 PUBLISHes than Receive Maximum: 0x93 (5.0 §3.3.4).
      if (this.#inboundQos1Pending + state.inboundQos2.size >= this.#limits.inflightMax) {
        throw new MqttSessionError(REASON_CODE.RECEIVE_MAXIMUM_EXCEEDED, 'receive maximum exceeded');
      }
    }
    if (p.qos === 2 && state.inboundQos2.has(id)) {
      // [MQTT-4.3.3-2] a PUBLISH resent before PUBREL is acknowledged again, not forwarded again.
      this.#chainAck(Promise.resolve(), (reasonCode) => this.#write(this.#ack('pubrec', id, reasonCode)));
      return;
    }
    // A client mostly publishes to the topic it used last: its destination is checked once.
    let destination = this.#lastPublishTopic === topic ? this.#lastPublishDestination : undefined;
    if (destination === undefined) {
      try {
        destination = mqttTopicToDestination(topic);
      } catch {
        throw new MqttSessionError(REASON_CODE.TOPIC_NAME_INVALID, 'topic name invalid');
      }
      this.#lastPublishTopic = topic;
      this.#lastPublishDestination = destination;
    }
    const now = Date.now();
    let sent: Promise<void>;
    try {
      const message = publishToMessage(p, this.#v5, now);
      sent = connection.send(destination, message);
      if (p.retain) {
        // The engine checked the write permission above; only then is the topic's retained message
        // replaced (an empty payload clears it [MQTT-3.3.1-10]) and forwarded as usual.
        const name = destination.name;
        sent = sent.then(() => this.#engine.retain(name, message.body.length === 0 ? null : retainedMessage(message, now)));
      }
    } catch (err) {
      sent = Promise.reject(err);
    }
    if (p.qos === 0) {
      this.#sendsInFlight++;
      sent.then(
        () => this.#sendDone(),
        (err: unknown) => {
          this.#sendDone();
          this.#fail(err);
        },
      );
      return;
    }
    if (p.qos === 1) {
      this.#inboundQos1Pending++;
      this.#chainAck(sent, (reasonCode) => {
        this.#inboundQos1Pending--;
        this.#write(this.#ack('puback', id, reasonCode));
      });
      return;
    }
    state.inboundQos2.add(id);
    this.#chainAck(sent, (reasonCode) => {
      // A refused QoS 2 message ends its flow with the PUBREC's reason code (MQTT 5 §4.3.3).
      if (reasonCode >= 0x80) state.inboundQos2.delete(id);
      this.#write(this.#ack('pubrec', id, reasonCode));
    });
  }

  #sendDone(): void {
    this.#sendsInFlight--;
    const waiter = this.#sendSlotWaiter;
    if (waiter !== undefined && this.#sendsInFlight < SENDS_IN_FLIGHT_MAX) {
      this.#sendSlotWaiter = undefined;
      waiter();
    }
  }

  /**
   * Writes an acknowledgement once `sent` settles, in packet order. A refusal becomes the MQTT 5
   * reason code; 3.1.1 has none to give, so the connection is closed instead.
   */
  #chainAck(sent: Promise<void>, write: (reasonCode: number) => void): void {
    if (sent === SENT && this.#acksChained === 0) {
      // Accepted at once, nothing owed before it: answered now, before the next packet is handled.
      if (this.#phase === 'connected') write(REASON_CODE.SUCCESS);
      return;
    }
    sent.catch(() => undefined); // observed below, in order
    this.#acksChained++;
    this.#ackChain = this.#ackChain.then(async () => {
      let reasonCode: number = REASON_CODE.SUCCESS;
      try {
        await sent;
      } catch (err) {
        const internal = closeReasonFor(err).internal;
        if (!this.#v5 || internal) {
          this.#acksChained--;
          this.#fail(err);
          return;
        }
        reasonCode = publishReasonFor(err);
        this.#log?.debug({ reasonCode }, 'MQTT PUBLISH refused');
      }
      // Counted out only once written: an acknowledgement answered at once must not pass this one.
      this.#acksChained--;
      if (this.#phase === 'connected') write(reasonCode);
    });
  }

  #ack(cmd: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp', messageId: number, reasonCode = 0): Packet {
    return (this.#v5 && reasonCode !== 0 ? { cmd, messageId, reasonCode } : { cmd, messageId }) as Packet;
  }

  #handlePubrel(id: number): void {
    const state = this.#state!;
    const known = state.inboundQos2.delete(id);
    // PUBCOMP after the PUBREC of the same id, which may still wait for the engine.
    this.#acksChained++;
    this.#ackChain = this.#ackChain.then(() => {
      this.#acksChained--;
      if (this.#phase === 'connected') this.#write(this.#ack('pubcomp', id, known ? 0 : REASON_CODE.PACKET_IDENTIFIER_NOT_FOUND));
    });
  }

  // ---- deliveries to the client ----

  #onDelivery(active: ActiveSubscription, delivery: AmqDelivery): void {
    if (this.#phase !== 'connected' || active.closed) return; // handed back when the subscription closes
    let topic = active.lastTopic;
    if (active.lastDestination !== delivery.destination || topic === undefined) {
      topic = destinationToMqttTopic(delivery.destination);
      active.lastDestination = delivery.destination;
      active.lastTopic = topic;
    }
    const item: QueuedDelivery = {
      active,
      token: delivery.token,
      message: delivery.message,
      topic,
      retained: active.entry.retainAsPublished && delivery.message.properties[RETAIN_PROPERTY] === true,
    };
    if (this.#pendingDeliveries.length > 0 || (this.#outbound.size >= this.#outboundWindow && this.#deliveryQos(item) > 0)) {
      this.#pendingDeliveries.push(item);
      return;
    }
    this.#deliver(item);
  }

  #deliveryQos(item: QueuedDelivery): QoS {
    return Math.min(item.active.entry.qos, messageQos(item.message)) as QoS;
  }

  #settle(token: number | undefined): void {
    if (token === undefined || this.#connection === undefined) return;
    try {
      this.#connection.ack(token);
    } catch {
      // The subscription closed meanwhile and the engine took the delivery back.
    }
  }

  #deliver(item: QueuedDelivery): void {
    const now = Date.now();
    const { message, active } = item;
    if ((message.expiration > 0 && message.expiration <= now) || (active.leadingWildcard && item.topic.startsWith('$'))) {
      this.#settle(item.token);
      return;
    }
    const qos = this.#deliveryQos(item);
    if (qos === 0) {
      const bytes = this.#encodePublish(message, { topic: item.topic, qos, dup: false, retain: item.retained, subscriptionIdentifier: active.entry.subscriptionIdentifier }, now);
      if (bytes === undefined) return this.#settle(item.token);
      const token = item.token;
      // Settled once written: QoS 0 is at most once, and the engine's prefetch bounds what waits here.
      this.#send(bytes, () => this.#settle(token));
      return;
    }
    const state = this.#state!;
    // Only a session that outlives this connection can see the message again after a reconnect; a
    // session expiry of 0 stays 0 (MQTT 5 §3.14.2.2.2: DISCONNECT cannot raise it), so a clean
    // session needs no key and no bookkeeping per delivery.
    const key =
      this.#sessionExpirySec === 0 || message.messageId === undefined || item.token === undefined ? undefined : `${active.filter}\u0000${message.messageId}`;
    const earlier = key === undefined ? undefined : state.outboundIds.get(key);
    // [MQTT-4.4.0-1] a message sent before the reconnect goes again with its packet id and DUP.
    const id = earlier !== undefined && !this.#outbound.has(earlier) ? earlier : this.#allocatePacketId();
    const bytes = this.#encodePublish(message, { topic: item.topic, qos, messageId: id, dup: earlier !== undefined, retain: item.retained, subscriptionIdentifier: active.entry.subscriptionIdentifier }, now);
    if (bytes === undefined) {
      if (key !== undefined) state.outboundIds.delete(key);
      this.#reservedIds.delete(id);
      return this.#settle(item.token);
    }
    this.#outbound.set(id, { token: item.token, key, qos, phase: 'published' });
    if (key !== undefined) {
      state.outboundIds.set(key, id);
      this.#reservedIds.add(id);
    }
    this.#send(bytes);
  }

  /** The PUBLISH bytes, or undefined when they exceed the client's Maximum Packet Size [MQTT-3.1.2-25]. */
  #encodePublish(message: AmqMessage, out: Parameters<typeof messageToPublish>[1], now: number): Buffer | undefined {
    const bytes = encodeMqttPacket(messageToPublish(message, out, this.#v5, now), this.#version);
    if (bytes.length > this.#clientPacketMaxBytes) {
      this.#log?.debug({ bytes: bytes.length }, 'message larger than the client accepts: discarded');
      return undefined;
    }
    return bytes;
  }

  #allocatePacketId(): number {
    const state = this.#state!;
    for (let i = 0; i < 65535; i++) {
      this.#nextPacketId = (this.#nextPacketId % 65535) + 1;
      const id = this.#nextPacketId;
      if (!this.#outbound.has(id) && !state.outboundReleased.has(id) && !this.#reservedIds.has(id)) return id;
    }
    // The window is at most 65535 and ids of released messages are bounded by it: a bug if reached.
    throw new Error('no free MQTT packet identifier');
  }

  #flushPending(): void {
    while (this.#pendingDeliveries.length > 0 && this.#phase === 'connected') {
      const item = this.#pendingDeliveries[0]!;
      if (item.active.closed) {
        this.#pendingDeliveries.shift();
        continue;
      }
      if (this.#deliveryQos(item) > 0 && this.#outbound.size >= this.#outboundWindow) return;
      this.#pendingDeliveries.shift();
      this.#deliver(item);
    }
  }

  #forgetOutbound(id: number, o: Outbound): void {
    this.#outbound.delete(id);
    if (o.key !== undefined) {
      this.#state!.outboundIds.delete(o.key);
      this.#reservedIds.delete(id);
    }
  }

  #handlePuback(id: number): void {
    const o = this.#outbound.get(id);
    if (o === undefined || o.qos !== 1) return; // late or unknown: nothing to settle
    this.#forgetOutbound(id, o);
    this.#settle(o.token);
    this.#flushPending();
  }

  #handlePubrec(id: number, reasonCode: number): void {
    const state = this.#state!;
    const o = this.#outbound.get(id);
    if (o !== undefined && o.qos === 2 && o.phase === 'published') {
      // The client holds the message now: the engine's copy is settled, the id stays until PUBCOMP.
      this.#settle(o.token);
      if (o.key !== undefined) {
        state.outboundIds.delete(o.key);
        this.#reservedIds.delete(id);
      }
      if (reasonCode >= 0x80) {
        // MQTT 5: a PUBREC with an error code ends the flow (§4.3.3).
        this.#outbound.delete(id);
        this.#flushPending();
        return;
      }
      o.phase = 'released';
      state.outboundReleased.add(id);
      this.#write({ cmd: 'pubrel', messageId: id });
      return;
    }
    if (state.outboundReleased.has(id)) {
      this.#write({ cmd: 'pubrel', messageId: id });
      return;
    }
    if (this.#v5) this.#write(this.#ack('pubrel', id, REASON_CODE.PACKET_IDENTIFIER_NOT_FOUND));
  }

  #handlePubcomp(id: number): void {
    const state = this.#state!;
    state.outboundReleased.delete(id);
    const o = this.#outbound.get(id);
    if (o !== undefined && o.phase === 'released') this.#outbound.delete(id);
    this.#flushPending();
  }

  // ---- SUBSCRIBE / UNSUBSCRIBE ----

  async #openSubscription(filter: string, pattern: string, entry: MqttSubscriptionEntry): Promise<ActiveSubscription> {
    const active: ActiveSubscription = { filter, entry, leadingWildcard: filter.startsWith('+') || filter.startsWith('#'), subscription: undefined, closed: false };
    this.#subscriptions.set(filter, active);
    try {
      active.subscription = await this.#connection!.subscribe(
        {
          id: filter,
          destination: { kind: 'topic', name: pattern },
          ackMode: 'individual',
          prefetch: entry.qos === 0 ? this.#limits.qos0PrefetchMax : this.#outboundWindow,
          durableName: entry.durableName,
          noLocal: entry.noLocal,
          ...(entry.durableName === undefined ? {} : { expiresAfterMs: this.#durableExpiryApplied }),
        },
        (delivery) => this.#onDelivery(active, delivery),
      );
    } catch (err) {
      active.closed = true;
      if (this.#subscriptions.get(filter) === active) this.#subscriptions.delete(filter);
      throw err;
    }
    return active;
  }

  /**
   * Stops a subscription; the engine takes back what was not acknowledged. When the client ends it
   * (UNSUBSCRIBE, a replacing SUBSCRIBE) the packet ids kept for a redelivery are forgotten too.
   */
  async #closeSubscription(active: ActiveSubscription, forgetIds = true): Promise<void> {
    active.closed = true;
    if (this.#subscriptions.get(active.filter) === active) this.#subscriptions.delete(active.filter);
    if (forgetIds) {
      for (const [id, o] of this.#outbound) {
        if (o.phase === 'published' && o.key !== undefined && o.key.startsWith(`${active.filter}\u0000`)) this.#forgetOutbound(id, o);
      }
    }
    await active.subscription?.close().catch(() => undefined);
  }

  async #handleSubscribe(p: ISubscribePacket): Promise<void> {
    const subscriptionIdentifier = this.#v5 ? p.properties?.subscriptionIdentifier : undefined;
    const granted: number[] = [];
    const retainedFor: ActiveSubscription[] = [];
    for (const s of p.subscriptions) {
      const outcome = await this.#subscribeOne(s, subscriptionIdentifier);
      granted.push(outcome.code);
      if (outcome.sendRetained !== undefined) retainedFor.push(outcome.sendRetained);
    }
    // [MQTT-3.8.4-1] SUBACK with one code per filter, in order [MQTT-3.9.3-1].
    this.#write({ cmd: 'suback', messageId: p.messageId!, granted });
    // [MQTT-3.3.1-6] matching retained messages follow, with RETAIN set.
    for (const active of retainedFor) {
      const pattern = mqttFilterToPattern(active.filter);
      const retained = await this.#engine.retained(pattern);
      for (const r of retained) {
        if (active.closed || this.#phase !== 'connected') break;
        this.#onRetained(active, r.topic, r.message);
      }
    }
  }

  #onRetained(active: ActiveSubscription, topic: string, message: AmqMessage): void {
    const item: QueuedDelivery = { active, token: undefined, message, topic: destinationToMqttTopic({ kind: 'topic', name: topic }), retained: true };
    if (this.#pendingDeliveries.length > 0 || (this.#outbound.size >= this.#outboundWindow && this.#deliveryQos(item) > 0)) this.#pendingDeliveries.push(item);
    else this.#deliver(item);
  }

  async #subscribeOne(s: ISubscription, subscriptionIdentifier: number | undefined): Promise<{ code: number; sendRetained?: ActiveSubscription }> {
    const v5 = this.#v5;
    const state = this.#state!;
    const failure = (error: unknown) => ({ code: subscribeFailureFor(error, this.#version) });
    if (v5 && s.topic.startsWith('$share/')) {
      return failure(new MqttSessionError(REASON_CODE.SHARED_SUBSCRIPTIONS_NOT_SUPPORTED, 'shared subscriptions are not supported'));
    }
    let pattern: string;
    try {
      pattern = mqttFilterToPattern(s.topic);
    } catch {
      return failure(new MqttSessionError(REASON_CODE.TOPIC_FILTER_INVALID, 'topic filter invalid'));
    }
    const existing = this.#subscriptions.get(s.topic);
    if (existing === undefined && this.#subscriptions.size >= this.#limits.subscriptionsMax) {
      return failure(new MqttSessionError(REASON_CODE.QUOTA_EXCEEDED, 'too many subscriptions'));
    }
    const qos = s.qos;
    // ActiveMQ's names for an MQTT client's durable subscriptions.
    const durableName = this.#sessionExpirySec > 0 && qos > 0 ? `${qos === 1 ? 'AT_LEAST_ONCE' : 'EXACTLY_ONCE'}:${s.topic}` : undefined;
    const entry: MqttSubscriptionEntry = {
      qos,
      noLocal: v5 && s.nl === true,
      retainAsPublished: v5 && s.rap === true,
      subscriptionIdentifier,
      durableName,
    };
    const previous = state.subscriptions.get(s.topic);
    // MQTT 5 Retain Handling: 0 always, 1 only for a new subscription, 2 never [MQTT-3.3.1-9..11].
    const rh = v5 ? (s.rh ?? 0) : 0;
    const sendRetained = rh === 0 || (rh === 1 && previous === undefined);
    // [MQTT-3.8.4-3] a subscription with the same filter is replaced without losing messages. When
    // the engine's side stays the same (durability, no-local, prefetch class), the engine
    // subscription is kept: closing it would send the messages in flight a second time.
    if (existing !== undefined && !existing.closed && existing.entry.durableName === durableName && existing.entry.noLocal === entry.noLocal && (existing.entry.qos === 0) === (qos === 0)) {
      existing.entry = entry;
      state.subscriptions.set(s.topic, entry);
      return sendRetained ? { code: qos, sendRetained: existing } : { code: qos };
    }
    if (existing !== undefined) await this.#closeSubscription(existing);
    if (previous?.durableName !== undefined && previous.durableName !== durableName) {
      await this.#connection!.unsubscribeDurable(previous.durableName).catch(() => undefined);
    }
    let active: ActiveSubscription;
    try {
      active = await this.#openSubscription(s.topic, pattern, entry);
    } catch (err) {
      state.subscriptions.delete(s.topic);
      this.#log?.debug({ code: (err as { code?: string }).code }, 'MQTT SUBSCRIBE refused');
      return failure(err);
    }
    state.subscriptions.set(s.topic, entry);
    return sendRetained ? { code: qos, sendRetained: active } : { code: qos };
  }

  async #handleUnsubscribe(p: IUnsubscribePacket): Promise<void> {
    const state = this.#state!;
    const codes: number[] = [];
    for (const filter of p.unsubscriptions) {
      const active = this.#subscriptions.get(filter);
      const entry = state.subscriptions.get(filter);
      if (active !== undefined) await this.#closeSubscription(active);
      if (entry?.durableName !== undefined) {
        await this.#connection!.unsubscribeDurable(entry.durableName).catch((err) => this.#log?.warn({ code: (err as { code?: string }).code }, 'durable subscription not removed'));
      }
      state.subscriptions.delete(filter);
      codes.push(entry === undefined && active === undefined ? REASON_CODE.NO_SUBSCRIPTION_EXISTED : REASON_CODE.SUCCESS);
    }
    // UNSUBACK even when nothing matched (§3.10.4); MQTT 5 carries a code per filter.
    this.#write(this.#v5 ? { cmd: 'unsuback', messageId: p.messageId!, granted: codes } : { cmd: 'unsuback', messageId: p.messageId!, granted: [] });
  }

  // ---- DISCONNECT, wills and the end of a connection ----

  async #handleDisconnect(p: IDisconnectPacket): Promise<void> {
    const kind = this.#applyDisconnect(p);
    await this.#ackChain;
    this.#endStream();
    await this.#finish(kind);
  }

  /** What a DISCONNECT changes (session expiry, the will), and how the connection ends. */
  #applyDisconnect(p: IDisconnectPacket): EndKind {
    if (this.#v5) {
      const expiry = p.properties?.sessionExpiryInterval;
      if (expiry !== undefined) {
        // A session that was to end with the connection cannot be extended here (5.0 §3.14.2.2.2).
        if (this.#sessionExpirySec === 0 && expiry > 0) throw new MqttSessionError(REASON_CODE.PROTOCOL_ERROR, 'session expiry set on DISCONNECT after 0 on CONNECT');
        this.#sessionExpirySec = Math.min(expiry, this.#limits.sessionExpiryMaxSec);
      }
    }
    // [MQTT-3.14.4-3] a normal DISCONNECT discards the will; MQTT 5's 0x04 asks for it.
    const keepWill = this.#v5 && p.reasonCode === REASON_CODE.DISCONNECT_WITH_WILL_MESSAGE;
    if (!keepWill) this.#will = undefined;
    return keepWill ? 'abnormal' : 'disconnect';
  }

  async #publishWill(will: WillMessage): Promise<void> {
    const connection = this.#connection;
    if (connection === undefined) return;
    const destination = mqttTopicToDestination(will.topic);
    const now = Date.now();
    const packet: IPublishPacket = { cmd: 'publish', topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain, dup: false, ...(will.properties === undefined ? {} : { properties: willPublishProperties(will.properties) }) };
    const message = publishToMessage(packet, will.properties !== undefined, now);
    await connection.send(destination, message);
    if (will.retain) await this.#engine.retain(destination.name, message.body.length === 0 ? null : retainedMessage(message, now));
  }

  /**
   * Ends the connection's use of the engine. Subscriptions close (the engine keeps what durable
   * ones collect), the will goes out when due, and the session state stays for a later connection
   * unless it ends with this one. A session that must act later (a delayed will, an expiry) keeps
   * its engine connection open, without subscriptions, until then.
   */
  async #finish(kind: EndKind): Promise<void> {
    if (this.#phase === 'closed' || this.#phase === 'lingering') return;
    const wasConnected = this.#phase === 'connected';
    this.#phase = 'closed';
    this.#clearTimer('connect');
    this.#clearTimer('keepalive');
    this.#pendingDeliveries.length = 0;
    this.#sendSlotWaiter?.();
    const connection = this.#connection;
    const clientId = this.#clientId;
    const state = this.#state;
    if (connection === undefined || clientId === undefined || state === undefined || !wasConnected) {
      if (clientId !== undefined) this.#registry.release(clientId, this);
      if (connection !== undefined && kind !== 'forced') await connection.close().catch(() => undefined);
      return;
    }
    // A session expiry changed by DISCONNECT reaches the durable subscriptions while their
    // consumers are attached, so that their countdown starts with the new value.
    if ((kind === 'disconnect' || kind === 'abnormal') && this.#sessionExpirySec > 0) await this.#followExpiryChange(state, connection);
    // The packet ids of unacknowledged deliveries stay in the session state for the redelivery.
    await Promise.all([...this.#subscriptions.values()].map((active) => this.#closeSubscription(active, false)));
    this.#outbound.clear();
    if (kind === 'takeover' || kind === 'forced') {
      if (kind === 'forced') this.#registry.release(clientId, this);
      return; // the engine closed the connection
    }
    if (kind === 'shutdown') {
      // The network connection closes without a DISCONNECT from the client: the will is due
      // (3.1.1 and 5.0 §3.1.2.5), and it can be delivered: to durable subscriptions and as a
      // retained message, both stored. A delayed will goes now too: this session state is in
      // memory only, so after the restart nothing would publish it when the delay is over. Sent
      // before the engine connection closes, and before the broker closes (listeners first; the
      // engine's onShutdown for lingering sessions), so it cannot race the store closing.
      await this.#publishWillOnShutdown();
      this.#registry.release(clientId, this);
      await connection.close().catch(() => undefined);
      return;
    }
    const will = kind === 'abnormal' ? this.#will : undefined;
    this.#will = undefined;
    const sessionEnds = this.#sessionExpirySec === 0;
    const expiryMs = this.#sessionExpirySec * 1000;
    const expires = !sessionEnds && this.#sessionExpirySec !== SESSION_NEVER_EXPIRES && expiryMs <= TIMER_MAX_MS;
    if (will !== undefined && (this.#willDelaySec === 0 || sessionEnds)) {
      await this.#publishWill(will).catch((err) => this.#log?.warn({ code: (err as { code?: string }).code }, 'will message not published'));
    }
    const delayedWill = will !== undefined && this.#willDelaySec > 0 && !sessionEnds ? will : undefined;
    if (sessionEnds) {
      // [MQTT-3.1.2-6] the session ends with the connection: durable subscriptions it made go too
      // (a session resumed with a shorter expiry may have some).
      await this.#dropDurableSubscriptions(state);
      if (this.#registry.states.get(clientId) === state) this.#registry.states.delete(clientId);
    }
    if (delayedWill === undefined && !expires) {
      this.#registry.release(clientId, this);
      await connection.close().catch(() => undefined);
      return;
    }
    // Lingering: the engine connection holds the client id until the will or the expiry is due,
    // or a new connection takes the session over (surrender).
    this.#phase = 'lingering';
    this.#will = delayedWill;
    const willDelayMs = Math.min(this.#willDelaySec * 1000, expires ? expiryMs : Number.POSITIVE_INFINITY);
    if (delayedWill !== undefined && willDelayMs <= TIMER_MAX_MS) {
      this.#willTimer = setTimeout(() => void this.#lingerWill(expires), willDelayMs);
      this.#willTimer.unref();
    }
    if (expires) {
      this.#expiryTimer = setTimeout(() => void this.#expire(), expiryMs);
      this.#expiryTimer.unref();
    }
  }

  /** Publishes the will still due, if any, while the broker shuts down, waiting WILL_ON_SHUTDOWN_MAX_MS at most. */
  async #publishWillOnShutdown(): Promise<void> {
    const will = this.#will;
    this.#will = undefined;
    if (will === undefined) return;
    const publishing = this.#publishWill(will);
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<'stalled'>((resolve) => {
      timer = setTimeout(() => resolve('stalled'), WILL_ON_SHUTDOWN_MAX_MS);
      timer.unref();
    });
    try {
      if ((await Promise.race([publishing, stalled])) === 'stalled') {
        publishing.catch(() => undefined);
        this.#log?.warn({ code: 'timeout' }, 'will message not published before shutdown');
      }
    } catch (err) {
      this.#log?.warn({ code: (err as { code?: string }).code }, 'will message not published before shutdown');
    } finally {
      clearTimeout(timer);
    }
  }

  async #lingerWill(expires: boolean): Promise<void> {
    const will = this.#will;
    this.#will = undefined;
    if (will !== undefined) await this.#publishWill(will).catch((err) => this.#log?.warn({ code: (err as { code?: string }).code }, 'delayed will message not published'));
    if (!expires) await this.#endLinger();
  }

  /** [MQTT-4.1.0-2] the session expired: its durable subscriptions and state are removed. */
  async #expire(): Promise<void> {
    if (this.#phase !== 'lingering') return;
    const will = this.#will;
    this.#will = undefined;
    if (will !== undefined) await this.#publishWill(will).catch(() => undefined);
    const state = this.#state!;
    await this.#dropDurableSubscriptions(state);
    if (this.#registry.states.get(state.clientId) === state) this.#registry.states.delete(state.clientId);
    await this.#endLinger();
  }

  async #endLinger(): Promise<void> {
    this.#clearTimer('will');
    this.#clearTimer('expiry');
    this.#phase = 'closed';
    if (this.#clientId !== undefined) this.#registry.release(this.#clientId, this);
    await this.#connection?.close().catch(() => undefined);
  }

  // ---- writing and closing ----

  #write(packet: Packet, evenIfClosing = false): void {
    if (!evenIfClosing && this.#phase !== 'connected' && this.#phase !== 'connecting') return;
    if (this.#stream.destroyed || this.#stream.writableEnded) return;
    this.#send(encodeMqttPacket(packet, this.#version));
  }

  /**
   * Writes packet bytes; the writes of one tick go out together (one TLS record and one system
   * call for a burst of PUBACKs or deliveries instead of one each).
   */
  #send(bytes: Buffer, written?: () => void): void {
    const stream = this.#stream;
    if (!this.#corked) {
      this.#corked = true;
      stream.cork();
      process.nextTick(() => {
        this.#corked = false;
        stream.uncork();
      });
    }
    if (written === undefined) stream.write(bytes);
    else stream.write(bytes, written);
  }

  /** Closes this connection for a protocol or engine error: MQTT 5 says why in a DISCONNECT. */
  #fail(error: unknown): void {
    if (this.#phase === 'closed' || this.#phase === 'lingering') return;
    const reason = closeReasonFor(error);
    if (reason.internal) this.#log?.error({ err: error }, 'MQTT session failed');
    else this.#log?.debug({ reasonCode: reason.reasonCode, reason: reason.reasonString }, 'MQTT connection closed for an error');
    if (!this.#connackSent) {
      // Before CONNACK: an unknown protocol level is answered in 3.1.1's format [MQTT-3.1.2-2].
      if (error instanceof MqttDecodeError && error.code === 'unsupported-protocol-version') {
        this.#write({ cmd: 'connack', sessionPresent: false, returnCode: CONNACK_RETURN_CODE.UNACCEPTABLE_PROTOCOL_VERSION }, true);
      }
    } else if (this.#v5 && this.#phase === 'connected') {
      // [MQTT-4.13.2-1] DISCONNECT with the reason code before closing.
      const packet: IDisconnectPacket = { cmd: 'disconnect', reasonCode: reason.reasonCode };
      if (!reason.internal) packet.properties = { reasonString: reason.reasonString };
      this.#write(packet, true);
    }
    this.#endStream();
    void this.#finish('abnormal');
  }

  #endStream(): void {
    if (this.#closeTimer !== undefined || this.#stream.destroyed) return;
    this.#stream.end();
    this.#closeTimer = setTimeout(() => this.#stream.destroy(), this.#limits.closeTimeoutMs);
    this.#closeTimer.unref();
  }

  #clearTimer(which: 'connect' | 'keepalive' | 'will' | 'expiry'): void {
    const timers = { connect: this.#connectTimer, keepalive: this.#keepAliveTimer, will: this.#willTimer, expiry: this.#expiryTimer };
    const t = timers[which];
    if (t !== undefined) clearTimeout(t);
    if (which === 'connect') this.#connectTimer = undefined;
    else if (which === 'keepalive') this.#keepAliveTimer = undefined;
    else if (which === 'will') this.#willTimer = undefined;
    else this.#expiryTimer = undefined;
  }
}

/** ActiveMQ's names for an MQTT client's durable subscriptions: `<QoS name>:<topic filter>`. */
const DURABLE_NAME = /^(AT_LEAST_ONCE|EXACTLY_ONCE):(.+)$/s;

/**
 * The session state a broker restart left in the engine: the client's QoS 1/2 subscriptions, from
 * the durable subscriptions named as this session names them; undefined when there are none. What
 * only the network session knew (MQTT 5 subscription identifiers and Retain As Published, QoS 2
 * packet ids in flight) is not stored and starts afresh.
 */
function storedSessionState(clientId: string, connection: AmqConnection): MqttSessionState | undefined {
  let state: MqttSessionState | undefined;
  for (const durable of connection.durableSubscriptions()) {
    const match = DURABLE_NAME.exec(durable.name);
    if (match === null) continue;
    const filter = match[2]!;
    let pattern: string;
    try {
      pattern = mqttFilterToPattern(filter);
    } catch {
      continue;
    }
    // One made by another protocol under the same client id and name is not this session's.
    if (durable.destination.kind !== 'topic' || durable.destination.name !== pattern || durable.selector !== undefined) continue;
    state ??= newSessionState(clientId);
    state.subscriptions.set(filter, {
      qos: match[1] === 'AT_LEAST_ONCE' ? 1 : 2,
      noLocal: durable.noLocal,
      retainAsPublished: false,
      subscriptionIdentifier: undefined,
      durableName: durable.name,
    });
  }
  return state;
}

/** A will's MQTT 5 properties as a PUBLISH carries them (the will delay is the session's). */
function willPublishProperties(properties: Record<string, unknown>): IPublishPacket['properties'] {
  const { willDelayInterval: _delay, ...rest } = properties as { willDelayInterval?: number } & NonNullable<IPublishPacket['properties']>;
  return rest;
}

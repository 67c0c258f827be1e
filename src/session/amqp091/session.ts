// One AMQP 0-9-1 connection: the state machine between the frame codec and the broker core. It owns
// the handshake (protocol header, start/start-ok with PLAIN and AMQPLAIN, tune/tune-ok, open),
// heartbeats both ways, channel numbers and their lifecycle, content assembly (method + header +
// body frames, with the frame-sequence and size rules the decoder leaves to it), publisher
// confirms, deliveries with socket backpressure, connection.blocked while a resource alarm is set,
// and closing in both directions. Routing, queues, acks and permissions are the core's
// (src/core/channel.ts); turning errors into close frames is errors.ts's, in one place.

import type { Socket } from 'node:net';
import type { Broker } from '../../core/broker.ts';
import type { BrokerConnection, ConsumerChannel } from '../../core/channel.ts';
import type { Delivery, HeaderTable, PublishedMessage } from '../../core/types.ts';
import {
  Amqp091DecodeError,
  type Amqp091Method,
  Amqp091FrameDecoder,
  type BasicPublish,
  ByteReader,
  type ContentHeaderFrame,
  encodeContentFrames,
  encodeHeartbeatFrame,
  encodeMethodFrame,
  encodeProtocolHeader,
  type FieldTable,
  FRAME_MIN_SIZE,
  fieldValueAsBoolean,
  fieldValueAsString,
  type MethodInputArgs,
  type MethodName,
  readFieldValue,
  toFieldTable,
  CLASS_ID,
  type FieldValue,
} from '../../codec/amqp091/index.ts';
import type { Logger } from '../../util/logger.ts';
import { Amqp091SessionError, closeReasonFor, type CloseReason, type MethodContext } from './errors.ts';
import { fieldTableToHeaders, viewOfProperties } from './properties-codec.ts';

/** Checks a username and password; resolves to the user or rejects (ACCESS_REFUSED). */
export type Amqp091Authenticator = (username: string, password: string) => Promise<{ readonly name: string }>;

export interface Amqp091SessionOptions {
  readonly broker: Broker;
  /** Default: the broker's user registry. */
  readonly authenticate?: Amqp091Authenticator;
  /** frame_max offered in connection.tune and used when the client says 0 (default 131072, RabbitMQ's). */
  readonly frameSizeMaxBytes?: number;
  /** channel_max offered (default 2047, RabbitMQ's). */
  readonly channelMax?: number;
  /** Heartbeat offered, seconds (default 60, RabbitMQ's); 0 offers none. */
  readonly heartbeatSec?: number;
  /** From the socket's start until connection.open-ok (default 10 s, RabbitMQ's handshake_timeout). */
  readonly handshakeTimeoutMs?: number;
  /** How long a peer gets to answer our connection.close before it is cut off (default 3 s). */
  readonly closeTimeoutMs?: number;
  readonly logger?: Logger;
  /** Product name announced in server-properties (default SealMQ). */
  readonly product?: string;
  readonly version?: string;
  readonly clusterName?: string;
}

/** What RabbitMQ announces in connection.start's server-properties capabilities. */
export const SERVER_CAPABILITIES = {
  publisher_confirms: true,
  exchange_exchange_bindings: true,
  'basic.nack': true,
  consumer_cancel_notify: true,
  'connection.blocked': true,
  consumer_priorities: true,
  authentication_failure_close: true,
  per_consumer_qos: true,
} as const;

const DEFAULT_FRAME_SIZE_MAX_BYTES = 131_072;
const DEFAULT_CHANNEL_MAX = 2047;
const DEFAULT_HEARTBEAT_SEC = 60;
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
const DEFAULT_CLOSE_TIMEOUT_MS = 3_000;
/** Work items waiting behind an asynchronous method, over all channels, before reading pauses. */
const BACKLOG_PAUSE_ITEMS = 1024;

type Phase = 'header' | 'start' | 'tune' | 'open-wait' | 'open' | 'closing' | 'closed';

interface PendingContent {
  readonly publish: BasicPublish;
  readonly method: MethodContext;
  header: ContentHeaderFrame | undefined;
  properties: Buffer | undefined;
  received: number;
  readonly pieces: Buffer[];
}

interface Confirm {
  readonly tag: number;
  ok: boolean | undefined;
  /** performance.now() at publish, for the broker's confirm latency histogram. */
  readonly publishedAtMs: number;
}

interface WorkItem {
  readonly method: MethodContext;
  readonly run: () => void | Promise<void>;
}

interface SessionChannel {
  readonly number: number;
  readonly core: ConsumerChannel;
  state: 'open' | 'closing';
  content: PendingContent | undefined;
  busy: boolean;
  readonly backlog: WorkItem[];
  confirming: boolean;
  publishSeq: number;
  readonly confirms: Confirm[];
  confirmFlushScheduled: boolean;
}

const BASIC_PUBLISH: MethodContext = { classId: CLASS_ID.basic, methodId: 40 };
const NO_METHOD: MethodContext = { classId: 0, methodId: 0 };

/** The per-connection AMQP 0-9-1 state machine. Create it with {@link createAmqp091Session}. */
export class Amqp091Session {
  readonly #socket: Socket;
  readonly #broker: Broker;
  readonly #options: Amqp091SessionOptions;
  readonly #decoder = new Amqp091FrameDecoder();
  readonly #channels = new Map<number, SessionChannel>();
  readonly #log: Logger | undefined;
  #phase: Phase = 'header';
  #frameMax = FRAME_MIN_SIZE;
  #channelMax: number;
  #heartbeatSec = 0;
  #user: { readonly name: string } | undefined;
  #clientCapabilities: FieldTable = new Map();
  #connection: BrokerConnection | undefined;
  #handshakeTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #closeTimer: NodeJS.Timeout | undefined;
  #lastReadMs = Date.now();
  #lastWriteMs = Date.now();
  /** Reading stops while an asynchronous handshake step runs. */
  #handshakeBusy = false;
  /** A resource alarm is set (connection.blocked sent when the client asked for it). */
  #alarm: string | undefined;
  /** This connection published while an alarm was set: reading is stopped until it clears. */
  #publishBlocked = false;
  #backlogItems = 0;
  #writeBlocked = false;
  #corked = false;
  #pumping = false;
  #cleanedUp = false;
  readonly #onBlocked = (reason: string) => this.#alarmRaised(reason);
  readonly #onUnblocked = () => this.#alarmCleared();
  /** Resolves when the socket has closed and the core connection is released. */
  readonly closed: Promise<void>;
  #resolveClosed!: () => void;

  constructor(socket: Socket, options: Amqp091SessionOptions) {
    this.#socket = socket;
    this.#broker = options.broker;
    this.#options = options;
    this.#log = options.logger;
    this.#channelMax = options.channelMax ?? DEFAULT_CHANNEL_MAX;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#log?.debug({ err: { code: (err as NodeJS.ErrnoException).code } }, 'amqp socket error'));
    socket.on('close', () => this.#cleanup());
    socket.on('end', () => {
      // The peer half-closed: nothing more will be read; finish our side.
      if (!socket.destroyed) socket.end();
    });
    this.#handshakeTimer = setTimeout(() => {
      if (this.#phase !== 'open' && this.#phase !== 'closed') {
        this.#log?.info({ phase: this.#phase }, 'amqp handshake timeout: closing the socket');
        socket.destroy();
      }
    }, options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS);
    this.#handshakeTimer.unref?.();
  }

  /** The authenticated user's name, once authenticated. */
  get username(): string | undefined {
    return this.#user?.name;
  }

  /** The negotiated frame_max (4096 before tune-ok). */
  get frameSizeMaxBytes(): number {
    return this.#frameMax;
  }

  /**
   * Closes the connection from the server side (connection.close with 320 CONNECTION_FORCED, as
   * RabbitMQ on shutdown), then the socket once the peer answers or the close timeout passes.
   */
  close(replyText = 'CONNECTION_FORCED - broker shutdown'): Promise<void> {
    if (this.#phase === 'open') {
      this.#closeConnection({ scope: 'connection', replyCode: 320, replyText, classId: 0, methodId: 0, internal: false });
    } else if (this.#phase !== 'closing' && this.#phase !== 'closed') {
      this.#socket.destroy();
    }
    return this.closed;
  }

  // ---- reading ----

  #onData(chunk: Buffer): void {
    this.#lastReadMs = Date.now();
    if (this.#phase === 'closed') return;
    this.#decoder.push(chunk);
    this.#pump();
  }

  #readingStopped(): boolean {
    return this.#handshakeBusy || this.#publishBlocked || this.#backlogItems >= BACKLOG_PAUSE_ITEMS || this.#phase === 'closed';
  }

  /** Decodes and handles buffered frames until none is left or reading has to stop. */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (!this.#readingStopped()) {
        let frame;
        try {
          frame = this.#decoder.next();
        } catch (err) {
          this.#decodeFailed(err);
          return;
        }
        if (frame === undefined) break;
        try {
          switch (frame.type) {
            case 'protocol-header':
              this.#sendStart();
              break;
            case 'heartbeat':
              break;
            case 'method':
              this.#onMethod(frame.channel, frame.method);
              break;
            case 'header':
              this.#onContentHeader(frame);
              break;
            case 'body':
              this.#onContentBody(frame.channel, frame.payload);
              break;
          }
        } catch (err) {
          // Content frames belong to the basic.publish they follow.
          const method = frame.type === 'method' ? frame.method : frame.type === 'header' || frame.type === 'body' ? BASIC_PUBLISH : undefined;
          this.#fail(err, frame.type === 'heartbeat' || frame.type === 'protocol-header' ? 0 : frame.channel, method);
        }
      }
    } finally {
      this.#pumping = false;
    }
    if (this.#readingStopped()) this.#socket.pause();
    else if (this.#socket.isPaused()) this.#socket.resume();
  }

  #resumeReading(): void {
    if (this.#readingStopped()) return;
    this.#pump();
  }

  #decodeFailed(err: unknown): void {
    if (err instanceof Amqp091DecodeError && err.code === 'PROTOCOL_HEADER_MISMATCH') {
      // Spec 4.2.2: answer with the protocol header we support and close the socket.
      this.#phase = 'closed';
      this.#socket.end(encodeProtocolHeader());
      this.#destroyLater();
      return;
    }
    // The decoder is poisoned: we cannot read a close-ok, so close, then end the socket.
    const reason = closeReasonFor(err, undefined);
    if (this.#phase === 'header' || this.#phase === 'closed') {
      this.#socket.destroy();
      return;
    }
    this.#closeConnection(reason);
    this.#phase = 'closed';
    this.#socket.end();
    this.#destroyLater();
  }

  // ---- writing ----

  #write(buf: Buffer): void {
    if (this.#socket.destroyed || !this.#socket.writable) return;
    this.#lastWriteMs = Date.now();
    // Frames written in one tick (a burst of deliveries or confirms) leave in few TLS records.
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.#socket.uncork();
      });
    }
    if (!this.#socket.write(buf) && !this.#writeBlocked) {
      // Socket backpressure: stop pulling deliveries until the buffer drains.
      this.#writeBlocked = true;
      for (const ch of this.#channels.values()) ch.core.setPaused(true);
      this.#socket.once('drain', () => {
        this.#writeBlocked = false;
        for (const ch of this.#channels.values()) {
          if (this.#writeBlocked) break;
          if (ch.state === 'open') ch.core.setPaused(false);
        }
      });
    }
  }

  #send<N extends MethodName>(channel: number, name: N, args: MethodInputArgs[N]): void {
    this.#write(encodeMethodFrame(channel, name, args));
  }

  // ---- handshake ----

  #sendStart(): void {
    this.#phase = 'start';
    const serverProperties = toFieldTable({
      product: this.#options.product ?? 'SealMQ',
      version: this.#options.version ?? '0.1.0',
      platform: `Node.js ${process.version}`,
      cluster_name: this.#options.clusterName ?? 'sealmq',
      copyright: 'SealMQ contributors',
      information: 'Licensed under the project licence',
      capabilities: { ...SERVER_CAPABILITIES },
    });
    this.#send(0, 'connection.start', { versionMajor: 0, versionMinor: 9, serverProperties, mechanisms: 'PLAIN AMQPLAIN', locales: 'en_US' });
  }

  #expectPhase(phase: Phase, method: Amqp091Method): void {
    if (this.#phase !== phase) throw new Amqp091SessionError('COMMAND_INVALID', `unexpected ${method.name} during the handshake`);
  }

  #onStartOk(method: Extract<Amqp091Method, { name: 'connection.start-ok' }>): void {
    this.#expectPhase('start', method);
    const { clientProperties, mechanism, response } = method.args;
    const caps = clientProperties.get('capabilities');
    if (caps?.type === 'F') this.#clientCapabilities = caps.value;
    const credentials = parseCredentials(mechanism, response);
    this.#handshakeBusy = true;
    const authenticate = this.#options.authenticate ?? ((u: string, p: string) => this.#broker.authenticate(u, p));
    authenticate(credentials.username, credentials.password).then(
      (user) => {
        this.#handshakeBusy = false;
        if (this.#phase !== 'start') return;
        this.#user = user;
        this.#phase = 'tune';
        this.#send(0, 'connection.tune', {
          channelMax: this.#channelMax,
          frameMax: this.#options.frameSizeMaxBytes ?? DEFAULT_FRAME_SIZE_MAX_BYTES,
          heartbeat: this.#options.heartbeatSec ?? DEFAULT_HEARTBEAT_SEC,
        });
        this.#resumeReading();
      },
      (err: unknown) => {
        this.#handshakeBusy = false;
        // authentication_failure_close: refuse with connection.close 403, never say why.
        const refused = new Amqp091SessionError(
          'ACCESS_REFUSED',
          `Login was refused using authentication mechanism ${mechanism}. For details see the broker logfile.`,
          'connection',
        );
        this.#log?.info({ mechanism, err: err instanceof Error ? err.name : 'error' }, 'amqp authentication refused');
        this.#fail(refused, 0, method);
      },
    );
  }

  #onTuneOk(method: Extract<Amqp091Method, { name: 'connection.tune-ok' }>): void {
    this.#expectPhase('tune', method);
    const { channelMax, frameMax, heartbeat } = method.args;
    const serverFrameMax = this.#options.frameSizeMaxBytes ?? DEFAULT_FRAME_SIZE_MAX_BYTES;
    // frame_max 0 means "no limit": the server's own maximum applies.
    const negotiatedFrameMax = frameMax === 0 ? serverFrameMax : frameMax;
    if (negotiatedFrameMax < FRAME_MIN_SIZE) throw new Amqp091SessionError('NOT_ALLOWED', `frame_max=${frameMax} < ${FRAME_MIN_SIZE} min size`);
    if (negotiatedFrameMax > serverFrameMax) throw new Amqp091SessionError('NOT_ALLOWED', `frame_max=${frameMax} > ${serverFrameMax} max size`);
    const negotiatedChannelMax = channelMax === 0 ? this.#channelMax : channelMax;
    if (negotiatedChannelMax > this.#channelMax) {
      throw new Amqp091SessionError('NOT_ALLOWED', `channel_max=${channelMax} > ${this.#channelMax} max channels`);
    }
    this.#frameMax = negotiatedFrameMax;
    this.#channelMax = negotiatedChannelMax;
    this.#decoder.setFrameSizeMax(negotiatedFrameMax);
    this.#heartbeatSec = heartbeat;
    this.#phase = 'open-wait';
    this.#startHeartbeats();
  }

  #onOpen(method: Extract<Amqp091Method, { name: 'connection.open' }>): void {
    this.#expectPhase('open-wait', method);
    const user = this.#user!;
    // NOT_ALLOWED (530) when the vhost is missing or the user has no permissions on it.
    this.#connection = this.#broker.connect({ vhost: method.args.virtualHost, user: user.name });
    this.#phase = 'open';
    clearTimeout(this.#handshakeTimer);
    this.#send(0, 'connection.open-ok', { knownHosts: '' });
    this.#log?.info({ user: user.name, vhost: method.args.virtualHost, frameMax: this.#frameMax, channelMax: this.#channelMax, heartbeatSec: this.#heartbeatSec }, 'amqp connection opened');
    this.#broker.flow.on('blocked', this.#onBlocked);
    this.#broker.flow.on('unblocked', this.#onUnblocked);
    if (this.#broker.flow.blocked) this.#alarmRaised(`low on ${this.#broker.flow.alarms.join(' and ')}`);
  }

  // ---- heartbeats ----

  #startHeartbeats(): void {
    if (this.#heartbeatSec === 0) return;
    const intervalMs = (this.#heartbeatSec * 1000) / 2;
    this.#heartbeatTimer = setInterval(() => {
      const now = Date.now();
      if (now - this.#lastWriteMs >= intervalMs) this.#write(encodeHeartbeatFrame());
      // Spec 4.2.7: a peer silent for two heartbeat intervals is gone. Not while we stopped reading.
      if (!this.#publishBlocked && now - this.#lastReadMs > 2 * this.#heartbeatSec * 1000) {
        this.#log?.info({ heartbeatSec: this.#heartbeatSec }, 'amqp missed heartbeats from client: closing');
        this.#socket.destroy();
      }
    }, intervalMs);
    this.#heartbeatTimer.unref?.();
  }

  // ---- resource alarms ----

  #clientCan(capability: string): boolean {
    return fieldValueAsBoolean(this.#clientCapabilities.get(capability)) === true;
  }

  #alarmRaised(reason: string): void {
    if (this.#alarm !== undefined || this.#phase !== 'open') return;
    this.#alarm = reason;
    if (this.#clientCan('connection.blocked')) this.#send(0, 'connection.blocked', { reason });
  }

  #alarmCleared(): void {
    if (this.#alarm === undefined) return;
    this.#alarm = undefined;
    if (this.#phase === 'open' && this.#clientCan('connection.blocked')) this.#send(0, 'connection.unblocked', {});
    if (this.#publishBlocked) {
      this.#publishBlocked = false;
      this.#resumeReading();
    }
  }

  // ---- methods ----

  #onMethod(channelNumber: number, method: Amqp091Method): void {
    if (this.#phase === 'closing' || this.#phase === 'closed') {
      // After our connection.close only connection.close and close-ok matter (spec 2.2.4: the
      // closing peer discards other frames).
      if (method.name === 'connection.close-ok') this.#finish();
      else if (method.name === 'connection.close') {
        // Both sides closed at once: answer, and we are done too.
        this.#send(0, 'connection.close-ok', {});
        this.#finish();
      }
      return;
    }
    if (method.classId === CLASS_ID.connection) {
      this.#onConnectionMethod(method);
      return;
    }
    if (this.#phase !== 'open') throw new Amqp091SessionError('COMMAND_INVALID', `${method.name} before connection.open`);
    const ch = this.#channels.get(channelNumber);
    if (method.name === 'channel.open') {
      this.#openChannel(channelNumber, ch);
      return;
    }
    if (ch === undefined) throw new Amqp091SessionError('CHANNEL_ERROR', `expected 'channel.open' on channel ${channelNumber}`);
    if (ch.state === 'closing') {
      // We sent channel.close: drop everything but close and close-ok, as for connections.
      if (method.name === 'channel.close-ok' || method.name === 'channel.close') {
        if (method.name === 'channel.close') this.#send(channelNumber, 'channel.close-ok', {});
        this.#channels.delete(channelNumber);
      }
      return;
    }
    if (ch.content !== undefined) {
      throw new Amqp091SessionError('UNEXPECTED_FRAME', `expected content header for class 60, got ${method.name} on channel ${channelNumber}`);
    }
    if (method.name === 'basic.publish') {
      // RabbitMQ does not implement `immediate` (use a TTL of 0 instead).
      if (method.args.immediate) throw new Amqp091SessionError('NOT_IMPLEMENTED', 'immediate=true');
      ch.content = { publish: method.args, method: BASIC_PUBLISH, header: undefined, properties: undefined, received: 0, pieces: [] };
      // A publisher while an alarm is set: stop reading from this connection (RabbitMQ blocks it).
      if (this.#alarm !== undefined) this.#publishBlocked = true;
      return;
    }
    if (method.name === 'channel.close') {
      // Ordered after the channel's pending work, so that its replies precede close-ok.
      this.#enqueue(ch, method, () => {
        this.#releaseChannel(ch);
        this.#channels.delete(channelNumber);
        this.#send(channelNumber, 'channel.close-ok', {});
      });
      return;
    }
    if (method.name === 'channel.close-ok') return;
    this.#enqueue(ch, method, () => this.#channelMethod(ch, method));
  }

  #onConnectionMethod(method: Amqp091Method): void {
    switch (method.name) {
      case 'connection.start-ok':
        return this.#onStartOk(method);
      case 'connection.secure-ok':
        throw new Amqp091SessionError('COMMAND_INVALID', 'connection.secure-ok was not asked for');
      case 'connection.tune-ok':
        return this.#onTuneOk(method);
      case 'connection.open':
        return this.#onOpen(method);
      case 'connection.close':
        this.#releaseAll();
        this.#send(0, 'connection.close-ok', {});
        this.#phase = 'closed';
        this.#socket.end();
        this.#destroyLater();
        return;
      case 'connection.close-ok':
        return; // not closing: ignore, as RabbitMQ does
      case 'connection.blocked':
      case 'connection.unblocked':
        return;
      case 'connection.update-secret':
        throw new Amqp091SessionError('NOT_IMPLEMENTED', 'connection.update-secret');
      default:
        throw new Amqp091SessionError('COMMAND_INVALID', `${method.name} is not for a server`);
    }
  }

  #openChannel(channelNumber: number, existing: SessionChannel | undefined): void {
    if (existing !== undefined) {
      if (existing.state === 'closing') return; // RabbitMQ ignores it until close-ok
      throw new Amqp091SessionError('CHANNEL_ERROR', `second 'channel.open' seen on channel ${channelNumber}`);
    }
    if (channelNumber > this.#channelMax) {
      throw new Amqp091SessionError('NOT_ALLOWED', `channel number ${channelNumber} exceeds the negotiated channel_max (${this.#channelMax})`);
    }
    const connection = this.#connection!;
    let ch!: SessionChannel;
    const core = connection.openChannel({
      deliver: (d) => this.#sendDelivery(ch, d),
      consumerCancelled: (tag) => {
        if (ch.state === 'open' && this.#clientCan('consumer_cancel_notify')) this.#send(ch.number, 'basic.cancel', { consumerTag: tag, nowait: true });
      },
    });
    ch = {
      number: channelNumber,
      core,
      state: 'open',
      content: undefined,
      busy: false,
      backlog: [],
      confirming: false,
      publishSeq: 0,
      confirms: [],
      confirmFlushScheduled: false,
    };
    if (this.#writeBlocked) core.setPaused(true);
    this.#channels.set(channelNumber, ch);
    this.#send(channelNumber, 'channel.open-ok', {});
  }

  /** Runs `run` after the channel's earlier asynchronous methods, in arrival order. */
  #enqueue(ch: SessionChannel, method: MethodContext, run: () => void | Promise<void>): void {
    if (ch.busy) {
      ch.backlog.push({ method, run });
      this.#backlogItems++;
      return;
    }
    this.#runItem(ch, { method, run });
  }

  #runItem(ch: SessionChannel, item: WorkItem): void {
    let result: void | Promise<void>;
    try {
      result = item.run();
    } catch (err) {
      this.#fail(err, ch.number, item.method);
      return;
    }
    if (result instanceof Promise) {
      ch.busy = true;
      result.then(
        () => this.#afterItem(ch),
        (err: unknown) => {
          this.#fail(err, ch.number, item.method);
          this.#afterItem(ch);
        },
      );
    }
  }

  #afterItem(ch: SessionChannel): void {
    ch.busy = false;
    while (!ch.busy && ch.backlog.length > 0) {
      const item = ch.backlog.shift()!;
      this.#backlogItems--;
      if (ch.state !== 'open' || this.#phase !== 'open') continue;
      this.#runItem(ch, item);
    }
    this.#resumeReading();
  }

  #isCurrent(ch: SessionChannel): boolean {
    return ch.state === 'open' && this.#phase === 'open' && this.#channels.get(ch.number) === ch;
  }

  #channelMethod(ch: SessionChannel, method: Amqp091Method): void | Promise<void> {
    const core = ch.core;
    const n = ch.number;
    const reply = <N extends MethodName>(name: N, args: MethodInputArgs[N], nowait = false): void => {
      if (!nowait && this.#isCurrent(ch)) this.#send(n, name, args);
    };
    switch (method.name) {
      case 'channel.flow':
        // RabbitMQ: channel.flow active=false is not supported.
        if (!method.args.active) throw new Amqp091SessionError('NOT_IMPLEMENTED', 'active=false');
        return reply('channel.flow-ok', { active: true });
      case 'channel.flow-ok':
        return;
      case 'access.request':
        return reply('access.request-ok', { ticket: 1 });
      case 'exchange.declare': {
        const a = method.args;
        return core
          .declareExchange({ exchange: a.exchange, type: a.type, passive: a.passive, durable: a.durable, autoDelete: a.autoDelete, internal: a.internal, args: headers(a.arguments) })
          .then(() => reply('exchange.declare-ok', {}, a.nowait));
      }
      case 'exchange.delete':
        return core.deleteExchange(method.args.exchange, { ifUnused: method.args.ifUnused }).then(() => reply('exchange.delete-ok', {}, method.args.nowait));
      case 'exchange.bind': {
        const a = method.args;
        return core
          .bindExchange({ destination: a.destination, source: a.source, routingKey: a.routingKey, args: headers(a.arguments) })
          .then(() => reply('exchange.bind-ok', {}, a.nowait));
      }
      case 'exchange.unbind': {
        const a = method.args;
        return core
          .unbindExchange({ destination: a.destination, source: a.source, routingKey: a.routingKey, args: headers(a.arguments) })
          .then(() => reply('exchange.unbind-ok', {}, a.nowait));
      }
      case 'queue.declare': {
        const a = method.args;
        return core
          .declareQueue({ queue: a.queue, passive: a.passive, durable: a.durable, exclusive: a.exclusive, autoDelete: a.autoDelete, args: headers(a.arguments) })
          .then((r) => reply('queue.declare-ok', { queue: r.queue, messageCount: r.messageCount, consumerCount: r.consumerCount }, a.nowait));
      }
      case 'queue.bind': {
        const a = method.args;
        return core
          .bindQueue({ queue: a.queue, exchange: a.exchange, routingKey: a.routingKey, args: headers(a.arguments) })
          .then(() => reply('queue.bind-ok', {}, a.nowait));
      }
      case 'queue.unbind': {
        const a = method.args;
        return core.unbindQueue({ queue: a.queue, exchange: a.exchange, routingKey: a.routingKey, args: headers(a.arguments) }).then(() => reply('queue.unbind-ok', {}));
      }
      case 'queue.purge':
        return core.purgeQueue(method.args.queue).then((count) => reply('queue.purge-ok', { messageCount: count }, method.args.nowait));
      case 'queue.delete': {
        const a = method.args;
        return core.deleteQueue(a.queue, { ifUnused: a.ifUnused, ifEmpty: a.ifEmpty }).then((count) => reply('queue.delete-ok', { messageCount: count }, a.nowait));
      }
      case 'basic.qos':
        core.qos(method.args.prefetchCount, method.args.global, method.args.prefetchSize);
        return reply('basic.qos-ok', {});
      case 'basic.consume': {
        const a = method.args;
        // consume-ok must precede the first basic.deliver, and a queue delivers as soon as a
        // consumer is added: the channel is paused around the call and woken after consume-ok
        // (unless the socket is full, in which case 'drain' wakes it).
        core.setPaused(true);
        let tag: string;
        try {
          tag = core.consume({ queue: a.queue, consumerTag: a.consumerTag, noAck: a.noAck, exclusive: a.exclusive, args: headers(a.arguments) });
        } catch (err) {
          if (!this.#writeBlocked) core.setPaused(false);
          throw err;
        }
        reply('basic.consume-ok', { consumerTag: tag }, a.nowait);
        if (!this.#writeBlocked) core.setPaused(false);
        return;
      }
      case 'basic.cancel':
        core.cancel(method.args.consumerTag);
        return reply('basic.cancel-ok', { consumerTag: method.args.consumerTag }, method.args.nowait);
      case 'basic.get': {
        const d = core.get({ queue: method.args.queue, noAck: method.args.noAck });
        if (d === undefined) return reply('basic.get-empty', {});
        this.#write(
          encodeContentFrames(
            n,
            'basic.get-ok',
            { deliveryTag: d.deliveryTag, redelivered: d.redelivered, exchange: d.exchange, routingKey: d.routingKey, messageCount: d.messageCount },
            d.properties,
            d.body,
            this.#frameMax,
          ),
        );
        return;
      }
      case 'basic.ack':
        return core.ack(method.args.deliveryTag, method.args.multiple);
      case 'basic.nack':
        return core.nack(method.args.deliveryTag, method.args.multiple, method.args.requeue);
      case 'basic.reject':
        return core.reject(method.args.deliveryTag, method.args.requeue);
      case 'basic.recover':
        core.recover(method.args.requeue);
        return reply('basic.recover-ok', {});
      case 'basic.recover-async':
        return core.recover(method.args.requeue);
      case 'tx.select':
        if (ch.confirming) throw new Amqp091SessionError('PRECONDITION_FAILED', 'cannot switch from confirm to tx mode');
        core.txSelect();
        return reply('tx.select-ok', {});
      case 'tx.commit':
        return core.txCommit().then((result) => {
          if (!this.#isCurrent(ch)) return;
          for (const m of result.returned) this.#sendReturn(ch, m);
          reply('tx.commit-ok', {});
        });
      case 'tx.rollback':
        core.txRollback();
        return reply('tx.rollback-ok', {});
      case 'confirm.select':
        if (core.inTransaction) throw new Amqp091SessionError('PRECONDITION_FAILED', 'cannot switch from tx to confirm mode');
        ch.confirming = true;
        return reply('confirm.select-ok', {}, method.args.nowait);
      default:
        // Methods a server never receives (basic.deliver, queue.declare-ok, ...).
        throw new Amqp091SessionError('COMMAND_INVALID', `${method.name} is not for a server`);
    }
  }

  // ---- content ----

  #contentChannel(channelNumber: number): SessionChannel | undefined {
    const ch = this.#channels.get(channelNumber);
    if (ch === undefined) throw new Amqp091SessionError('CHANNEL_ERROR', `expected 'channel.open' on channel ${channelNumber}`);
    if (ch.state === 'closing') return undefined;
    return ch;
  }

  #onContentHeader(frame: ContentHeaderFrame): void {
    if (this.#phase !== 'open') {
      if (this.#phase === 'closing' || this.#phase === 'closed') return;
      throw new Amqp091SessionError('UNEXPECTED_FRAME', 'content header before connection.open');
    }
    const ch = this.#contentChannel(frame.channel);
    if (ch === undefined) return;
    const content = ch.content;
    if (content === undefined || content.header !== undefined) {
      throw new Amqp091SessionError('UNEXPECTED_FRAME', `expected method frame, got a content header on channel ${ch.number}`);
    }
    if (frame.classId !== CLASS_ID.basic) {
      throw new Amqp091SessionError('UNEXPECTED_FRAME', `content header for class ${frame.classId}, expected 60`);
    }
    // RabbitMQ checks the declared size against max_message_size before reading the body.
    const max = this.#broker.limits.messageSizeMaxBytes;
    if (max > 0 && frame.bodySize > max) {
      ch.content = undefined;
      throw new Amqp091SessionError('PRECONDITION_FAILED', `message size ${frame.bodySize} is larger than configured max size ${max}`);
    }
    content.header = frame;
    content.properties = Buffer.from(frame.propertiesBytes);
    if (frame.bodySize === 0) this.#contentComplete(ch, content);
  }

  #onContentBody(channelNumber: number, payload: Buffer): void {
    if (this.#phase !== 'open') {
      if (this.#phase === 'closing' || this.#phase === 'closed') return;
      throw new Amqp091SessionError('UNEXPECTED_FRAME', 'content body before connection.open');
    }
    const ch = this.#contentChannel(channelNumber);
    if (ch === undefined) return;
    const content = ch.content;
    if (content === undefined || content.header === undefined) {
      throw new Amqp091SessionError('UNEXPECTED_FRAME', `expected ${content === undefined ? 'method frame' : 'content header'}, got a content body on channel ${channelNumber}`);
    }
    content.received += payload.length;
    if (content.received > content.header.bodySize) {
      throw new Amqp091SessionError('FRAME_ERROR', `content body exceeds the declared size ${content.header.bodySize}`);
    }
    content.pieces.push(payload);
    if (content.received === content.header.bodySize) this.#contentComplete(ch, content);
  }

  #contentComplete(ch: SessionChannel, content: PendingContent): void {
    ch.content = undefined;
    const header = content.header!;
    // Copy: payloads are views into socket chunks that would otherwise stay alive with the message.
    const body = content.pieces.length === 1 ? Buffer.from(content.pieces[0]!) : Buffer.concat(content.pieces, content.received);
    const message: PublishedMessage = {
      exchange: content.publish.exchange,
      routingKey: content.publish.routingKey,
      properties: content.properties!,
      body,
      view: viewOfProperties(header.properties),
    };
    const mandatory = content.publish.mandatory;
    this.#enqueue(ch, content.method, () => this.#publish(ch, message, mandatory));
  }

  #publish(ch: SessionChannel, message: PublishedMessage, mandatory: boolean): void {
    // The confirm tag is taken before the publish can throw: a channel error ends the channel anyway.
    const outcome = ch.core.publish(message, { mandatory });
    if (!outcome.routed && mandatory) this.#sendReturn(ch, message);
    if (!ch.confirming) return;
    const confirm: Confirm = { tag: ++ch.publishSeq, ok: undefined, publishedAtMs: performance.now() };
    ch.confirms.push(confirm);
    const c = outcome.confirmation;
    if (typeof c === 'boolean') {
      confirm.ok = c;
      this.#scheduleConfirmFlush(ch);
    } else {
      c.then(
        (ok) => {
          confirm.ok = ok;
          this.#scheduleConfirmFlush(ch);
        },
        () => {
          confirm.ok = false;
          this.#scheduleConfirmFlush(ch);
        },
      );
    }
  }

  #scheduleConfirmFlush(ch: SessionChannel): void {
    if (ch.confirmFlushScheduled) return;
    ch.confirmFlushScheduled = true;
    setImmediate(() => {
      ch.confirmFlushScheduled = false;
      this.#flushConfirms(ch);
    });
  }

  /** Sends settled confirms in tag order, a run of equal outcomes as one `multiple` ack or nack. */
  #flushConfirms(ch: SessionChannel): void {
    if (!this.#isCurrent(ch)) return;
    const confirms = ch.confirms;
    let i = 0;
    while (i < confirms.length && confirms[i]!.ok !== undefined) {
      const ok = confirms[i]!.ok;
      let j = i;
      while (j + 1 < confirms.length && confirms[j + 1]!.ok === ok) j++;
      const args = { deliveryTag: confirms[j]!.tag, multiple: j > i };
      if (ok === true) this.#send(ch.number, 'basic.ack', args);
      else this.#send(ch.number, 'basic.nack', { ...args, requeue: false });
      for (let k = i; k <= j; k++) this.#broker.confirmLatency.observeSince(confirms[k]!.publishedAtMs);
      i = j + 1;
    }
    if (i > 0) confirms.splice(0, i);
  }

  #sendReturn(ch: SessionChannel, m: PublishedMessage): void {
    this.#write(
      encodeContentFrames(ch.number, 'basic.return', { replyCode: 312, replyText: 'NO_ROUTE', exchange: m.exchange, routingKey: m.routingKey }, m.properties, m.body, this.#frameMax),
    );
  }

  #sendDelivery(ch: SessionChannel, d: Delivery): void {
    if (ch.state !== 'open') return;
    this.#write(
      encodeContentFrames(
        ch.number,
        'basic.deliver',
        { consumerTag: d.consumerTag ?? '', deliveryTag: d.deliveryTag, redelivered: d.redelivered, exchange: d.exchange, routingKey: d.routingKey },
        d.properties,
        d.body,
        this.#frameMax,
      ),
    );
  }

  // ---- errors and closing ----

  /** The one way an error leaves the session: a channel.close or a connection.close (errors.ts). */
  #fail(err: unknown, channelNumber: number, method: MethodContext | undefined): void {
    const reason = closeReasonFor(err, method ?? NO_METHOD);
    // Reply texts may name queues and exchanges: logs get the code and ids only.
    if (reason.internal) this.#log?.error({ err }, 'amqp session internal error');
    else this.#log?.debug({ scope: reason.scope, replyCode: reason.replyCode, classId: reason.classId, methodId: reason.methodId }, 'amqp close on error');
    if (this.#phase === 'closing' || this.#phase === 'closed') return;
    const ch = this.#channels.get(channelNumber);
    if (reason.scope === 'channel' && ch !== undefined && this.#phase === 'open') {
      if (ch.state !== 'open') return;
      this.#send(channelNumber, 'channel.close', { replyCode: reason.replyCode, replyText: reason.replyText, classId: reason.classId, methodId: reason.methodId });
      ch.state = 'closing';
      this.#releaseChannel(ch);
      return;
    }
    this.#closeConnection(reason);
  }

  #releaseChannel(ch: SessionChannel): void {
    ch.state = ch.state === 'open' ? 'closing' : ch.state;
    ch.content = undefined;
    this.#backlogItems -= ch.backlog.length;
    ch.backlog.length = 0;
    ch.confirms.length = 0;
    ch.core.close();
  }

  #releaseAll(): void {
    for (const ch of this.#channels.values()) this.#releaseChannel(ch);
    this.#channels.clear();
  }

  #closeConnection(reason: CloseReason): void {
    if (this.#phase === 'closing' || this.#phase === 'closed') return;
    this.#phase = 'closing';
    this.#send(0, 'connection.close', { replyCode: reason.replyCode, replyText: reason.replyText, classId: reason.classId, methodId: reason.methodId });
    this.#releaseAll();
    this.#closeTimer = setTimeout(() => this.#socket.destroy(), this.#options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
    this.#closeTimer.unref?.();
  }

  /** The peer answered our connection.close. */
  #finish(): void {
    this.#phase = 'closed';
    this.#socket.end();
    this.#destroyLater();
  }

  #destroyLater(): void {
    clearTimeout(this.#closeTimer);
    this.#closeTimer = setTimeout(() => this.#socket.destroy(), this.#options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
    this.#closeTimer.unref?.();
  }

  #cleanup(): void {
    if (this.#cleanedUp) return;
    this.#cleanedUp = true;
    this.#phase = 'closed';
    clearTimeout(this.#handshakeTimer);
    clearTimeout(this.#closeTimer);
    clearInterval(this.#heartbeatTimer);
    this.#broker.flow.off('blocked', this.#onBlocked);
    this.#broker.flow.off('unblocked', this.#onUnblocked);
    for (const ch of this.#channels.values()) {
      if (!ch.core.closed) ch.core.close();
    }
    this.#channels.clear();
    const connection = this.#connection;
    this.#connection = undefined;
    const done = connection === undefined ? Promise.resolve() : connection.close();
    done.then(
      () => this.#resolveClosed(),
      (err: unknown) => {
        this.#log?.error({ err }, 'amqp connection cleanup failed');
        this.#resolveClosed();
      },
    );
  }
}

/** Starts an AMQP 0-9-1 session on an accepted (TLS) socket. */
export function createAmqp091Session(socket: Socket, options: Amqp091SessionOptions): Amqp091Session {
  return new Amqp091Session(socket, options);
}

function headers(table: FieldTable): HeaderTable | undefined {
  return table.size === 0 ? undefined : fieldTableToHeaders(table);
}

/** PLAIN (RFC 4616: authzid NUL authcid NUL passwd) and AMQPLAIN (a table body with LOGIN, PASSWORD). */
function parseCredentials(mechanism: string, response: Buffer): { username: string; password: string } {
  if (mechanism === 'PLAIN') {
    const first = response.indexOf(0);
    const second = first < 0 ? -1 : response.indexOf(0, first + 1);
    if (second < 0) throw new Amqp091SessionError('ACCESS_REFUSED', 'malformed PLAIN response', 'connection');
    return { username: response.subarray(first + 1, second).toString('utf8'), password: response.subarray(second + 1).toString('utf8') };
  }
  if (mechanism === 'AMQPLAIN') {
    const r = new ByteReader(response, 0, response.length);
    const fields = new Map<string, FieldValue>();
    while (r.remaining > 0) {
      const key = r.shortstr();
      fields.set(key, readFieldValue(r));
    }
    const username = fieldValueAsString(fields.get('LOGIN'));
    const password = fieldValueAsString(fields.get('PASSWORD'));
    if (username === undefined || password === undefined) throw new Amqp091SessionError('ACCESS_REFUSED', 'malformed AMQPLAIN response', 'connection');
    return { username, password };
  }
  throw new Amqp091SessionError('COMMAND_INVALID', `unknown authentication mechanism '${mechanism.slice(0, 32)}'`);
}

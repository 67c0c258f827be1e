// One STOMP 1.0/1.1/1.2 connection to the ActiveMQ engine, on any byte stream (a TLS socket, or a
// secure WebSocket through ws's createWebSocketStream). It owns the frame order (CONNECT first,
// version negotiation, heart-beats both ways, the connect timeout), subscriptions and the mapping of
// ACK/NACK ids to engine delivery tokens, queue browsers (`browser:true` ... `browser:end`),
// transactions, receipts (a SEND's only once the engine says the message is safe), backpressure (a
// full stream stops the subscriptions and browsers), and closing in both directions. Frame syntax and limits are the codec's (src/codec/stomp); queues, topics, selectors,
// redelivery and the store are the engine's; turning an error into an ERROR frame is errors.ts's;
// header <-> message mapping is message-mapping.ts's.

import type { Duplex } from 'node:stream';
import {
  encodeStompHeartbeat,
  type StompFrameInput,
  StompFrameWriter,
  isStompHeaderEncodable,
  type StompFrame,
  StompFrameDecoder,
  type StompServerCommand,
  type StompVersion,
} from '../../codec/stomp/index.ts';
import {
  AmqError,
  type AckMode,
  type AmqBrowsedMessage,
  type AmqConnection,
  type AmqDelivery,
  type AmqEngine,
  type Destination,
  type Subscription,
} from '../../core/activemq/api.ts';
import { formatStompDestination, parseStompDestination } from '../../core/activemq/destinations.ts';
import type { Logger } from '../../util/logger.ts';
import { errorReportFor, StompSessionError } from './errors.ts';
import { deliveryHeaders, sendFrameToMessage } from './message-mapping.ts';

/** Options of {@link createStompSession}; every limit has a default (README.md lists them). */
export interface StompSessionOptions {
  readonly engine: AmqEngine;
  /** The peer's address, for the engine's audit records and the logs. */
  readonly remoteAddress?: string;
  readonly logger?: Logger;
  /** A CONNECT (or STOMP) frame must arrive within this (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** Largest frame, command to NUL (default 10 MiB + 1 MiB of headers). */
  readonly frameSizeMaxBytes?: number;
  /** Largest frame before the peer has logged in, the CONNECT included (default 64 KiB). */
  readonly connectFrameSizeMaxBytes?: number;
  /** Largest body (default 10 MiB). */
  readonly bodySizeMaxBytes?: number;
  /** Longest header line (default 10 KiB, ActiveMQ's maxHeaderLength). */
  readonly headerSizeMaxBytes?: number;
  /** Most header lines in a frame (default 1000, ActiveMQ's maxHeaders). */
  readonly headerCountMax?: number;
  /** Subscriptions per connection (default 1000). */
  readonly subscriptionsMax?: number;
  /** Open transactions per connection (default 100). */
  readonly transactionsMax?: number;
  /** Temporary destinations a connection may create by naming them (default 100). */
  readonly temporaryDestinationsMax?: number;
  /** Prefetch when SUBSCRIBE has no `activemq.prefetchSize` (default as ActiveMQ: queue 1000, durable 100, topic 32767). */
  readonly prefetchDefault?: number;
  /** Largest `activemq.prefetchSize` accepted (default 65535). */
  readonly prefetchMax?: number;
  /** SENDs awaiting the engine before reading pauses (default 256). */
  readonly sendsInFlightMax?: number;
  /** The shortest heart-beat interval, either way, the server offers (default 1000 ms). */
  readonly heartbeatMinMs?: number;
  /** A peer silent for its heart-beat interval times this is closed (default 1.5). */
  readonly heartbeatGraceFactor?: number;
  /**
   * Bytes written and not yet taken by the peer, past which every subscription of the connection
   * stops until the stream drains (default 256 KiB): a client reading slower than deliveries come
   * leaves them in their queue rather than in memory here.
   */
  readonly writeBufferMaxBytes?: number;
  /** How long close() waits for the peer to close its side before cutting it (default 3 s). */
  readonly closeTimeoutMs?: number;
  /** The CONNECTED frame's `server` header (default `SealMQ/0.1.0`). */
  readonly server?: string;
}

/** A running STOMP session. */
export interface StompSession {
  /** The broker is shutting down: an ERROR frame saying so, then the stream ends; resolves when gone. */
  close(): Promise<void>;
}

/** The versions this server speaks, best last. */
const SUPPORTED_VERSIONS: readonly StompVersion[] = ['1.0', '1.1', '1.2'];
const MiB = 1024 * 1024;
const DEFAULTS = {
  connectTimeoutMs: 10_000,
  frameSizeMaxBytes: 11 * MiB,
  connectFrameSizeMaxBytes: 64 * 1024,
  bodySizeMaxBytes: 10 * MiB,
  headerSizeMaxBytes: 10 * 1024,
  headerCountMax: 1000,
  subscriptionsMax: 1000,
  transactionsMax: 100,
  temporaryDestinationsMax: 100,
  prefetchDefault: 1000,
  prefetchMax: 65_535,
  sendsInFlightMax: 256,
  heartbeatMinMs: 1000,
  heartbeatGraceFactor: 1.5,
  closeTimeoutMs: 3000,
  writeBufferMaxBytes: 256 * 1024,
  server: 'SealMQ/0.1.0',
} as const;
const DURABLE_PREFETCH = 100;
const TOPIC_PREFETCH = 32_767;

type Phase = 'connecting' | 'connected' | 'closing' | 'closed';

interface SubscriptionState {
  readonly id: string;
  /** The `subscription` header of MESSAGE frames: the SUBSCRIBE's id, none for a 1.0 one without. */
  readonly header: string | undefined;
  readonly ackMode: AckMode;
  engine: Subscription | undefined;
  /** Deliveries awaiting ACK/NACK: token -> message-id, in delivery (token) order. */
  readonly unacked: Map<number, string>;
  /** For 1.0/1.1 ACK by message-id: message-id -> latest token. */
  readonly byMessageId: Map<string, number>;
  /** Deliveries that came while SUBSCRIBE was in progress: written after its RECEIPT, as ActiveMQ orders them. */
  early: AmqDelivery[] | undefined;
  /** A queue browser (`browser:true`): its snapshot and how far it is written; undefined otherwise. */
  readonly browse: BrowseCursor | undefined;
}

/** A subscription as SUBSCRIBE registers it: a consumer collects early deliveries, a browser does not. */
function newSubscriptionState(id: string, header: string | undefined, ackMode: AckMode, browse: BrowseCursor | undefined): SubscriptionState {
  return { id, header, ackMode, engine: undefined, unacked: new Map(), byMessageId: new Map(), early: browse === undefined ? [] : undefined, browse };
}

/** Where a queue browser stands: the engine's snapshot until it is all written and `browser:end` sent. */
interface BrowseCursor {
  readonly destination: Destination;
  /** Undefined before the engine answered and once `browser:end` is written (the snapshot is let go). */
  messages: readonly AmqBrowsedMessage[] | undefined;
  next: number;
  ended: boolean;
}

/** 1.2 `ack` ids of browsed messages: ACK/NACK of them are accepted and do nothing (nothing was taken). */
const BROWSE_ACK_PREFIX = 'browse-';

/** Starts STOMP on a stream; the stream is the session's from now on. */
export function createStompSession(stream: Duplex, options: StompSessionOptions): StompSession {
  return new StompSessionImpl(stream, options);
}

class StompSessionImpl implements StompSession {
  readonly #stream: Duplex;
  readonly #options: StompSessionOptions;
  readonly #engine: AmqEngine;
  #log: Logger | undefined;
  readonly #decoder: StompFrameDecoder;
  #phase: Phase = 'connecting';
  #version: StompVersion = '1.2';
  #connection: AmqConnection | undefined;
  readonly #subscriptions = new Map<string, SubscriptionState>();
  /** Every delivery awaiting ACK/NACK on this connection: token -> its subscription. */
  readonly #unacked = new Map<number, SubscriptionState>();
  readonly #transactions = new Set<string>();
  /** `/temp-queue/x` as this client named it -> the engine's temporary destination, and back. */
  readonly #temps = new Map<string, Destination>();
  readonly #tempAliases = new Map<string, string>();
  /** The last destination written in a MESSAGE and its text: a subscription mostly repeats one. */
  #lastDestination: Destination | undefined;
  #lastDestinationText = '';
  readonly #formatDestinationFn = (d: Destination): string => this.#formatDestination(d);
  /** Resolves once every SEND so far is done and its receipt written; never rejects. */
  #sendChain: Promise<void> = Promise.resolve();
  #sendsInFlight = 0;
  /** Browsed messages written with an `ack` header so far (their ids are `browse-1` ... `browse-<n>`). */
  #browseAcks = 0;
  /** A frame handler is running: further frames wait in the decoder (and the stream is paused). */
  #waiting = false;
  #pumping = false;
  /** Frames written in this turn of the event loop, sent as one buffer at its end (#flush). */
  readonly #out = new StompFrameWriter();
  readonly #writeBufferMaxBytes: number;
  #flushQueued = false;
  /** Written bytes passed writeBufferMaxBytes: subscriptions are stopped (credit 0) until the stream drains. */
  #writeBlocked = false;
  #lastReadMs = Date.now();
  #lastWriteMs = Date.now();
  #connectTimer: NodeJS.Timeout | undefined;
  #sendTimer: NodeJS.Timeout | undefined;
  #readTimer: NodeJS.Timeout | undefined;
  #closeTimer: NodeJS.Timeout | undefined;
  #closed: Promise<void>;
  #resolveClosed!: () => void;
  #cleanedUp = false;

  constructor(stream: Duplex, options: StompSessionOptions) {
    this.#stream = stream;
    this.#options = options;
    this.#engine = options.engine;
    // Never below the stream's high-water mark: a write that blocks is then one that waits for 'drain'.
    this.#writeBufferMaxBytes = Math.max(options.writeBufferMaxBytes ?? DEFAULTS.writeBufferMaxBytes, stream.writableHighWaterMark);
    this.#log = options.logger?.child({ protocol: 'stomp', remoteAddress: options.remoteAddress });
    // Until the peer has logged in its frames are kept small: an unauthenticated connection holds
    // at most connectFrameSizeMaxBytes here (the full limits apply from CONNECTED on).
    const frameSizeMaxBytes = options.frameSizeMaxBytes ?? DEFAULTS.frameSizeMaxBytes;
    this.#decoder = new StompFrameDecoder({
      peer: 'client',
      frameSizeMaxBytes: Math.min(frameSizeMaxBytes, options.connectFrameSizeMaxBytes ?? DEFAULTS.connectFrameSizeMaxBytes),
      bodySizeMaxBytes: options.bodySizeMaxBytes ?? DEFAULTS.bodySizeMaxBytes,
      headerSizeMaxBytes: options.headerSizeMaxBytes ?? DEFAULTS.headerSizeMaxBytes,
      headerLineCountMax: options.headerCountMax ?? DEFAULTS.headerCountMax,
    });
    this.#closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    stream.on('data', (chunk: Buffer) => this.#onData(chunk));
    stream.on('end', () => {
      // The peer closed its side: nothing more will come, so nothing more is owed to it.
      this.#log?.debug('peer ended the stream');
      this.#shutdown();
    });
    stream.on('error', (err: NodeJS.ErrnoException) => {
      this.#log?.debug({ code: err.code }, 'stream error');
      this.#cleanup();
    });
    stream.on('close', () => this.#cleanup());
    const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
    this.#connectTimer = setTimeout(() => {
      if (this.#phase === 'connecting') this.#fail(new StompSessionError('CONNECT_TIMEOUT', 'No CONNECT frame received in time'), undefined);
    }, connectTimeoutMs);
  }

  close(): Promise<void> {
    if (this.#phase === 'connecting' || this.#phase === 'connected') {
      this.#fail(new StompSessionError('SHUTDOWN', 'Broker is shutting down'), undefined);
    }
    return this.#closed;
  }

  // ---- reading -------------------------------------------------------------------------------

  #onData(chunk: Buffer): void {
    if (this.#phase === 'closing' || this.#phase === 'closed') return;
    this.#lastReadMs = Date.now();
    this.#decoder.push(chunk);
    this.#pump();
  }

  /** Handles buffered frames in order; stops while a handler runs and picks up when it is done. */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (!this.#waiting && (this.#phase === 'connecting' || this.#phase === 'connected')) {
        let decoded;
        try {
          decoded = this.#decoder.next();
        } catch (err) {
          this.#fail(err, undefined);
          return;
        }
        if (decoded === undefined) break;
        if (decoded.type === 'heartbeat') continue;
        const frame = decoded;
        let pending: Promise<void> | undefined;
        try {
          pending = this.#handle(frame);
        } catch (err) {
          this.#fail(err, frame.headers.get('receipt'));
          return;
        }
        if (pending !== undefined) {
          this.#waiting = true;
          pending.then(
            () => {
              this.#waiting = false;
              this.#pump();
            },
            (err: unknown) => this.#fail(err, frame.headers.get('receipt')),
          );
        }
      }
    } finally {
      this.#pumping = false;
    }
    this.#updateFlow();
  }

  /** Reading pauses while frames wait for a handler or too many SENDs wait for the engine. */
  #updateFlow(): void {
    const stop = this.#waiting || this.#sendsInFlight >= (this.#options.sendsInFlightMax ?? DEFAULTS.sendsInFlightMax);
    if (stop && !this.#stream.isPaused()) this.#stream.pause();
    else if (!stop && this.#stream.isPaused() && (this.#phase === 'connecting' || this.#phase === 'connected')) {
      this.#lastReadMs = Date.now();
      this.#stream.resume();
    }
  }

  /** Runs one frame; returns a promise when later frames must wait for it. */
  #handle(frame: StompFrame): Promise<void> | undefined {
    if (this.#phase === 'connecting') {
      if (frame.command !== 'CONNECT' && frame.command !== 'STOMP') {
        throw new StompSessionError('NOT_CONNECTED', `${frame.command} before CONNECT`);
      }
      return this.#onConnect(frame);
    }
    if (frame.command === 'SEND') return this.#onSend(frame);
    // Every other frame comes after the SENDs before it have settled: a COMMIT covers them, a
    // DISCONNECT's receipt promises them, and receipts go out in the order frames came in.
    if (this.#sendsInFlight > 0) return this.#sendChain.then(() => this.#dispatch(frame));
    return this.#dispatch(frame);
  }

  #dispatch(frame: StompFrame): Promise<void> | undefined {
    if (this.#phase !== 'connected') return undefined;
    switch (frame.command) {
      case 'CONNECT':
      case 'STOMP':
        throw new StompSessionError('ALREADY_CONNECTED', 'Already connected');
      case 'SUBSCRIBE':
        return this.#onSubscribe(frame);
      case 'UNSUBSCRIBE':
        return this.#onUnsubscribe(frame);
      case 'ACK':
        this.#onAck(frame, false);
        break;
      case 'NACK':
        this.#onAck(frame, true);
        break;
      case 'BEGIN':
        this.#onBegin(frame);
        break;
      case 'COMMIT':
        return this.#onCommit(frame);
      case 'ABORT':
        this.#onAbort(frame);
        break;
      case 'DISCONNECT':
        this.#onDisconnect(frame);
        return undefined;
      default:
        // The decoder accepts client commands only; SEND is handled before dispatch.
        throw new StompSessionError('NOT_CONNECTED', 'unexpected frame');
    }
    this.#receipt(frame);
    return undefined;
  }

  // ---- CONNECT -------------------------------------------------------------------------------

  async #onConnect(frame: StompFrame): Promise<void> {
    const h = frame.headers;
    const version = negotiateVersion(h.get('accept-version'));
    if (version === undefined) throw new StompSessionError('UNSUPPORTED_VERSION', 'Supported protocol versions are 1.0 1.1 1.2');
    // The frames after CONNECT are parsed with the negotiated version's escaping and EOL rules.
    this.#version = version;
    this.#decoder.setVersion(version);
    const [clientSendMs, clientWantMs] = version === '1.0' ? [0, 0] : parseHeartbeat(h.get('heart-beat'));
    let connection: AmqConnection;
    try {
      connection = await this.#engine.connect({
        username: h.get('login') ?? '',
        password: h.get('passcode') ?? '',
        clientId: h.get('client-id'),
        client: { sourceIPAddress: this.#options.remoteAddress, userAgent: `stomp/${version}` },
      });
    } catch (err) {
      // No detail which part was wrong, and never the login or passcode themselves.
      if (err instanceof AmqError && err.code === 'not-authorized') {
        throw new StompSessionError('AUTHENTICATION_FAILED', 'Authentication failed');
      }
      throw err;
    }
    if (this.#phase !== 'connecting') {
      await connection.close().catch(() => undefined);
      return;
    }
    this.#connection = connection;
    this.#decoder.setLimits({ frameSizeMaxBytes: this.#options.frameSizeMaxBytes ?? DEFAULTS.frameSizeMaxBytes });
    connection.onForcedClose((reason) => {
      this.#log?.info({ reason }, 'connection closed by the broker');
      this.#fail(new StompSessionError('SHUTDOWN', sanitizeHeaderText(reason) || 'Connection closed by the broker'), undefined);
    });
    clearTimeout(this.#connectTimer);
    this.#phase = 'connected';
    this.#log = this.#log?.child({ connectionId: connection.id });

    // STOMP 1.1 "Heart-beating": each side sends at most as often as the other wants and can.
    const minMs = this.#options.heartbeatMinMs ?? DEFAULTS.heartbeatMinMs;
    // As ActiveMQ: version and heart-beat even for 1.0 (whose clients ignore them), and a receipt
    // asked for on CONNECT answered in CONNECTED.
    const heartbeat = version === '1.0' ? '0,0' : `${minMs},${minMs}`;
    const headers: Array<[string, string]> = [
      ['version', version],
      ['session', connection.id],
      ['server', this.#options.server ?? DEFAULTS.server],
      ['heart-beat', heartbeat],
    ];
    const receipt = h.get('receipt');
    if (receipt !== undefined) headers.push(['receipt-id', receipt]);
    this.#writeFrame('CONNECTED', headers);
    this.#startHeartbeats(clientWantMs === 0 ? 0 : Math.max(minMs, clientWantMs), clientSendMs === 0 ? 0 : Math.max(minMs, clientSendMs));
    this.#log?.debug({ version }, 'STOMP connected');
  }

  #startHeartbeats(sendEveryMs: number, expectEveryMs: number): void {
    if (sendEveryMs > 0) {
      const half = Math.max(1, Math.floor(sendEveryMs / 2));
      this.#sendTimer = setInterval(() => {
        if (Date.now() - this.#lastWriteMs >= half) this.#writeBytes(encodeStompHeartbeat());
      }, half);
    }
    if (expectEveryMs > 0) {
      const graceMs = expectEveryMs * (this.#options.heartbeatGraceFactor ?? DEFAULTS.heartbeatGraceFactor);
      this.#readTimer = setInterval(() => {
        // While reading is paused on our side, the peer's silence is ours.
        if (this.#stream.isPaused()) return;
        if (Date.now() - this.#lastReadMs > graceMs) {
          this.#log?.debug({ expectEveryMs }, 'heart-beat timeout');
          this.#shutdown();
        }
      }, Math.max(1, Math.floor(expectEveryMs / 2)));
    }
  }

  // ---- SEND ----------------------------------------------------------------------------------

  #onSend(frame: StompFrame): Promise<void> | undefined {
    const connection = this.#requireConnection();
    const { destination, message, transaction } = sendFrameToMessage(frame, (text) => this.#resolveDestination(text));
    const sent = connection.send(destination, message, transaction === undefined ? undefined : { transaction });
    const receipt = frame.headers.get('receipt');
    const before = this.#sendChain;
    this.#sendsInFlight++;
    this.#sendChain = sent.then(
      () =>
        before.then(() => {
          this.#sendsInFlight--;
          if (receipt !== undefined) this.#writeFrame('RECEIPT', [['receipt-id', receipt]]);
          if (!this.#waiting) this.#updateFlow();
        }),
      (err: unknown) => {
        this.#sendsInFlight--;
        this.#fail(err, receipt);
      },
    );
    const max = this.#options.sendsInFlightMax ?? DEFAULTS.sendsInFlightMax;
    // Enough SENDs outstanding: the next frame waits until they are all done.
    return this.#sendsInFlight >= max ? this.#sendChain : undefined;
  }

  // ---- SUBSCRIBE / UNSUBSCRIBE ---------------------------------------------------------------

  async #onSubscribe(frame: StompFrame): Promise<void> {
    const connection = this.#requireConnection();
    const h = frame.headers;
    const destinationText = requireHeader(frame, 'destination');
    const idHeader = h.get('id');
    // STOMP 1.1 and 1.2: "id" is REQUIRED; a 1.0 client may leave it out (one per destination).
    if (idHeader === undefined && this.#version !== '1.0') throw new StompSessionError('MISSING_HEADER', 'SUBSCRIBE needs an id header');
    const id = idHeader ?? destinationText;
    if (this.#subscriptions.has(id)) throw new StompSessionError('DUPLICATE_SUBSCRIPTION', 'Duplicate subscription id');
    if (this.#subscriptions.size >= (this.#options.subscriptionsMax ?? DEFAULTS.subscriptionsMax)) {
      throw new StompSessionError('SUBSCRIPTIONS_LIMIT', 'Too many subscriptions');
    }
    const ackMode = parseAckMode(h.get('ack'));
    const destination = this.#resolveDestination(destinationText);
    const durableName = h.get('activemq.subscriptionName') ?? h.get('durable-subscription-name');
    const isTopic = destination.kind === 'topic' || destination.kind === 'temp-topic';
    if (durableName !== undefined && !isTopic) {
      throw new StompSessionError('BAD_HEADER_VALUE', 'Invalid Subscription: cannot durably subscribe to a Queue destination');
    }
    // ActiveMQ: a subscription name means a durable topic subscriber, which needs a client id.
    if (durableName !== undefined && connection.clientId === undefined) {
      throw new StompSessionError('CLIENT_ID_REQUIRED', 'Durable subscription needs client-id');
    }
    // ActiveMQ's queue browser extension (https://activemq.apache.org/stomp): `browser:true`.
    if (h.get('browser') === 'true') return this.#onBrowse(frame, connection, id, idHeader, ackMode, destination);
    // ActiveMQ's STOMP prefetch defaults: 1000 on a queue, 100 for a durable subscriber, 32767 on a topic.
    const prefetchDefault =
      this.#options.prefetchDefault ?? (!isTopic ? DEFAULTS.prefetchDefault : durableName !== undefined ? DURABLE_PREFETCH : TOPIC_PREFETCH);
    const prefetch = parsePrefetch(h.get('activemq.prefetchSize'), prefetchDefault, this.#options.prefetchMax ?? DEFAULTS.prefetchMax);
    const state = newSubscriptionState(id, idHeader, ackMode, undefined);
    // Registered before the engine is asked: it may deliver before subscribe() resolves.
    this.#subscriptions.set(id, state);
    let subscription: Subscription;
    try {
      subscription = await connection.subscribe(
        {
          id,
          destination,
          ackMode,
          selector: h.get('selector'),
          prefetch,
          durableName,
          noLocal: h.get('activemq.noLocal')?.toLowerCase() === 'true',
        },
        (delivery) => this.#deliver(state, delivery),
      );
    } catch (err) {
      if (this.#subscriptions.get(id) === state) this.#forgetSubscription(state);
      throw err;
    }
    if (this.#subscriptions.get(id) !== state) {
      // Unsubscribed or closed while the engine was busy.
      await subscription.close().catch(() => undefined);
      return;
    }
    state.engine = subscription;
    if (this.#writeBlocked) subscription.setCredit(0);
    this.#receipt(frame);
    const early = state.early ?? [];
    state.early = undefined;
    for (const delivery of early) this.#deliver(state, delivery);
  }

  /**
   * A queue browser, as ActiveMQ's StompQueueBrowserSubscription: the RECEIPT, then the queue's
   * current messages as MESSAGE frames (selector applied; nothing is removed or counted), then one
   * MESSAGE with `browser:end`, `message-id:0` and no body; nothing more comes on the subscription.
   * The frames follow the stream's pace: a full stream stops the browse until it drains.
   */
  async #onBrowse(frame: StompFrame, connection: AmqConnection, id: string, idHeader: string | undefined, ackMode: AckMode, destination: Destination): Promise<void> {
    // ActiveMQ: "Queue Browser feature only valid for Stomp v1.1+ clients!"
    if (this.#version === '1.0') throw new StompSessionError('BAD_HEADER_VALUE', 'Queue Browser feature only valid for Stomp v1.1+ clients');
    const cursor: BrowseCursor = { destination, messages: undefined, next: 0, ended: false };
    const state = newSubscriptionState(id, idHeader, ackMode, cursor);
    // Registered before the engine is asked, so that the id is taken while it works.
    this.#subscriptions.set(id, state);
    let messages: readonly AmqBrowsedMessage[];
    try {
      messages = await connection.browse(destination, { selector: frame.headers.get('selector') });
    } catch (err) {
      if (this.#subscriptions.get(id) === state) this.#forgetSubscription(state);
      throw err;
    }
    // Unsubscribed or closed while the engine was busy: nothing to write.
    if (this.#subscriptions.get(id) !== state) return;
    cursor.messages = messages;
    this.#receipt(frame);
    this.#pumpBrowse(state);
  }

  /** Writes browsed messages until the stream is full or the snapshot is done, then `browser:end`. */
  #pumpBrowse(state: SubscriptionState): void {
    const cursor = state.browse;
    if (cursor === undefined || cursor.ended || cursor.messages === undefined) return;
    const messages = cursor.messages;
    while (cursor.next < messages.length) {
      if (this.#writeBlocked || this.#phase !== 'connected' || this.#subscriptions.get(state.id) !== state) return;
      this.#writeBrowsed(state, messages[cursor.next++]!);
    }
    if (this.#phase !== 'connected' || this.#subscriptions.get(state.id) !== state) return;
    cursor.ended = true;
    cursor.messages = undefined;
    const headers: Array<[string, string]> = [];
    if (state.header !== undefined) headers.push(['subscription', state.header]);
    headers.push(['browser', 'end'], ['destination', this.#formatDestination(cursor.destination)], ['message-id', '0']);
    this.#writeFrame('MESSAGE', headers, undefined, false);
  }

  #writeBrowsed(state: SubscriptionState, browsed: AmqBrowsedMessage): void {
    const connection = this.#connection!;
    const message = browsed.message;
    // A client in client ack mode may ACK what it browsed: 1.2 needs an id for that.
    const ackId = state.ackMode !== 'auto' && this.#version === '1.2' ? `${BROWSE_ACK_PREFIX}${++this.#browseAcks}` : undefined;
    const headers = deliveryHeaders(browsed, {
      version: this.#version,
      subscription: state.header,
      ackId,
      messageId: message.messageId ?? `ID:${connection.id}:browse:${this.#browseAcks}`,
      formatDestination: this.#formatDestinationFn,
    });
    const contentLength = message.bodyType === 'bytes' || message.body.includes(0);
    this.#write({ command: 'MESSAGE', headers, body: message.body }, contentLength);
  }

  async #onUnsubscribe(frame: StompFrame): Promise<void> {
    const connection = this.#requireConnection();
    const h = frame.headers;
    const durableName = h.get('activemq.subscriptionName') ?? h.get('durable-subscription-name');
    // 1.0 may name the subscription by its destination instead of its id.
    const id = h.get('id') ?? (this.#version === '1.0' ? h.get('destination') : undefined);
    if (id === undefined && durableName === undefined) throw new StompSessionError('MISSING_HEADER', 'UNSUBSCRIBE needs an id header');
    const state = id === undefined ? undefined : this.#subscriptions.get(id);
    if (state === undefined && durableName === undefined) throw new StompSessionError('UNKNOWN_SUBSCRIPTION', 'No such subscription');
    if (state !== undefined) {
      this.#forgetSubscription(state);
      await state.engine?.close();
    }
    // ActiveMQ: UNSUBSCRIBE with the subscription name removes the durable subscription itself.
    if (durableName !== undefined) await connection.unsubscribeDurable(durableName);
    this.#receipt(frame);
  }

  #forgetSubscription(state: SubscriptionState): void {
    this.#subscriptions.delete(state.id);
    for (const token of state.unacked.keys()) this.#unacked.delete(token);
    state.unacked.clear();
    state.byMessageId.clear();
  }

  #deliver(state: SubscriptionState, delivery: AmqDelivery): void {
    if (this.#phase !== 'connected' || this.#subscriptions.get(state.id) !== state) return;
    if (state.early !== undefined) {
      state.early.push(delivery);
      return;
    }
    const connection = this.#connection!;
    const message = delivery.message;
    const messageId = message.messageId ?? `ID:${connection.id}:${delivery.token}`;
    let ackId: string | undefined;
    if (state.ackMode !== 'auto') {
      state.unacked.set(delivery.token, messageId);
      // 1.0 and 1.1 acknowledge by message-id; 1.2 by the ack header (the token) only.
      if (this.#version !== '1.2') state.byMessageId.set(messageId, delivery.token);
      this.#unacked.set(delivery.token, state);
      if (this.#version === '1.2') ackId = String(delivery.token);
    }
    const headers = deliveryHeaders(delivery, {
      version: this.#version,
      subscription: state.header,
      ackId,
      messageId,
      formatDestination: this.#formatDestinationFn,
    });
    // ActiveMQ writes content-length for a BytesMessage and none for a TextMessage; a text body
    // holding NUL needs one all the same.
    const contentLength = message.bodyType === 'bytes' || message.body.includes(0);
    this.#write({ command: 'MESSAGE', headers, body: message.body }, contentLength);
  }

  // ---- ACK / NACK ----------------------------------------------------------------------------

  #onAck(frame: StompFrame, nack: boolean): void {
    const connection = this.#requireConnection();
    const h = frame.headers;
    // NACK is STOMP 1.1's; ActiveMQ refuses it on a 1.0 connection.
    if (nack && this.#version === '1.0') throw new StompSessionError('BAD_HEADER_VALUE', 'NACK received but connection is in v1.0 mode');
    let token: number | undefined;
    let state: SubscriptionState | undefined;
    if (this.#version === '1.2') {
      // STOMP 1.2: the id is the MESSAGE's ack header.
      const id = requireHeader(frame, 'id');
      if (isBrowseAckId(id, this.#browseAcks)) return;
      token = /^[0-9]{1,15}$/.test(id) ? Number(id) : undefined;
      state = token === undefined ? undefined : this.#unacked.get(token);
    } else {
      // STOMP 1.0/1.1: message-id, and (1.1) the subscription it came through.
      const messageId = requireHeader(frame, 'message-id');
      const subscription = h.get('subscription');
      if (subscription === undefined && this.#version === '1.1') throw new StompSessionError('MISSING_HEADER', `${frame.command} needs a subscription header`);
      if (subscription !== undefined) {
        state = this.#subscriptions.get(subscription);
        if (state === undefined) throw new StompSessionError('UNKNOWN_SUBSCRIPTION', 'No such subscription');
        // A browsed message was not taken from the queue: its ACK or NACK changes nothing.
        if (state.browse !== undefined) return;
        token = state.byMessageId.get(messageId);
      } else {
        for (const s of this.#subscriptions.values()) {
          token = s.byMessageId.get(messageId);
          if (token !== undefined) {
            state = s;
            break;
          }
        }
      }
    }
    if (token === undefined || state === undefined || !state.unacked.has(token)) {
      throw new StompSessionError('UNKNOWN_ACK', `Unexpected ${frame.command} received`);
    }
    const transaction = h.get('transaction');
    const options = transaction === undefined ? undefined : { transaction };
    if (nack) connection.nack(token, options);
    else connection.ack(token, options);
    // ACK in client mode settles every earlier delivery of the subscription too (cumulative).
    if (!nack && state.ackMode === 'client') {
      for (const t of [...state.unacked.keys()]) if (t <= token) this.#forgetDelivery(state, t);
    } else {
      this.#forgetDelivery(state, token);
    }
  }

  #forgetDelivery(state: SubscriptionState, token: number): void {
    const messageId = state.unacked.get(token);
    state.unacked.delete(token);
    this.#unacked.delete(token);
    if (messageId !== undefined && state.byMessageId.get(messageId) === token) state.byMessageId.delete(messageId);
  }

  // ---- transactions --------------------------------------------------------------------------

  #onBegin(frame: StompFrame): void {
    const connection = this.#requireConnection();
    const transaction = requireHeader(frame, 'transaction');
    if (!this.#transactions.has(transaction) && this.#transactions.size >= (this.#options.transactionsMax ?? DEFAULTS.transactionsMax)) {
      throw new StompSessionError('TRANSACTIONS_LIMIT', 'Too many open transactions');
    }
    connection.begin(transaction);
    this.#transactions.add(transaction);
  }

  async #onCommit(frame: StompFrame): Promise<void> {
    const connection = this.#requireConnection();
    const transaction = requireHeader(frame, 'transaction');
    this.#transactions.delete(transaction);
    await connection.commit(transaction);
    this.#receipt(frame);
  }

  #onAbort(frame: StompFrame): void {
    const connection = this.#requireConnection();
    const transaction = requireHeader(frame, 'transaction');
    this.#transactions.delete(transaction);
    connection.abort(transaction);
  }

  // ---- DISCONNECT and closing ----------------------------------------------------------------

  #onDisconnect(frame: StompFrame): void {
    // Every earlier frame is done (SENDs included: see #handle), so the receipt promises them all.
    this.#receipt(frame);
    this.#log?.debug('client disconnected');
    this.#shutdown();
  }

  /** Answers an error with an ERROR frame, then closes: after an error ActiveMQ closes the connection. */
  #fail(error: unknown, receipt: string | undefined): void {
    if (this.#phase === 'closing' || this.#phase === 'closed') return;
    const report = errorReportFor(error);
    if (report.internal) this.#log?.error({ code: report.code, err: error }, 'STOMP session error');
    else this.#log?.debug({ code: report.code }, 'STOMP frame refused');
    const headers: Array<[string, string]> = [['message', sanitizeHeaderText(report.message)]];
    if (receipt !== undefined) headers.push(['receipt-id', receipt]);
    if (report.code === 'UNSUPPORTED_VERSION') headers.push(['version', SUPPORTED_VERSIONS.join(',')]);
    headers.push(['content-type', 'text/plain']);
    // No content-length, as ActiveMQ writes ERROR frames: stompit mishandles a text/plain ERROR
    // that has one (it loses the error), and the body is text without NUL.
    this.#writeFrame('ERROR', headers, `${report.body.replaceAll('\0', ' ')}\n`, false);
    this.#shutdown();
  }

  /** Ends the stream (flushing what is written) and the engine connection; idempotent. */
  #shutdown(): void {
    if (this.#phase === 'closing' || this.#phase === 'closed') return;
    this.#phase = 'closing';
    this.#stopTimers();
    this.#closeEngineConnection();
    this.#flush();
    this.#stream.end();
    // A peer that never closes its side is cut off.
    this.#closeTimer = setTimeout(() => this.#stream.destroy(), this.#options.closeTimeoutMs ?? DEFAULTS.closeTimeoutMs);
    // Whatever the peer still sends is not read (but must not stop the stream from closing).
    this.#stream.resume();
  }

  #cleanup(): void {
    if (this.#cleanedUp) return;
    this.#cleanedUp = true;
    this.#phase = 'closed';
    this.#stopTimers();
    clearTimeout(this.#closeTimer);
    this.#stream.destroy();
    const engineClosed = this.#closeEngineConnection();
    void engineClosed.then(() => this.#resolveClosed());
  }

  #engineClosing: Promise<void> | undefined;

  #closeEngineConnection(): Promise<void> {
    if (this.#engineClosing !== undefined) return this.#engineClosing;
    const connection = this.#connection;
    this.#subscriptions.clear();
    this.#unacked.clear();
    this.#transactions.clear();
    this.#engineClosing =
      connection === undefined
        ? Promise.resolve()
        : connection.close().catch((err: unknown) => {
            this.#log?.warn({ err }, 'closing the engine connection failed');
          });
    return this.#engineClosing;
  }

  #stopTimers(): void {
    clearTimeout(this.#connectTimer);
    clearInterval(this.#sendTimer);
    clearInterval(this.#readTimer);
  }

  // ---- writing -------------------------------------------------------------------------------

  #receipt(frame: StompFrame): void {
    const receipt = frame.headers.get('receipt');
    if (receipt !== undefined) this.#writeFrame('RECEIPT', [['receipt-id', receipt]]);
  }

  #writeFrame(command: StompServerCommand, headers: Array<[string, string]>, body?: string, contentLength = true): void {
    const encodable = headers.filter(([name, value]) => isStompHeaderEncodable(this.#version, command, name, value));
    this.#write({ command, headers: encodable, body }, contentLength);
  }

  #write(frame: StompFrameInput, contentLength: boolean): void {
    if (this.#phase === 'closed' || this.#stream.destroyed || this.#stream.writableEnded) return;
    this.#out.frame(frame, this.#version, { contentLength });
    this.#written();
  }

  #writeBytes(bytes: Buffer): void {
    if (this.#phase === 'closed' || this.#stream.destroyed || this.#stream.writableEnded) return;
    this.#out.bytes(bytes);
    this.#written();
  }

  /** After an append: the frames of this turn go out together at its end, one TLS record where they fit. */
  #written(): void {
    this.#lastWriteMs = Date.now();
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      process.nextTick(() => this.#flush());
    }
    if (!this.#writeBlocked && this.#out.pendingBytes + this.#stream.writableLength >= this.#writeBufferMaxBytes) this.#blockWrites();
  }

  #flush(): void {
    this.#flushQueued = false;
    const pieces = this.#out.take();
    if (pieces.length === 0 || this.#stream.destroyed || this.#stream.writableEnded) return;
    if (pieces.length === 1) this.#stream.write(pieces[0]);
    else {
      this.#stream.cork();
      for (const piece of pieces) this.#stream.write(piece);
      this.#stream.uncork();
    }
    if (!this.#writeBlocked && this.#stream.writableLength >= this.#writeBufferMaxBytes) this.#blockWrites();
  }

  /**
   * The peer reads slower than deliveries come: every subscription stops until the stream drains,
   * so that an auto-acknowledged flood waits in its queue rather than in memory here. What is
   * pending is past the stream's high-water mark, so the write that takes it is followed by 'drain'.
   */
  #blockWrites(): void {
    this.#writeBlocked = true;
    for (const state of this.#subscriptions.values()) state.engine?.setCredit(0);
    this.#stream.once('drain', () => {
      this.#writeBlocked = false;
      if (this.#phase !== 'connected') return;
      for (const state of this.#subscriptions.values()) {
        if (state.browse !== undefined) this.#pumpBrowse(state);
        // Back to the subscription's prefetch (activemq.prefetchSize): not unlimited.
        else state.engine?.setCredit(undefined);
      }
    });
  }

  // ---- helpers -------------------------------------------------------------------------------

  #requireConnection(): AmqConnection {
    if (this.#connection === undefined) throw new StompSessionError('NOT_CONNECTED', 'Not connected');
    return this.#connection;
  }

  /**
   * A destination header as the engine's destination. `/temp-queue/x` names this connection's own
   * temporary queue `x` (created on first use, as ActiveMQ does); `/remote-temp-queue/...` is one
   * another connection handed out as reply-to.
   */
  #resolveDestination(text: string): Destination {
    const d = parseStompDestination(text);
    if ((d.kind !== 'temp-queue' && d.kind !== 'temp-topic') || text.startsWith('/remote-temp-')) return d;
    const key = `${d.kind}:${d.name}`;
    let temp = this.#temps.get(key);
    if (temp === undefined) {
      if (this.#temps.size >= (this.#options.temporaryDestinationsMax ?? DEFAULTS.temporaryDestinationsMax)) {
        throw new StompSessionError('TEMPORARY_DESTINATIONS_LIMIT', 'Too many temporary destinations');
      }
      temp = this.#requireConnection().createTemporary(d.kind);
      this.#temps.set(key, temp);
      this.#tempAliases.set(`${temp.kind}:${temp.name}`, text);
    }
    return temp;
  }

  #formatDestination(d: Destination): string {
    if (d.kind === 'temp-queue' || d.kind === 'temp-topic') {
      return this.#tempAliases.get(`${d.kind}:${d.name}`) ?? `/remote-${d.kind}/${d.name}`;
    }
    // A subscription's deliveries mostly carry one destination object (the engine reuses it).
    if (d === this.#lastDestination) return this.#lastDestinationText;
    const text = formatStompDestination(d);
    this.#lastDestination = d;
    this.#lastDestinationText = text;
    return text;
  }
}

/** An `ack` id this session gave a browsed message (`browse-<n>`, n at most the number given). */
function isBrowseAckId(id: string, given: number): boolean {
  if (!id.startsWith(BROWSE_ACK_PREFIX)) return false;
  const n = id.slice(BROWSE_ACK_PREFIX.length);
  return /^[1-9][0-9]{0,14}$/.test(n) && Number(n) <= given;
}

function requireHeader(frame: StompFrame, name: string): string {
  const value = frame.headers.get(name);
  if (value === undefined) throw new StompSessionError('MISSING_HEADER', `${frame.command} needs a ${name} header`);
  return value;
}

/** The highest version both sides speak; no `accept-version` means 1.0 (STOMP 1.1 "Protocol Negotiation"). */
export function negotiateVersion(acceptVersion: string | undefined): StompVersion | undefined {
  if (acceptVersion === undefined) return '1.0';
  const offered = new Set(acceptVersion.split(',').map((v) => v.trim()));
  for (let i = SUPPORTED_VERSIONS.length - 1; i >= 0; i--) {
    if (offered.has(SUPPORTED_VERSIONS[i]!)) return SUPPORTED_VERSIONS[i];
  }
  return undefined;
}

/** `cx,cy` in milliseconds; absent means `0,0`. */
export function parseHeartbeat(text: string | undefined): [number, number] {
  if (text === undefined) return [0, 0];
  const m = /^\s*([0-9]{1,9})\s*,\s*([0-9]{1,9})\s*$/.exec(text);
  if (m === null) throw new StompSessionError('BAD_HEADER_VALUE', 'heart-beat must be two numbers');
  return [Number(m[1]), Number(m[2])];
}

function parseAckMode(text: string | undefined): AckMode {
  switch (text) {
    case undefined:
    case 'auto':
      return 'auto';
    case 'client':
      return 'client';
    case 'client-individual':
      return 'individual';
    default:
      throw new StompSessionError('BAD_HEADER_VALUE', 'ack must be auto, client or client-individual');
  }
}

function parsePrefetch(text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const t = text.trim();
  if (!/^[0-9]{1,9}$/.test(t) || Number(t) < 1 || Number(t) > max) {
    throw new StompSessionError('BAD_HEADER_VALUE', `activemq.prefetchSize must be 1 to ${max}`);
  }
  return Number(t);
}

/** One line of printable text, for the `message` header (no LF, which 1.0 cannot carry). */
function sanitizeHeaderText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim().slice(0, 200);
}

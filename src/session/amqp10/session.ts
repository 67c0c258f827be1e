// One AMQP 1.0 connection to the ActiveMQ engine, as ActiveMQ's AMQP transport serves it: protocol
// header negotiation (SASL first, PLAIN only), open (container-id as the JMS client id, max-frame-size,
// channel-max, idle-time-out both ways), sessions (begin/end, incoming and outgoing windows,
// handle-max), links (attach/detach; addresses, dynamic nodes, selector and no-local filters, durable
// topic subscriptions named by link name and container-id), credit (flow, drain), transfers (multi-
// frame, message size limit, settled and unsettled, settle modes first and second), dispositions
// (accepted, released, rejected, modified), local transactions through a coordinator link, and
// queue browsers (distribution-mode copy: the engine's snapshot sent as credit allows).
// Queues, topics, selectors, redelivery and persistence are the engine's (src/core/activemq/api.ts);
// message sections are mapped in message-mapping.ts; every error becomes an AMQP error in errors.ts.

import type { Duplex } from 'node:stream';
import {
  AmqError,
  type AmqBrowsedMessage,
  type AmqConnection,
  type AmqDelivery,
  type AmqEngine,
  type Destination,
  type DestinationKind,
  type Subscription,
} from '../../core/activemq/api.ts';
import { checkSendDestination, formatAmqpAddress, parseAmqpAddress } from '../../core/activemq/destinations.ts';
import {
  AMQP_PROTOCOL_HEADER,
  type Amqp10Frame,
  Amqp10FrameDecoder,
  type AmqpErrorInit,
  type AmqpMap,
  type AmqpValue,
  type Attach,
  type AttachInit,
  type Begin,
  type Close,
  type Detach,
  type Disposition,
  type DispositionInit,
  type End,
  type Flow,
  type FlowInit,
  type Open,
  PROTOCOL_ID,
  type PerformativeInit,
  RECEIVER_SETTLE_MODE,
  ROLE,
  SASL_CODE,
  SASL_PROTOCOL_HEADER,
  type SaslCode,
  type SaslPerformative,
  SENDER_SETTLE_MODE,
  type Source,
  type SourceInit,
  type Target,
  type TargetInit,
  TERMINUS_DURABILITY,
  TERMINUS_EXPIRY_POLICY,
  type Transfer,
  type TransferInit,
  encodeEmptyFrame,
  encodeFrame,
  encodeSaslFrame,
  encodeTransferFrames,
  FRAME_SIZE_MIN_MAX_BYTES,
} from '../../codec/amqp10/index.ts';
import type { Logger } from '../../util/logger.ts';
import { Amqp10DecodeError, type Performative } from '../../codec/amqp10/index.ts';
import { CONDITION, deliveryErrorReplyFor, type ErrorReply, errorReplyFor, sessionError } from './errors.ts';
import { incomingMessage, noDestinationError, outgoingPayload } from './message-mapping.ts';
import { Coordinator, type TransactionRegistry } from './transactions.ts';

export interface Amqp10SessionOptions {
  readonly engine: AmqEngine;
  readonly remoteAddress?: string;
  readonly logger?: Logger;
  /** From the stream's start until open is exchanged (default 10 s). */
  readonly handshakeTimeoutMs?: number;
  /** max-frame-size offered in open and enforced on input (default 131072, ActiveMQ's AMQP frame size). */
  readonly frameSizeMaxBytes?: number;
  /** channel-max offered: sessions per connection (default 255). */
  readonly channelMax?: number;
  /** handle-max offered in begin: links per session (default 1023). */
  readonly handleMax?: number;
  /** Links (senders, receivers, coordinators) per connection (default 1024). */
  readonly linksMax?: number;
  /** Largest message accepted, over all its transfer frames (default 100 MiB). */
  readonly messageSizeMaxBytes?: number;
  /** idle-time-out offered: the peer must send something this often (default 30 s, ActiveMQ's); 0 offers none. */
  readonly idleTimeoutMs?: number;
  /** Our session incoming-window, in transfer frames (default 2048). */
  readonly incomingWindow?: number;
  /** Credit granted to a client's sender link, topped up as messages are stored (default 1000, ActiveMQ's producer credit). */
  readonly producerCredit?: number;
  /** Unsettled deliveries per receiving client link before deliveries pause (default 5000). */
  readonly unsettledPerLinkMax?: number;
  /** How long a peer gets to answer our close before the stream is destroyed (default 3 s). */
  readonly closeTimeoutMs?: number;
  /** Our container-id (default `sealmq`). */
  readonly containerId?: string;
  /** Dynamic nodes (temporary queues and topics) a connection may create (default 100). */
  readonly temporaryDestinationsMax?: number;
}

const DEFAULTS = {
  handshakeTimeoutMs: 10_000,
  frameSizeMaxBytes: 131_072,
  channelMax: 255,
  handleMax: 1023,
  linksMax: 1024,
  messageSizeMaxBytes: 100 * 1024 * 1024,
  idleTimeoutMs: 30_000,
  incomingWindow: 2048,
  producerCredit: 1000,
  unsettledPerLinkMax: 5000,
  closeTimeoutMs: 3000,
  temporaryDestinationsMax: 100,
} as const;

/** The outgoing window we announce: we never limit our own sending by it. */
const OUTGOING_WINDOW = 0x7fff_ffff;
/** Bytes queued for the peer beyond which reading pauses until they drain. */
const WRITE_BUFFER_PAUSE_BYTES = 4 * 1024 * 1024;

/** Filters ActiveMQ understands on a source (the Apache AMQP filter registry). */
const SELECTOR_FILTER = { symbol: 'apache.org:selector-filter:string', code: 0x0000_468c_0000_0004n } as const;
const NO_LOCAL_FILTER = { symbol: 'apache.org:no-local-filter:list', code: 0x0000_468c_0000_0003n } as const;
/** Outcomes a receiving client may use on our deliveries. */
const SUPPORTED_OUTCOMES = ['amqp:accepted:list', 'amqp:rejected:list', 'amqp:released:list', 'amqp:modified:list'] as const;
const SOLE_CONNECTION_CAPABILITY = 'sole-connection-for-container';
const ANONYMOUS_RELAY = 'ANONYMOUS-RELAY';

type Phase = 'sasl-header' | 'sasl-init' | 'sasl-response' | 'sasl-auth' | 'amqp-header' | 'open' | 'opening' | 'opened' | 'closing' | 'closed';

interface PartialTransfer {
  readonly deliveryId: number;
  settled: boolean;
  state: Transfer['state'];
  readonly chunks: Buffer[];
  size: number;
}

interface LinkBase {
  readonly name: string;
  readonly remoteHandle: number;
  readonly localHandle: number;
  /** 'attached' once our attach is sent; 'detaching' after we sent a detach and wait for the peer's. */
  state: 'attaching' | 'attached' | 'detaching';
}

/** The peer sends to us (our role: receiver). */
interface ReceiverLink extends LinkBase {
  readonly role: 'receiver';
  /** Undefined: anonymous relay, each message's `to` names its destination. */
  readonly target: Destination | undefined;
  readonly coordinator: Coordinator | undefined;
  readonly rcvSettleMode: number;
  deliveryCount: number;
  credit: number;
  pendingSends: number;
  partial: PartialTransfer | undefined;
}

/** We send to the peer (our role: sender). */
interface SenderLink extends LinkBase {
  readonly role: 'sender';
  readonly presettled: boolean;
  readonly rcvSettleMode: number;
  readonly durableName: string | undefined;
  subscription: Subscription | undefined;
  deliveryCount: number;
  credit: number;
  drain: boolean;
  drainScheduled: boolean;
  /** Deliveries the engine handed over that wait for credit or the session window. */
  readonly held: AmqDelivery[];
  unsettled: number;
  /** The credit we last gave the engine, less the deliveries it made since. */
  engineCredit: number;
  tagSeq: number;
  /** A queue browser (distribution-mode copy): the engine's snapshot and how far it is sent. */
  browse: { readonly messages: readonly AmqBrowsedMessage[]; next: number } | undefined;
}

type Link = ReceiverLink | SenderLink;

interface UnsettledDelivery {
  readonly link: SenderLink;
  /** The engine's token; undefined for a browsed message, which nothing needs to settle. */
  readonly token: number | undefined;
}

interface AmqpSession {
  readonly remoteChannel: number;
  readonly localChannel: number;
  state: 'mapped' | 'ending';
  /** Incoming transfer ids. */
  nextIncomingId: number;
  incomingWindow: number;
  /** Outgoing transfer ids. */
  nextOutgoingId: number;
  remoteIncomingWindow: number;
  nextDeliveryId: number;
  readonly peerHandleMax: number;
  readonly links: Map<number, Link>;
  readonly localHandles: Set<number>;
  readonly unsettled: Map<number, UnsettledDelivery>;
  /** Transfer frames waiting for the peer's incoming window. */
  readonly frameQueue: Buffer[];
  /** Delivery ids of the peer's unsettled transfers we accepted, flushed as ranges. */
  readonly acceptedPending: Array<{ readonly deliveryId: number; readonly settled: boolean; readonly txnId: AmqpValue | undefined }>;
  acceptedFlushScheduled: boolean;
}

/** The per-connection AMQP 1.0 state machine. Create it with {@link createAmqp10Session}. */
export class Amqp10Session {
  readonly #stream: Duplex;
  readonly #engine: AmqEngine;
  readonly #log: Logger | undefined;
  readonly #remoteAddress: string | undefined;
  readonly #frameSizeMax: number;
  readonly #channelMax: number;
  readonly #handleMax: number;
  readonly #linksMax: number;
  readonly #messageSizeMax: number;
  readonly #idleTimeoutMs: number;
  readonly #incomingWindow: number;
  readonly #producerCredit: number;
  readonly #unsettledMax: number;
  readonly #closeTimeoutMs: number;
  readonly #containerId: string;
  readonly #temporariesMax: number;
  readonly #decoder = new Amqp10FrameDecoder();
  readonly #sessions = new Map<number, AmqpSession>();
  readonly #localChannels = new Set<number>();
  readonly #transactions: TransactionRegistry = new Map();
  #releasing: Promise<void> | undefined;
  #phase: Phase = 'sasl-header';
  #peerFrameSizeMax = FRAME_SIZE_MIN_MAX_BYTES;
  #peerChannelMax = 0;
  #peerIdleTimeoutMs = 0;
  #saslConnection: AmqConnection | undefined;
  #amq: AmqConnection | undefined;
  #linkCount = 0;
  #temporaries = 0;
  #linkSeq = 0;
  #busy = false;
  #pumping = false;
  #inputStopped = false;
  #corked = false;
  #writePaused = false;
  #lastReadMs = Date.now();
  #lastWriteMs = Date.now();
  #handshakeTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #closeTimer: NodeJS.Timeout | undefined;
  #cleanedUp = false;
  /** Resolves when the stream has closed and the engine connection is released. */
  readonly closed: Promise<void>;
  #resolveClosed!: () => void;

  constructor(stream: Duplex, options: Amqp10SessionOptions) {
    this.#stream = stream;
    this.#engine = options.engine;
    this.#log = options.logger;
    this.#remoteAddress = options.remoteAddress;
    this.#frameSizeMax = Math.max(FRAME_SIZE_MIN_MAX_BYTES, options.frameSizeMaxBytes ?? DEFAULTS.frameSizeMaxBytes);
    this.#channelMax = Math.min(0xffff, options.channelMax ?? DEFAULTS.channelMax);
    this.#handleMax = options.handleMax ?? DEFAULTS.handleMax;
    this.#linksMax = options.linksMax ?? DEFAULTS.linksMax;
    this.#messageSizeMax = options.messageSizeMaxBytes ?? DEFAULTS.messageSizeMaxBytes;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs;
    this.#incomingWindow = Math.max(1, options.incomingWindow ?? DEFAULTS.incomingWindow);
    this.#producerCredit = Math.max(1, options.producerCredit ?? DEFAULTS.producerCredit);
    this.#unsettledMax = Math.max(1, options.unsettledPerLinkMax ?? DEFAULTS.unsettledPerLinkMax);
    this.#closeTimeoutMs = options.closeTimeoutMs ?? DEFAULTS.closeTimeoutMs;
    this.#containerId = options.containerId ?? 'sealmq';
    this.#temporariesMax = options.temporaryDestinationsMax ?? DEFAULTS.temporaryDestinationsMax;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    stream.on('data', (chunk: Buffer) => this.#onData(chunk));
    stream.on('error', (err) => this.#log?.debug({ err: { code: (err as NodeJS.ErrnoException).code } }, 'amqp10 stream error'));
    stream.on('close', () => void this.#cleanup());
    stream.on('end', () => {
      // The peer half-closed: nothing more will be read; finish our side.
      if (!stream.destroyed) stream.end();
    });
    stream.on('drain', () => this.#onWriteDrain());
    this.#handshakeTimer = setTimeout(() => {
      if (this.#phase !== 'opened' && this.#phase !== 'closing' && this.#phase !== 'closed') {
        this.#log?.info({ phase: this.#phase }, 'amqp10 handshake timeout: closing the stream');
        this.#destroy();
      }
    }, options.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs);
    this.#handshakeTimer.unref?.();
  }

  /** The engine connection's JMS client id (the container-id), once open. */
  get clientId(): string | undefined {
    return this.#amq?.clientId;
  }

  /**
   * Closes the connection from the server side: close with amqp:connection:forced (as ActiveMQ on
   * shutdown), then the stream once the peer answers or the close timeout passes.
   */
  close(description = 'broker shutdown'): Promise<void> {
    if (this.#phase === 'opened') this.#closeConnection({ condition: CONDITION.CONNECTION_FORCED, description });
    else if (this.#phase !== 'closing' && this.#phase !== 'closed') this.#destroy();
    return this.closed;
  }

  // Input

  #onData(chunk: Buffer): void {
    this.#lastReadMs = Date.now();
    if (this.#inputStopped) return;
    this.#decoder.push(chunk);
    this.#pump();
  }

  /** Handles buffered frames in order; an asynchronous step (auth, attach, detach) holds the rest. */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    this.#cork();
    try {
      while (!this.#busy && !this.#inputStopped) {
        let frame: Amqp10Frame | undefined;
        try {
          frame = this.#decoder.next();
        } catch (err) {
          this.#fail(err);
          break;
        }
        if (frame === undefined) break;
        let step: void | Promise<void>;
        try {
          step = this.#onFrame(frame);
        } catch (err) {
          this.#fail(err, frame);
          continue;
        }
        if (step !== undefined) {
          this.#busy = true;
          this.#stream.pause();
          step.then(
            () => this.#resume(),
            (err: unknown) => {
              this.#fail(err, frame);
              this.#resume();
            },
          );
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  #resume(): void {
    this.#busy = false;
    if (!this.#writePaused && !this.#stream.destroyed) this.#stream.resume();
    this.#pump();
  }

  #onFrame(frame: Amqp10Frame): void | Promise<void> {
    switch (frame.type) {
      case 'protocol-header':
        return this.#onProtocolHeader(frame.protocolId);
      case 'sasl':
        return this.#onSasl(frame.performative);
      case 'empty':
        if (this.#phase !== 'opened' && this.#phase !== 'closing' && this.#phase !== 'opening') {
          throw sessionError.connection(CONDITION.ILLEGAL_STATE, 'empty frame before open');
        }
        return;
      case 'amqp':
        return this.#onPerformative(frame.channel, frame.performative, frame.payload);
    }
  }

  // Protocol headers and SASL (part 5, section 5.3)

  #onProtocolHeader(protocolId: number): void | Promise<void> {
    if (this.#phase === 'sasl-header') {
      if (protocolId !== PROTOCOL_ID.SASL) {
        // SASL is required: answer with the header we speak, then close (part 2, section 2.2).
        this.#refuseHeader(SASL_PROTOCOL_HEADER);
        return;
      }
      this.#write(SASL_PROTOCOL_HEADER);
      // ANONYMOUS is not offered: every connection authenticates as a broker user.
      this.#write(encodeSaslFrame({ kind: 'sasl-mechanisms', saslServerMechanisms: ['PLAIN'] }));
      this.#phase = 'sasl-init';
      return;
    }
    if (this.#phase === 'amqp-header') {
      if (protocolId !== PROTOCOL_ID.AMQP) {
        this.#refuseHeader(AMQP_PROTOCOL_HEADER);
        return;
      }
      this.#write(AMQP_PROTOCOL_HEADER);
      // Frames up to our max-frame-size from here on: a peer's open may exceed 512 octets, and our
      // own limit is the one that matters for what we buffer.
      this.#decoder.setFrameSizeMax(this.#frameSizeMax);
      this.#phase = 'open';
      return;
    }
    throw sessionError.connection(CONDITION.FRAMING_ERROR, 'unexpected protocol header');
  }

  #refuseHeader(header: Buffer): void {
    this.#write(header);
    this.#endStream();
  }

  #onSasl(p: SaslPerformative): void | Promise<void> {
    if (p.kind === 'sasl-init' && this.#phase === 'sasl-init') {
      if (p.mechanism !== 'PLAIN') return this.#saslOutcome(SASL_CODE.AUTH);
      if (p.initialResponse === undefined) {
        // PLAIN without an initial response: an empty challenge asks for it (RFC 4616).
        this.#write(encodeSaslFrame({ kind: 'sasl-challenge', challenge: Buffer.alloc(0) }));
        this.#phase = 'sasl-response';
        return;
      }
      return this.#authenticatePlain(p.initialResponse);
    }
    if (p.kind === 'sasl-response' && this.#phase === 'sasl-response') return this.#authenticatePlain(p.response);
    // A SASL frame out of turn: there is no close in SASL, only the end of the stream.
    this.#log?.debug({ kind: p.kind, phase: this.#phase }, 'amqp10 unexpected SASL frame');
    this.#endStream();
  }

  async #authenticatePlain(response: Buffer): Promise<void> {
    // RFC 4616: [authzid] NUL authcid NUL passwd.
    const parts = response.toString('utf8').split('\0');
    // Acting for another identity (an authzid other than the user's own) is not offered.
    if (parts.length !== 3 || parts[1] === '' || parts[2] === '' || (parts[0] !== '' && parts[0] !== parts[1])) return this.#saslOutcome(SASL_CODE.AUTH);
    const username = parts[1]!;
    const password = parts[2]!;
    this.#phase = 'sasl-auth';
    try {
      this.#saslConnection = await this.#engine.connect({ username, password, client: this.#clientInfo() });
    } catch (err) {
      if (err instanceof AmqError && err.code === 'not-authorized') {
        this.#log?.info({ remoteAddress: this.#remoteAddress }, 'amqp10 authentication failed');
        return this.#saslOutcome(SASL_CODE.AUTH);
      }
      this.#log?.warn({ err: err instanceof AmqError ? { code: err.code } : { name: (err as Error)?.name } }, 'amqp10 authentication could not complete');
      return this.#saslOutcome(SASL_CODE.SYS_TEMP);
    }
    if (this.#phase !== 'sasl-auth') {
      // The stream closed while the engine authenticated.
      await this.#saslConnection.close();
      this.#saslConnection = undefined;
      return;
    }
    this.#saslConnection.onForcedClose((reason) => this.#closeConnection({ condition: CONDITION.CONNECTION_FORCED, description: reason }));
    this.#saslOutcome(SASL_CODE.OK);
  }

  #saslOutcome(code: SaslCode): void {
    this.#write(encodeSaslFrame({ kind: 'sasl-outcome', code }));
    if (code !== SASL_CODE.OK) {
      this.#endStream();
      return;
    }
    this.#phase = 'amqp-header';
    this.#decoder.expectProtocolHeader();
  }

  #clientInfo(): { sourceIPAddress?: string; userAgent?: string } {
    return this.#remoteAddress === undefined ? { userAgent: 'AMQP 1.0' } : { sourceIPAddress: this.#remoteAddress, userAgent: 'AMQP 1.0' };
  }

  // Performatives

  #onPerformative(channel: number, p: Performative, payload: Buffer | undefined): void | Promise<void> {
    if (this.#phase === 'closing') {
      // After our close, only the peer's close matters (part 2, section 2.4.4).
      if (p.kind === 'close') this.#onCloseAfterOurs();
      return;
    }
    if (this.#phase === 'open') {
      if (p.kind !== 'open') throw sessionError.connection(CONDITION.ILLEGAL_STATE, `${p.kind} before open`);
      return this.#onOpen(p);
    }
    if (this.#phase !== 'opened') throw sessionError.connection(CONDITION.ILLEGAL_STATE, `${p.kind} in the wrong state`);
    switch (p.kind) {
      case 'open':
        throw sessionError.connection(CONDITION.ILLEGAL_STATE, 'open received twice');
      case 'close':
        return this.#onClose(p);
      case 'begin':
        return this.#onBegin(channel, p);
    }
    const s = this.#sessions.get(channel);
    if (s === undefined) throw sessionError.connection(CONDITION.INVALID_FIELD, `channel ${channel} has no session`);
    if (s.state === 'ending') {
      // After our end, only the peer's end matters.
      if (p.kind === 'end') this.#freeSession(s);
      return;
    }
    try {
      switch (p.kind) {
        case 'end':
          return this.#onEnd(s, p);
        case 'attach':
          return this.#onAttach(s, p);
        case 'flow':
          return this.#onFlow(s, p);
        case 'transfer':
          return this.#onTransfer(s, p, payload ?? Buffer.alloc(0));
        case 'disposition':
          return this.#onDisposition(s, p);
        case 'detach':
          return this.#onDetach(s, p);
      }
    } catch (err) {
      this.#failIn(s, err);
    }
  }

  #onOpen(open: Open): void {
    this.#phase = 'opening';
    this.#peerFrameSizeMax = Math.max(FRAME_SIZE_MIN_MAX_BYTES, open.maxFrameSize);
    this.#peerChannelMax = open.channelMax;
    this.#peerIdleTimeoutMs = open.idleTimeOut ?? 0;
    const sole = open.desiredCapabilities?.includes(SOLE_CONNECTION_CAPABILITY) ?? false;
    let refusal: AmqpErrorInit | undefined;
    this.#amq = this.#saslConnection;
    this.#saslConnection = undefined;
    if (this.#amq !== undefined && open.containerId !== '') {
      // The container-id is the JMS client id (ActiveMQ's AmqpConnection), taken by the connection
      // SASL authenticated. A client that does not insist on being the container's sole connection
      // (rhea's containers share one id) keeps its connection without a client id; one that does
      // is refused.
      try {
        this.#amq.setClientId(open.containerId);
      } catch (err) {
        if (!(err instanceof AmqError && err.code === 'client-id-in-use' && !sole)) refusal = errorReplyFor(err).error;
      }
    }
    const offered = [ANONYMOUS_RELAY];
    if (sole) offered.push(SOLE_CONNECTION_CAPABILITY);
    this.#writePerformative(0, {
      kind: 'open',
      containerId: this.#containerId,
      maxFrameSize: this.#frameSizeMax,
      channelMax: this.#channelMax,
      ...(this.#idleTimeoutMs > 0 ? { idleTimeOut: this.#idleTimeoutMs } : {}),
      offeredCapabilities: offered,
      properties: {
        type: 'map',
        value: [
          [{ type: 'symbol', value: 'product' }, 'SealMQ'],
          // Qpid JMS reads these to spell addresses the way ActiveMQ does.
          [{ type: 'symbol', value: 'queue-prefix' }, 'queue://'],
          [{ type: 'symbol', value: 'topic-prefix' }, 'topic://'],
        ],
      },
    });
    this.#phase = 'opened';
    clearTimeout(this.#handshakeTimer);
    if (refusal !== undefined || this.#amq === undefined) {
      this.#closeConnection(refusal ?? { condition: CONDITION.UNAUTHORIZED_ACCESS, description: 'not authenticated' });
      return;
    }
    this.#startHeartbeats();
    this.#log?.debug({ connection: this.#amq.id, clientId: this.#amq.clientId }, 'amqp10 connection open');
  }

  #startHeartbeats(): void {
    const halfPeer = this.#peerIdleTimeoutMs > 0 ? Math.max(50, Math.floor(this.#peerIdleTimeoutMs / 2)) : 0;
    const ours = this.#idleTimeoutMs;
    if (halfPeer === 0 && ours === 0) return;
    const tick = Math.max(25, Math.floor(Math.min(halfPeer || Infinity, ours || Infinity) / 4));
    this.#heartbeatTimer = setInterval(() => {
      const now = Date.now();
      if (ours > 0 && now - this.#lastReadMs > ours) {
        // Part 2, section 2.4.5: the peer let our idle timeout pass without a frame.
        this.#closeConnection({ condition: CONDITION.RESOURCE_LIMIT_EXCEEDED, description: 'local-idle-timeout expired' });
        return;
      }
      if (halfPeer > 0 && now - this.#lastWriteMs >= halfPeer - tick) this.#write(encodeEmptyFrame());
    }, tick);
    this.#heartbeatTimer.unref?.();
  }

  #onClose(close: Close): void {
    if (close.error !== undefined) this.#log?.debug({ condition: close.error.condition }, 'amqp10 peer closed with an error');
    this.#writePerformative(0, { kind: 'close' });
    this.#phase = 'closing';
    this.#endStream();
  }

  #onCloseAfterOurs(): void {
    this.#endStream();
  }

  /** Sends close with `error` (or none) and waits for the peer's close; input other than close is ignored. */
  #closeConnection(error: AmqpErrorInit | undefined): void {
    if (this.#phase === 'closing' || this.#phase === 'closed') return;
    if (this.#phase !== 'opened' && this.#phase !== 'opening' && this.#phase !== 'open') {
      this.#destroy();
      return;
    }
    if (this.#phase === 'open' || this.#phase === 'opening') {
      // A close must follow an open (part 2, section 2.4.1): send ours first.
      this.#writePerformative(0, { kind: 'open', containerId: this.#containerId, maxFrameSize: this.#frameSizeMax, channelMax: this.#channelMax });
    }
    this.#phase = 'closing';
    this.#writePerformative(0, error === undefined ? { kind: 'close' } : { kind: 'close', error });
    this.#closeTimer = setTimeout(() => this.#destroy(), this.#closeTimeoutMs);
    this.#closeTimer.unref?.();
    void this.#releaseEngine();
  }

  // Sessions (part 2, section 2.5)

  #onBegin(channel: number, begin: Begin): void {
    if (begin.remoteChannel !== undefined) throw sessionError.connection(CONDITION.ILLEGAL_STATE, 'begin answers no begin of ours');
    if (this.#sessions.has(channel)) throw sessionError.connection(CONDITION.ILLEGAL_STATE, `channel ${channel} already has a session`);
    if (channel > this.#channelMax) {
      throw sessionError.connection(CONDITION.RESOURCE_LIMIT_EXCEEDED, `channel ${channel} is above channel-max ${this.#channelMax}`);
    }
    let localChannel = 0;
    while (this.#localChannels.has(localChannel)) localChannel++;
    if (localChannel > this.#peerChannelMax) throw sessionError.connection(CONDITION.RESOURCE_LIMIT_EXCEEDED, 'no channel left below the peer channel-max');
    const s: AmqpSession = {
      remoteChannel: channel,
      localChannel,
      state: 'mapped',
      nextIncomingId: begin.nextOutgoingId,
      incomingWindow: this.#incomingWindow,
      nextOutgoingId: 0,
      remoteIncomingWindow: begin.incomingWindow,
      nextDeliveryId: 0,
      peerHandleMax: begin.handleMax,
      links: new Map(),
      localHandles: new Set(),
      unsettled: new Map(),
      frameQueue: [],
      acceptedPending: [],
      acceptedFlushScheduled: false,
    };
    this.#sessions.set(channel, s);
    this.#localChannels.add(localChannel);
    this.#writePerformative(localChannel, {
      kind: 'begin',
      remoteChannel: channel,
      nextOutgoingId: s.nextOutgoingId,
      incomingWindow: s.incomingWindow,
      outgoingWindow: OUTGOING_WINDOW,
      handleMax: this.#handleMax,
    });
  }

  async #onEnd(s: AmqpSession, end: End): Promise<void> {
    if (end.error !== undefined) this.#log?.debug({ condition: end.error.condition }, 'amqp10 peer ended a session with an error');
    await this.#releaseSessionLinks(s);
    if (this.#phase !== 'opened') return;
    this.#writePerformative(s.localChannel, { kind: 'end' });
    this.#freeSession(s);
  }

  /** Ends a session with an error; its frames are ignored until the peer's end. */
  #endSession(s: AmqpSession, error: AmqpErrorInit): void {
    if (s.state === 'ending') return;
    s.state = 'ending';
    this.#writePerformative(s.localChannel, { kind: 'end', error });
    void this.#releaseSessionLinks(s);
  }

  #freeSession(s: AmqpSession): void {
    this.#sessions.delete(s.remoteChannel);
    this.#localChannels.delete(s.localChannel);
  }

  async #releaseSessionLinks(s: AmqpSession): Promise<void> {
    const links = [...s.links.values()];
    s.links.clear();
    s.localHandles.clear();
    this.#linkCount -= links.length;
    await Promise.all(links.map((l) => this.#releaseLink(l, false)));
  }

  // Links (part 2, section 2.6)

  #onAttach(s: AmqpSession, a: Attach): void | Promise<void> {
    if (a.handle > this.#handleMax) {
      throw sessionError.session(CONDITION.RESOURCE_LIMIT_EXCEEDED, `handle ${a.handle} is above handle-max ${this.#handleMax}`);
    }
    if (s.links.has(a.handle)) throw sessionError.session(CONDITION.HANDLE_IN_USE, `handle ${a.handle} is in use`);
    let localHandle = 0;
    while (s.localHandles.has(localHandle)) localHandle++;
    if (localHandle > s.peerHandleMax) throw sessionError.session(CONDITION.RESOURCE_LIMIT_EXCEEDED, 'no handle left below the peer handle-max');
    s.localHandles.add(localHandle);
    this.#linkCount++;
    if (this.#linkCount > this.#linksMax) {
      return this.#refuseAttach(s, a, localHandle, {
        condition: CONDITION.RESOURCE_LIMIT_EXCEEDED,
        description: `a connection may have at most ${this.#linksMax} links`,
      });
    }
    const attach = a.role === ROLE.SENDER ? this.#attachReceiver(s, a, localHandle) : this.#attachSender(s, a, localHandle);
    return attach.catch((err: unknown) => {
      const reply = errorReplyFor(err, 'link');
      if (reply.scope !== 'link' && reply.scope !== 'delivery') throw err;
      this.#refuseAttach(s, a, localHandle, reply.error);
    });
  }

  /**
   * Refuses a link as part 2, section 2.6.3 describes: an attach with no terminus on our side, then
   * a detach with closed=true and the error. The handle stays taken until the peer's detach.
   */
  #refuseAttach(s: AmqpSession, a: Attach, localHandle: number, error: AmqpErrorInit): void {
    if (s.state !== 'mapped' || this.#phase !== 'opened') return;
    const link: ReceiverLink = {
      role: 'receiver',
      name: a.name,
      remoteHandle: a.handle,
      localHandle,
      state: 'detaching',
      target: undefined,
      coordinator: undefined,
      rcvSettleMode: 0,
      deliveryCount: 0,
      credit: 0,
      pendingSends: 0,
      partial: undefined,
    };
    s.links.set(a.handle, link);
    const ours = a.role === ROLE.SENDER;
    this.#writePerformative(s.localChannel, {
      kind: 'attach',
      name: a.name,
      handle: localHandle,
      role: ours ? ROLE.RECEIVER : ROLE.SENDER,
      ...(ours ? (a.source === undefined ? {} : { source: sourceInit(a.source) }) : { initialDeliveryCount: 0 }),
      ...(!ours && a.target?.kind === 'target' ? { target: targetInit(a.target) } : {}),
    });
    this.#writePerformative(s.localChannel, { kind: 'detach', handle: localHandle, closed: true, error });
  }

  /** The peer sends: a target address (queue, topic, temporary), no address (anonymous relay) or a coordinator. */
  async #attachReceiver(s: AmqpSession, a: Attach, localHandle: number): Promise<void> {
    const amq = this.#connection();
    let target: Destination | undefined;
    let coordinator: Coordinator | undefined;
    let targetReply: AttachInit['target'];
    if (a.target === undefined) {
      throw sessionError.link(CONDITION.INVALID_FIELD, 'a sender link needs a target');
    } else if (a.target.kind === 'coordinator') {
      coordinator = new Coordinator(amq, this.#transactions);
      targetReply = { kind: 'coordinator', capabilities: ['amqp:local-transactions'] };
    } else if (a.target.dynamic) {
      target = this.#createTemporary(amq, temporaryKind(a.target.capabilities, a.target.dynamicNodeProperties));
      targetReply = { ...targetInit(a.target), address: formatAmqpAddress(target) };
    } else if (typeof a.target.address === 'string') {
      target = parseAmqpAddress(a.target.address, defaultKind(a.target.capabilities));
      checkSendDestination(target);
      targetReply = targetInit(a.target);
    } else if (a.target.address === undefined || a.target.address === null) {
      targetReply = targetInit(a.target);
    } else {
      throw sessionError.link(CONDITION.INVALID_FIELD, 'target address must be a string');
    }
    if (s.state !== 'mapped' || this.#phase !== 'opened') return;
    const link: ReceiverLink = {
      role: 'receiver',
      name: a.name,
      remoteHandle: a.handle,
      localHandle,
      state: 'attached',
      target,
      coordinator,
      rcvSettleMode: a.rcvSettleMode,
      deliveryCount: a.initialDeliveryCount ?? 0,
      credit: 0,
      pendingSends: 0,
      partial: undefined,
    };
    s.links.set(a.handle, link);
    this.#writePerformative(s.localChannel, {
      kind: 'attach',
      name: a.name,
      handle: localHandle,
      role: ROLE.RECEIVER,
      sndSettleMode: a.sndSettleMode,
      rcvSettleMode: a.rcvSettleMode,
      ...(a.source === undefined ? {} : { source: sourceInit(a.source) }),
      ...(targetReply === undefined ? {} : { target: targetReply }),
      maxMessageSize: BigInt(this.#messageSizeMax),
    });
    link.credit = this.#producerCredit;
    this.#writeLinkFlow(s, link);
  }

  /** The peer receives: from a queue, a topic (durable or not), or a dynamic temporary queue. */
  async #attachSender(s: AmqpSession, a: Attach, localHandle: number): Promise<void> {
    const amq = this.#connection();
    const source = a.source;
    if (source === undefined) {
      // Qpid JMS looks a durable subscription up by link name with no source; the engine cannot
      // list subscriptions, so the lookup finds nothing (ActiveMQ answers the same for a missing one).
      throw sessionError.link(CONDITION.NOT_FOUND, 'a receiver link needs a source');
    }
    let destination: Destination;
    if (source.dynamic) {
      destination = this.#createTemporary(amq, temporaryKind(source.capabilities, source.dynamicNodeProperties));
    } else if (typeof source.address === 'string') {
      destination = parseAmqpAddress(source.address, defaultKind(source.capabilities));
    } else {
      throw sessionError.link(CONDITION.INVALID_FIELD, 'source address must be a string');
    }
    // A queue browser (Qpid JMS QueueBrowser): copies of the queue's messages, none consumed. On a
    // topic, copy is what a subscription does anyway: ActiveMQ's AMQP transport makes a browser only
    // of a queue (`distribution-mode == COPY && dest.isQueue()`) and subscribes otherwise; so do we.
    const browsing = source.distributionMode === 'copy' && (destination.kind === 'queue' || destination.kind === 'temp-queue');
    let selector: string | undefined;
    let noLocal = false;
    const acceptedFilters: Array<[AmqpValue, AmqpValue]> = [];
    for (const [key, value] of source.filter?.value ?? []) {
      const descriptor = value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value) && value.type === 'described' ? value.descriptor : undefined;
      const name = descriptorName(descriptor);
      if (name === SELECTOR_FILTER.symbol || name === SELECTOR_FILTER.code) {
        const text = (value as { value: AmqpValue }).value;
        if (typeof text !== 'string') throw sessionError.link(CONDITION.INVALID_FIELD, 'the selector filter must hold a string');
        selector = text;
        acceptedFilters.push([key, value]);
      } else if (name === NO_LOCAL_FILTER.symbol || name === NO_LOCAL_FILTER.code) {
        noLocal = true;
        acceptedFilters.push([key, value]);
      }
      // Other filters are left out of our source: the peer sees they are not applied (section 3.5.3).
    }
    const durable =
      (destination.kind === 'topic' && source.durable !== TERMINUS_DURABILITY.NONE && source.expiryPolicy === TERMINUS_EXPIRY_POLICY.NEVER) || undefined;
    if (durable && amq.clientId === undefined) {
      throw sessionError.link(CONDITION.INVALID_FIELD, 'a durable subscription needs a container-id no other connection uses');
    }
    const presettled = a.sndSettleMode === SENDER_SETTLE_MODE.SETTLED;
    const link: SenderLink = {
      role: 'sender',
      name: a.name,
      remoteHandle: a.handle,
      localHandle,
      state: 'attaching',
      presettled,
      rcvSettleMode: a.rcvSettleMode,
      durableName: durable ? a.name : undefined,
      subscription: undefined,
      deliveryCount: 0,
      credit: 0,
      drain: false,
      drainScheduled: false,
      held: [],
      unsettled: 0,
      engineCredit: 0,
      tagSeq: 0,
      browse: undefined,
    };
    s.links.set(a.handle, link);
    if (browsing) return this.#attachBrowser(s, a, link, source, destination, selector, acceptedFilters);
    try {
      link.subscription = await amq.subscribe(
        {
          id: `amqp10-${++this.#linkSeq}`,
          destination,
          // Pre-settled deliveries are acknowledged as they are written, not as the engine hands them
          // over: one held for credit when the link goes is redelivered, not lost.
          ackMode: 'individual',
          selector,
          // Until the peer's first flow, at most one delivery waits here; credit governs after that.
          prefetch: 1,
          durableName: link.durableName,
          noLocal,
        },
        (delivery) => this.#onEngineDelivery(s, link, delivery),
      );
    } catch (err) {
      s.links.delete(a.handle);
      throw err;
    }
    if (s.state !== 'mapped' || this.#phase !== 'opened' || s.links.get(a.handle) !== link) {
      await link.subscription.close();
      return;
    }
    link.state = 'attached';
    this.#replySenderAttach(s, a, localHandle, senderSourceReply(source, destination, acceptedFilters, undefined));
    // Deliveries that arrived while attaching wait in `held` for credit.
  }

  /**
   * A queue browser: the engine's snapshot of the queue (selector applied) is taken at attach and
   * sent as credit allows, settled or not as the link's snd-settle-mode says; outcomes of browsed
   * messages change nothing in the queue. Once the snapshot is sent, a drain is answered by using
   * up the credit (ActiveMQ's AMQP transport ends a browse the same way), and without drain nothing
   * more is sent.
   */
  async #attachBrowser(
    s: AmqpSession,
    a: Attach,
    link: SenderLink,
    source: Source,
    destination: Destination,
    selector: string | undefined,
    acceptedFilters: Array<[AmqpValue, AmqpValue]>,
  ): Promise<void> {
    const amq = this.#connection();
    let messages: readonly AmqBrowsedMessage[];
    try {
      messages = await amq.browse(destination, { selector });
    } catch (err) {
      s.links.delete(a.handle);
      throw err;
    }
    if (s.state !== 'mapped' || this.#phase !== 'opened' || s.links.get(a.handle) !== link) return;
    link.browse = { messages, next: 0 };
    link.state = 'attached';
    this.#replySenderAttach(s, a, link.localHandle, senderSourceReply(source, destination, acceptedFilters, 'copy'));
  }

  /** The attach that answers a receiving peer's: we are the sender of its link. */
  #replySenderAttach(s: AmqpSession, a: Attach, handle: number, source: SourceInit): void {
    this.#writePerformative(s.localChannel, {
      kind: 'attach',
      name: a.name,
      handle,
      role: ROLE.SENDER,
      sndSettleMode: a.sndSettleMode,
      rcvSettleMode: a.rcvSettleMode,
      source,
      ...(a.target?.kind === 'target' ? { target: targetInit(a.target) } : {}),
      initialDeliveryCount: 0,
    });
  }

  /** Browsed messages not yet sent. */
  #browseLeft(link: SenderLink): number {
    return link.browse === undefined ? 0 : link.browse.messages.length - link.browse.next;
  }

  /**
   * Sends browsed messages while the link has credit, the unsettled limit has room and the stream
   * takes more; then answers a pending drain once nothing is left to send.
   */
  #sendBrowse(s: AmqpSession, link: SenderLink): void {
    const browse = link.browse;
    if (browse === undefined || link.state !== 'attached' || s.state !== 'mapped' || this.#phase !== 'opened') return;
    if (browse.next < browse.messages.length) this.#cork();
    while (link.credit > 0 && browse.next < browse.messages.length && !this.#writePaused && (link.presettled || link.unsettled < this.#unsettledMax)) {
      this.#sendDelivery(s, link, browse.messages[browse.next++]!, undefined);
    }
    if (link.drain) this.#scheduleDrain(s, link);
  }

  async #onDetach(s: AmqpSession, d: Detach): Promise<void> {
    const link = s.links.get(d.handle);
    if (link === undefined) throw sessionError.session(CONDITION.UNATTACHED_HANDLE, `detach of handle ${d.handle}, which is not attached`);
    if (d.error !== undefined) this.#log?.debug({ condition: d.error.condition }, 'amqp10 peer detached a link with an error');
    s.links.delete(d.handle);
    s.localHandles.delete(link.localHandle);
    this.#linkCount--;
    if (link.state === 'detaching') return;
    link.state = 'detaching';
    forgetUnsettled(s, link);
    let error: AmqpErrorInit | undefined;
    try {
      await this.#releaseLink(link, d.closed);
    } catch (err) {
      error = errorReplyFor(err, 'link').error;
    }
    if (s.state !== 'mapped' || this.#phase !== 'opened') return;
    this.#writePerformative(s.localChannel, { kind: 'detach', handle: link.localHandle, closed: d.closed, ...(error === undefined ? {} : { error }) });
  }

  /** Detaches a link with an error from our side; its frames are ignored until the peer's detach. */
  #detachLink(s: AmqpSession, link: Link, error: AmqpErrorInit): void {
    if (link.state === 'detaching') return;
    link.state = 'detaching';
    forgetUnsettled(s, link);
    this.#writePerformative(s.localChannel, { kind: 'detach', handle: link.localHandle, closed: true, error });
    void this.#releaseLink(link, false).catch(() => undefined);
  }

  /** Stops a link's engine side. A closed durable subscription is removed (ActiveMQ's unsubscribe). */
  async #releaseLink(link: Link, closed: boolean): Promise<void> {
    if (link.role === 'receiver') {
      link.partial = undefined;
      link.coordinator?.release();
      return;
    }
    link.held.length = 0;
    link.browse = undefined;
    const subscription = link.subscription;
    link.subscription = undefined;
    if (subscription !== undefined) await subscription.close();
    if (closed && link.durableName !== undefined && this.#amq !== undefined) await this.#amq.unsubscribeDurable(link.durableName);
  }

  // Flow (part 2, section 2.6.7 and 2.5.6)

  #onFlow(s: AmqpSession, f: Flow): void {
    // The peer's incoming window, in our transfer ids (section 2.5.6).
    s.remoteIncomingWindow = f.incomingWindow + (((f.nextIncomingId ?? 0) - s.nextOutgoingId) | 0);
    if (f.handle === undefined) {
      if (f.deliveryCount !== undefined || f.linkCredit !== undefined) throw sessionError.connection(CONDITION.INVALID_FIELD, 'link fields in a session flow');
      this.#flushFrames(s);
      if (f.echo) this.#writeSessionFlow(s);
      return;
    }
    const link = s.links.get(f.handle);
    if (link === undefined) throw sessionError.session(CONDITION.UNATTACHED_HANDLE, `flow for handle ${f.handle}, which is not attached`);
    this.#flushFrames(s);
    if (link.state === 'detaching') return;
    if (link.role === 'receiver') {
      // The peer sends: its delivery-count is the truth (section 2.6.7); our credit stays as granted.
      if (f.deliveryCount !== undefined) link.deliveryCount = f.deliveryCount;
      if (f.echo) this.#writeLinkFlow(s, link);
      return;
    }
    // We send: link-credit(snd) = delivery-count(rcv) + link-credit(rcv) - delivery-count(snd).
    const rcvDeliveryCount = f.deliveryCount ?? 0;
    link.credit = Math.max(0, (f.linkCredit ?? 0) + ((rcvDeliveryCount - link.deliveryCount) | 0));
    link.drain = f.drain;
    this.#sendHeld(s, link);
    this.#sendBrowse(s, link);
    this.#syncCredit(link);
    if (link.drain) this.#scheduleDrain(s, link);
    else if (f.echo) this.#writeLinkFlow(s, link);
  }

  /**
   * Drain: once the engine had a turn to hand over what it has, the credit left is used up by
   * advancing delivery-count, and the flow tells the peer (section 2.6.7).
   */
  #scheduleDrain(s: AmqpSession, link: SenderLink): void {
    if (link.drainScheduled) return;
    link.drainScheduled = true;
    setImmediate(() => {
      link.drainScheduled = false;
      if (!link.drain || link.state !== 'attached' || s.state !== 'mapped' || this.#phase !== 'opened') return;
      // Still sending (the session window or the stream is shut, or the unsettled limit is reached).
      if ((link.held.length > 0 || this.#browseLeft(link) > 0) && link.credit > 0) return;
      link.deliveryCount = (link.deliveryCount + link.credit) >>> 0;
      link.credit = 0;
      this.#syncCredit(link);
      this.#cork();
      this.#writeLinkFlow(s, link);
    });
  }

  #writeSessionFlow(s: AmqpSession, link?: Link): void {
    const flow: FlowInit & { kind: 'flow' } = {
      kind: 'flow',
      nextIncomingId: s.nextIncomingId,
      incomingWindow: s.incomingWindow,
      nextOutgoingId: s.nextOutgoingId,
      outgoingWindow: OUTGOING_WINDOW,
    };
    if (link !== undefined) {
      flow.handle = link.localHandle;
      flow.deliveryCount = link.deliveryCount;
      flow.linkCredit = link.credit;
      if (link.role === 'sender') {
        flow.available = link.held.length + this.#browseLeft(link);
        flow.drain = link.drain;
      }
    }
    this.#writePerformative(s.localChannel, flow);
  }

  #writeLinkFlow(s: AmqpSession, link: Link): void {
    this.#writeSessionFlow(s, link);
  }

  // Transfers from the peer (section 2.6.12)

  #onTransfer(s: AmqpSession, t: Transfer, payload: Buffer): void {
    if (s.incomingWindow <= 0) throw sessionError.session(CONDITION.WINDOW_VIOLATION, 'transfer beyond the incoming window');
    s.nextIncomingId = (s.nextIncomingId + 1) >>> 0;
    s.incomingWindow--;
    if (s.incomingWindow < this.#incomingWindow / 2) {
      s.incomingWindow = this.#incomingWindow;
      this.#writeSessionFlow(s);
    }
    const link = s.links.get(t.handle);
    if (link === undefined) throw sessionError.session(CONDITION.UNATTACHED_HANDLE, `transfer on handle ${t.handle}, which is not attached`);
    if (link.role !== 'receiver') throw sessionError.session(CONDITION.ERRANT_LINK, `transfer on handle ${t.handle}, where the peer receives`);
    if (link.state === 'detaching') return;
    let partial = link.partial;
    if (partial === undefined) {
      if (t.deliveryId === undefined) throw sessionError.connection(CONDITION.INVALID_FIELD, 'the first transfer of a delivery needs a delivery-id');
      if (link.credit <= 0) {
        this.#detachLink(s, link, { condition: CONDITION.TRANSFER_LIMIT_EXCEEDED, description: 'transfer without link credit' });
        return;
      }
      link.credit--;
      link.deliveryCount = (link.deliveryCount + 1) >>> 0;
      partial = { deliveryId: t.deliveryId, settled: t.settled ?? false, state: t.state, chunks: [], size: 0 };
      link.partial = partial;
    } else if (t.deliveryId !== undefined && t.deliveryId !== partial.deliveryId) {
      throw sessionError.connection(CONDITION.INVALID_FIELD, 'delivery-id changed within a multi-frame delivery');
    }
    if (t.aborted) {
      // An aborted delivery is discarded and counts as settled (section 2.6.14).
      link.partial = undefined;
      this.#topUpCredit(s, link);
      return;
    }
    partial.size += payload.length;
    if (partial.size > this.#messageSizeMax) {
      link.partial = undefined;
      this.#detachLink(s, link, {
        condition: CONDITION.MESSAGE_SIZE_EXCEEDED,
        description: `message larger than the max-message-size of ${this.#messageSizeMax} octets`,
      });
      return;
    }
    if (payload.length > 0) partial.chunks.push(payload);
    if (t.settled) partial.settled = true;
    if (t.state !== undefined) partial.state = t.state;
    if (t.more) return;
    link.partial = undefined;
    // The frame's payload is a view of the input buffers: copy once to keep it.
    const whole = partial.chunks.length === 1 ? Buffer.from(partial.chunks[0]!) : Buffer.concat(partial.chunks, partial.size);
    if (link.coordinator !== undefined) {
      this.#onCoordinatorTransfer(s, link, link.coordinator, partial, whole);
      return;
    }
    this.#onMessage(s, link, partial, whole);
  }

  #onMessage(s: AmqpSession, link: ReceiverLink, delivery: PartialTransfer, payload: Buffer): void {
    const amq = this.#connection();
    const txnId = transactionOf(delivery.state);
    let destination: Destination | undefined;
    let message;
    try {
      const decoded = incomingMessage(payload, Date.now());
      message = decoded.message;
      destination = link.target ?? decoded.to;
      if (destination === undefined) throw noDestinationError();
    } catch (err) {
      this.#settleIncomingWithError(s, link, delivery, err);
      return;
    }
    let transaction: string | undefined;
    if (txnId !== undefined) {
      try {
        transaction = this.#transactionName(txnId);
      } catch (err) {
        this.#settleIncomingWithError(s, link, delivery, err);
        return;
      }
    }
    link.pendingSends++;
    amq.send(destination, message, transaction === undefined ? undefined : { transaction }).then(
      () => {
        link.pendingSends--;
        if (!delivery.settled && link.state === 'attached' && s.state === 'mapped') this.#queueAccepted(s, link, delivery.deliveryId, txnId);
        this.#topUpCredit(s, link);
      },
      (err: unknown) => {
        link.pendingSends--;
        this.#settleIncomingWithError(s, link, delivery, err);
        this.#topUpCredit(s, link);
      },
    );
    this.#topUpCredit(s, link);
  }

  /** A message the engine refused: rejected with the error, or for a settled one, the link detached. */
  #settleIncomingWithError(s: AmqpSession, link: ReceiverLink, delivery: PartialTransfer, err: unknown): void {
    if (link.state !== 'attached' || s.state !== 'mapped' || this.#phase !== 'opened') return;
    const reply = deliveryErrorReplyFor(err);
    if (reply.internal) this.#log?.warn({ condition: reply.error.condition }, 'amqp10 a message could not be stored');
    this.#cork();
    if (reply.scope === 'connection') {
      this.#closeConnection(reply.error);
      return;
    }
    if (!delivery.settled) {
      this.#writePerformative(s.localChannel, {
        kind: 'disposition',
        role: ROLE.RECEIVER,
        first: delivery.deliveryId,
        settled: true,
        state: { kind: 'rejected', error: reply.error },
      });
      return;
    }
    // A pre-settled message cannot be rejected: the sender learns of the refusal by the detach.
    this.#detachLink(s, link, reply.error);
  }

  /** Grants a sender link more credit once half is used, unless too many messages wait for the store. */
  #topUpCredit(s: AmqpSession, link: ReceiverLink): void {
    if (link.state !== 'attached' || s.state !== 'mapped' || this.#phase !== 'opened') return;
    if (link.credit > this.#producerCredit / 2 || link.pendingSends > this.#producerCredit) return;
    link.credit = this.#producerCredit;
    this.#cork();
    this.#writeLinkFlow(s, link);
  }

  /** Accepted dispositions go out as ranges once per turn of the event loop. */
  #queueAccepted(s: AmqpSession, link: ReceiverLink, deliveryId: number, txnId: AmqpValue | undefined): void {
    s.acceptedPending.push({ deliveryId, settled: link.rcvSettleMode === RECEIVER_SETTLE_MODE.FIRST, txnId });
    if (s.acceptedFlushScheduled) return;
    s.acceptedFlushScheduled = true;
    setImmediate(() => this.#flushAccepted(s));
  }

  #flushAccepted(s: AmqpSession): void {
    s.acceptedFlushScheduled = false;
    const pending = s.acceptedPending.splice(0);
    if (s.state !== 'mapped' || this.#phase !== 'opened' || pending.length === 0) return;
    pending.sort((x, y) => x.deliveryId - y.deliveryId);
    this.#cork();
    let i = 0;
    while (i < pending.length) {
      const first = pending[i]!;
      let last = first;
      let j = i + 1;
      while (j < pending.length && first.txnId === undefined && pending[j]!.txnId === undefined && pending[j]!.deliveryId === last.deliveryId + 1 && pending[j]!.settled === first.settled) {
        last = pending[j]!;
        j++;
      }
      const disposition: DispositionInit & { kind: 'disposition' } = {
        kind: 'disposition',
        role: ROLE.RECEIVER,
        first: first.deliveryId,
        settled: first.settled,
        state: first.txnId === undefined ? { kind: 'accepted' } : { kind: 'transactional-state', txnId: first.txnId, outcome: { kind: 'accepted' } },
      };
      if (last !== first) disposition.last = last.deliveryId;
      this.#writePerformative(s.localChannel, disposition);
      i = j;
    }
  }

  // Transactions (part 4): see transactions.ts

  #onCoordinatorTransfer(s: AmqpSession, link: ReceiverLink, coordinator: Coordinator, delivery: PartialTransfer, payload: Buffer): void {
    coordinator.handle(payload).then(
      (state) => {
        if (link.state !== 'attached' || s.state !== 'mapped' || this.#phase !== 'opened') return;
        this.#cork();
        this.#writePerformative(s.localChannel, { kind: 'disposition', role: ROLE.RECEIVER, first: delivery.deliveryId, settled: true, state });
      },
      (err: unknown) => this.#settleIncomingWithError(s, link, delivery, err),
    );
    this.#topUpCredit(s, link);
  }

  #transactionName(txnId: AmqpValue): string {
    const name = Buffer.isBuffer(txnId) ? this.#transactions.get(txnId.toString('hex')) : undefined;
    if (name === undefined) throw sessionError.delivery(CONDITION.UNKNOWN_ID, 'unknown transaction id');
    return name;
  }

  // Deliveries to the peer

  #onEngineDelivery(s: AmqpSession, link: SenderLink, delivery: AmqDelivery): void {
    link.engineCredit = Math.max(0, link.engineCredit - 1);
    if (link.subscription === undefined && link.state !== 'attaching') return;
    if (link.state === 'attached' && link.held.length === 0 && link.credit > 0 && s.state === 'mapped' && this.#phase === 'opened') {
      this.#cork();
      this.#sendDelivery(s, link, delivery, delivery.token);
    } else {
      link.held.push(delivery);
    }
    this.#syncCredit(link);
  }

  #sendHeld(s: AmqpSession, link: SenderLink): void {
    if (link.held.length === 0) return;
    this.#cork();
    while (link.credit > 0 && link.held.length > 0) {
      const delivery = link.held.shift()!;
      this.#sendDelivery(s, link, delivery, delivery.token);
    }
  }

  /** Sends one message; `token` is the engine's (undefined for a browsed message: nothing to settle). */
  #sendDelivery(s: AmqpSession, link: SenderLink, delivery: AmqBrowsedMessage, token: number | undefined): void {
    const deliveryId = s.nextDeliveryId;
    s.nextDeliveryId = (s.nextDeliveryId + 1) >>> 0;
    link.credit--;
    link.deliveryCount = (link.deliveryCount + 1) >>> 0;
    const tag = Buffer.allocUnsafe(4);
    tag.writeUInt32BE(link.tagSeq);
    link.tagSeq = (link.tagSeq + 1) >>> 0;
    const transfer: TransferInit = { handle: link.localHandle, deliveryId, deliveryTag: tag, messageFormat: 0, settled: link.presettled };
    const frames = encodeTransferFrames(s.localChannel, transfer, outgoingPayload(delivery, Date.now()), this.#peerFrameSizeMax);
    for (const f of frames) this.#sendTransferFrame(s, f);
    if (link.presettled) {
      if (token === undefined) return;
      try {
        this.#amq?.ack(token);
      } catch (err) {
        if (!(err instanceof AmqError)) throw err;
      }
      return;
    }
    s.unsettled.set(deliveryId, { link, token });
    link.unsettled++;
  }

  #sendTransferFrame(s: AmqpSession, frame: Buffer): void {
    if (s.frameQueue.length > 0 || s.remoteIncomingWindow <= 0) {
      s.frameQueue.push(frame);
      return;
    }
    s.remoteIncomingWindow--;
    s.nextOutgoingId = (s.nextOutgoingId + 1) >>> 0;
    this.#write(frame);
  }

  #flushFrames(s: AmqpSession): void {
    if (s.frameQueue.length === 0) return;
    this.#cork();
    while (s.frameQueue.length > 0 && s.remoteIncomingWindow > 0) {
      s.remoteIncomingWindow--;
      s.nextOutgoingId = (s.nextOutgoingId + 1) >>> 0;
      this.#write(s.frameQueue.shift()!);
    }
  }

  /**
   * Tells the engine how many more deliveries this link takes: the link credit not already covered
   * by held deliveries, and no more than the unsettled limit leaves room for.
   */
  #syncCredit(link: SenderLink): void {
    const subscription = link.subscription;
    if (subscription === undefined || link.state !== 'attached') return;
    const room = link.presettled ? Infinity : this.#unsettledMax - link.unsettled;
    // While the peer does not read what we wrote, the engine hands over nothing more: a slow
    // consumer with a large credit must not pile its queue up in this process.
    const want = this.#writePaused ? 0 : Math.max(0, Math.min(link.credit - link.held.length, room - link.held.length));
    if (want === link.engineCredit) return;
    link.engineCredit = want;
    subscription.setCredit(want);
  }

  // Dispositions from the peer (section 2.7.6)

  #onDisposition(s: AmqpSession, d: Disposition): void {
    if (d.role === ROLE.SENDER) {
      // The peer settles its own deliveries (receiver-settle-mode second): nothing of ours is held.
      return;
    }
    const amq = this.#connection();
    const last = d.last ?? d.first;
    const span = (last - d.first) >>> 0;
    const ids: number[] = [];
    if (span < s.unsettled.size * 2 + 16) {
      for (let i = 0; i <= span; i++) {
        const id = (d.first + i) >>> 0;
        if (s.unsettled.has(id)) ids.push(id);
      }
    } else {
      for (const id of s.unsettled.keys()) if (((id - d.first) >>> 0) <= span) ids.push(id);
    }
    let state = d.state;
    let transaction: string | undefined;
    if (state?.kind === 'transactional-state') {
      transaction = this.#transactionName(state.txnId);
      state = state.outcome;
    }
    if (state?.kind === 'received' || (state === undefined && !d.settled)) return;
    const settledByUs: number[] = [];
    const touched = new Set<SenderLink>();
    for (const id of ids) {
      const u = s.unsettled.get(id)!;
      s.unsettled.delete(id);
      u.link.unsettled--;
      touched.add(u.link);
      if (!d.settled) settledByUs.push(id);
      // A browsed message was not taken from the queue: its outcome changes nothing.
      if (u.link.state !== 'attached' || u.token === undefined) continue;
      const options = transaction === undefined ? undefined : { transaction };
      try {
        if (state === undefined || state.kind === 'accepted') amq.ack(u.token, options);
        else if (state.kind === 'rejected') amq.nack(u.token, { ...options, poison: true });
        else if (state.kind === 'modified' && state.undeliverableHere) amq.nack(u.token, { ...options, poison: true });
        else amq.nack(u.token, options);
      } catch (err) {
        if (!(err instanceof AmqError)) throw err;
        this.#log?.debug({ code: err.code }, 'amqp10 settlement refused by the engine');
      }
    }
    // Receiver-settle-mode second: the peer waits for us to settle what it has given an outcome.
    if (settledByUs.length > 0) {
      for (const [first, lastId] of ranges(settledByUs)) {
        this.#writePerformative(s.localChannel, {
          kind: 'disposition',
          role: ROLE.SENDER,
          first,
          ...(lastId === first ? {} : { last: lastId }),
          settled: true,
        });
      }
    }
    for (const link of touched) {
      if (link.browse !== undefined) this.#sendBrowse(s, link);
      else this.#syncCredit(link);
    }
  }

  // Errors

  /** An error while handling a frame on session `s`: end the session, detach a link, or close. */
  #failIn(s: AmqpSession, err: unknown): void {
    const reply = errorReplyFor(err);
    if (reply.scope === 'session' || reply.scope === 'link' || reply.scope === 'delivery') {
      this.#log?.debug({ condition: reply.error.condition }, 'amqp10 session error');
      this.#endSession(s, reply.error);
      return;
    }
    throw err;
  }

  #fail(err: unknown, frame?: Amqp10Frame): void {
    const reply: ErrorReply = errorReplyFor(err);
    if (reply.internal) this.#log?.error({ err: err instanceof Error ? { name: err.name, message: err.message } : {}, frame: frame?.type }, 'amqp10 internal error');
    else this.#log?.debug({ condition: reply.error.condition, description: reply.error.description }, 'amqp10 closing on a peer error');
    if (reply.scope !== 'connection' && frame?.type === 'amqp') {
      const s = this.#sessions.get(frame.channel);
      if (s !== undefined) {
        this.#endSession(s, reply.error);
        return;
      }
    }
    if (this.#phase === 'sasl-header' && err instanceof Error && 'code' in err && err.code === 'PROTOCOL_HEADER_MISMATCH') {
      // Not AMQP at all: our header says what we speak (part 2, section 2.2), then the stream ends.
      this.#refuseHeader(SASL_PROTOCOL_HEADER);
      return;
    }
    if (this.#phase === 'amqp-header' && err instanceof Error && 'code' in err && err.code === 'PROTOCOL_HEADER_MISMATCH') {
      this.#refuseHeader(AMQP_PROTOCOL_HEADER);
      return;
    }
    if (this.#phase === 'open' || this.#phase === 'opening' || this.#phase === 'opened') {
      this.#closeConnection(reply.error);
      // The decoder is done after a decode error: the peer's close cannot be read, so end now.
      if (err instanceof Amqp10DecodeError) this.#endStream();
      return;
    }
    // In SASL there is no close: the stream ends.
    this.#endStream();
  }

  /**
   * A dynamic node. The engine keeps a connection's temporary destinations until it closes, so
   * their number per connection is limited (as the STOMP session's temporaryDestinationsMax).
   */
  #createTemporary(amq: AmqConnection, kind: 'temp-queue' | 'temp-topic'): Destination {
    if (this.#temporaries >= this.#temporariesMax) {
      throw sessionError.link(CONDITION.RESOURCE_LIMIT_EXCEEDED, `a connection may create at most ${this.#temporariesMax} dynamic nodes`);
    }
    const destination = amq.createTemporary(kind);
    this.#temporaries++;
    return destination;
  }

  #connection(): AmqConnection {
    if (this.#amq === undefined) throw sessionError.connection(CONDITION.ILLEGAL_STATE, 'the connection is not open');
    return this.#amq;
  }

  // Output

  #writePerformative(channel: number, p: PerformativeInit): void {
    this.#write(encodeFrame(channel, p, undefined, this.#peerFrameSizeMax));
  }

  #cork(): void {
    if (this.#corked || this.#stream.destroyed) return;
    this.#corked = true;
    this.#stream.cork();
    process.nextTick(() => {
      this.#corked = false;
      this.#stream.uncork();
    });
  }

  #write(buf: Buffer): void {
    if (this.#phase === 'closed' || this.#stream.destroyed || this.#stream.writableEnded) return;
    this.#cork();
    this.#lastWriteMs = Date.now();
    this.#stream.write(buf);
    if (!this.#writePaused && this.#stream.writableLength > WRITE_BUFFER_PAUSE_BYTES) {
      // The peer reads slower than we write: stop reading its requests until it catches up.
      this.#writePaused = true;
      this.#stream.pause();
      for (const s of this.#sessions.values()) {
        for (const link of s.links.values()) if (link.role === 'sender') this.#syncCredit(link);
      }
    }
  }

  #onWriteDrain(): void {
    if (!this.#writePaused) return;
    this.#writePaused = false;
    if (!this.#busy && !this.#stream.destroyed) this.#stream.resume();
    for (const s of this.#sessions.values()) {
      for (const link of s.links.values()) {
        if (link.role !== 'sender') continue;
        if (link.browse !== undefined) this.#sendBrowse(s, link);
        else this.#syncCredit(link);
      }
    }
  }

  /** Ends our side of the stream; destroys it if the peer does not end its side in time. */
  #endStream(): void {
    this.#inputStopped = true;
    if (this.#phase !== 'closed') this.#phase = 'closing';
    if (!this.#stream.writableEnded) this.#stream.end();
    this.#closeTimer ??= setTimeout(() => this.#destroy(), this.#closeTimeoutMs);
    this.#closeTimer.unref?.();
    void this.#releaseEngine();
  }

  #destroy(): void {
    if (!this.#stream.destroyed) this.#stream.destroy();
  }

  #releaseEngine(): Promise<void> {
    this.#releasing ??= this.#doReleaseEngine();
    return this.#releasing;
  }

  async #doReleaseEngine(): Promise<void> {
    clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
    clearTimeout(this.#handshakeTimer);
    const amq = this.#amq;
    const sasl = this.#saslConnection;
    this.#amq = undefined;
    this.#saslConnection = undefined;
    for (const s of this.#sessions.values()) {
      for (const l of s.links.values()) {
        l.state = 'detaching';
        if (l.role === 'receiver') l.coordinator?.release();
        else {
          l.held.length = 0;
          l.browse = undefined;
        }
      }
    }
    try {
      await Promise.all([amq?.close(), sasl?.close()]);
    } catch (err) {
      this.#log?.debug({ code: err instanceof AmqError ? err.code : undefined }, 'amqp10 engine connection close failed');
    }
  }

  async #cleanup(): Promise<void> {
    if (this.#cleanedUp) return;
    this.#cleanedUp = true;
    this.#phase = 'closed';
    this.#inputStopped = true;
    clearTimeout(this.#closeTimer);
    await this.#releaseEngine();
    this.#sessions.clear();
    this.#resolveClosed();
  }
}

// Helpers

function descriptorName(d: AmqpValue | undefined): string | bigint | undefined {
  if (d === undefined || d === null || typeof d !== 'object' || Array.isArray(d) || Buffer.isBuffer(d)) return undefined;
  if (d.type === 'symbol') return d.value;
  if (d.type === 'ulong') return d.value;
  return undefined;
}

/** Qpid JMS names the kind of a bare address with a terminus capability. */
function defaultKind(capabilities: readonly string[] | undefined): DestinationKind {
  if (capabilities?.includes('topic')) return 'topic';
  if (capabilities?.includes('temporary-topic')) return 'temp-topic';
  if (capabilities?.includes('temporary-queue')) return 'temp-queue';
  return 'queue';
}

function temporaryKind(capabilities: readonly string[] | undefined, _properties: AmqpMap | undefined): 'temp-queue' | 'temp-topic' {
  return capabilities?.includes('temporary-topic') ? 'temp-topic' : 'temp-queue';
}

function sourceInit(s: Source): SourceInit {
  const { kind: _kind, ...rest } = s;
  return rest as SourceInit;
}

function targetInit(t: Target): TargetInit & { kind: 'target' } {
  const { kind: _kind, ...rest } = t;
  return { ...rest, kind: 'target' };
}

function transactionOf(state: Transfer['state']): AmqpValue | undefined {
  return state?.kind === 'transactional-state' ? state.txnId : undefined;
}

/** Drops a detached link's unsettled deliveries: the engine redelivers them when its subscription closes. */
function forgetUnsettled(s: AmqpSession, link: Link): void {
  if (link.role !== 'sender' || link.unsettled === 0) return;
  for (const [id, u] of s.unsettled) if (u.link === link) s.unsettled.delete(id);
  link.unsettled = 0;
}

/** Sorted ids as [first, last] runs of consecutive numbers. */
function ranges(ids: number[]): Array<[number, number]> {
  const sorted = [...ids].sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  for (const id of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && id === last[1] + 1) last[1] = id;
    else out.push([id, id]);
  }
  return out;
}

/** Starts an AMQP 1.0 session on a byte stream (a TLS socket, or a WebSocket stream). */
export function createAmqp10Session(stream: Duplex, options: Amqp10SessionOptions): Amqp10Session {
  return new Amqp10Session(stream, options);
}

/**
 * The source of the attach answering a receiving peer: its own source as asked, with the address
 * resolved, the outcomes we support, the filters we applied (only those), and for a queue browser
 * distribution-mode copy.
 */
function senderSourceReply(source: Source, destination: Destination, acceptedFilters: Array<[AmqpValue, AmqpValue]>, distributionMode: 'copy' | undefined): SourceInit {
  const reply: SourceInit = {
    ...sourceInit(source),
    address: formatAmqpAddress(destination),
    ...(distributionMode === undefined ? {} : { distributionMode }),
    outcomes: SUPPORTED_OUTCOMES,
    defaultOutcome: { kind: 'modified', deliveryFailed: true },
  };
  if (acceptedFilters.length > 0) reply.filter = { type: 'map', value: acceptedFilters };
  else delete reply.filter;
  return reply;
}

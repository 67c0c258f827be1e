// Real clients against an ACTIVEMQ broker run by `sealmq serve`, for the service, cross-protocol,
// TLS and wss suites: an ACTIVEMQ broker created through @aws-sdk/client-mq and its endpoints (and
// ActiveMqService, a suite's server with its broker, started and stopped in one place), and
// stompit (STOMP over TLS), MQTT.js (MQTT 3.1.1 and 5 over TLS and wss), rhea (AMQP 1.0 over TLS)
// and @stomp/stompjs on a ws WebSocket (STOMP over wss), each reduced to connect, send and receive.
// Every wait has a deadline so a lost message fails the test instead of hanging it.

import { createRequire } from 'node:module';
import { CreateBrokerCommand, DescribeBrokerCommand, RebootBrokerCommand, type DescribeBrokerResponse, type MqClient } from '@aws-sdk/client-mq';
import { Client as StompjsClient, type IMessage } from '@stomp/stompjs';
import mqtt, { type IClientOptions, type IConnackPacket, type MqttClient } from 'mqtt';
import rhea, { type Connection as RheaConnection, type EventContext, type Message as RheaMessage } from 'rhea';
import { WebSocket } from 'ws';
import { mqClient, startServer, type RunningServer, type StartServerOptions } from '../../helpers/server.ts';
import { waitForBrokerState } from '../../helpers/mq-brokers.ts';

const WAIT_MS = 20_000;

/** Resolves with `promise`, or rejects naming `what` after the deadline. */
export async function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Collects what a subscription receives, in order. */
export class Inbox<T> {
  readonly #items: T[] = [];
  #waiters: (() => void)[] = [];
  readonly all: T[] = [];

  readonly push = (item: T): void => {
    this.#items.push(item);
    this.all.push(item);
    for (const wake of this.#waiters.splice(0)) wake();
  };

  async next(what = 'a message'): Promise<T> {
    return within(
      (async () => {
        while (this.#items.length === 0) await new Promise<void>((resolve) => this.#waiters.push(resolve));
        return this.#items.shift()!;
      })(),
      what,
    );
  }

  async take(n: number, what = `${n} messages`): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(await this.next(what));
    return out;
  }
}

// ---- the broker ----

export interface ActiveMqEndpoints {
  readonly amqp: number;
  readonly stomp: number;
  readonly mqtt: number;
  readonly wss: number;
  /** DescribeBroker's brokerInstances[0].endpoints as given. */
  readonly urls: readonly string[];
}

export interface ActiveMqUser {
  readonly username: string;
  readonly password: string;
}

/** CreateBroker ACTIVEMQ (service-owned key) with `user` (and `extra.users`); resolves with its id once RUNNING. */
export async function createActiveMqBroker(
  mq: MqClient,
  name: string,
  user: ActiveMqUser & { groups?: string[] },
  extra: { configuration?: { Id: string; Revision: number }; users?: (ActiveMqUser & { groups?: string[] })[] } = {},
): Promise<string> {
  const created = await mq.send(
    new CreateBrokerCommand({
      BrokerName: name,
      EngineType: 'ACTIVEMQ',
      EngineVersion: '5.18',
      HostInstanceType: 'mq.m5.large',
      DeploymentMode: 'SINGLE_INSTANCE',
      PubliclyAccessible: false,
      AutoMinorVersionUpgrade: true,
      EncryptionOptions: { UseAwsOwnedKey: true },
      Users: [user, ...(extra.users ?? [])].map((u) => ({ Username: u.username, Password: u.password, Groups: u.groups ?? ['admins'], ConsoleAccess: false })),
      ...(extra.configuration !== undefined ? { Configuration: extra.configuration } : {}),
    }),
  );
  const brokerId = created.BrokerId!;
  await waitForState(mq, brokerId, 'RUNNING');
  return brokerId;
}

/** Polls DescribeBroker until the broker is in `state`; fails on CREATION_FAILED. */
export function waitForState(mq: MqClient, brokerId: string, state: string): Promise<DescribeBrokerResponse> {
  return waitForBrokerState(mq, brokerId, state, { waitMs: 60_000 });
}

/** The broker's ports, read from DescribeBroker. */
export async function activeMqEndpoints(mq: MqClient, brokerId: string): Promise<ActiveMqEndpoints> {
  const described = await mq.send(new DescribeBrokerCommand({ BrokerId: brokerId }));
  const urls = described.BrokerInstances?.[0]?.Endpoints ?? [];
  const port = (scheme: string) => {
    const url = urls.find((u) => u.startsWith(`${scheme}://`));
    if (url === undefined) throw new Error(`no ${scheme} endpoint in ${JSON.stringify(urls)}`);
    return Number(new URL(url.replace(/^[^:]+:/, 'https:')).port);
  };
  return { amqp: port('amqp+ssl'), stomp: port('stomp+ssl'), mqtt: port('mqtt+ssl'), wss: port('wss'), urls };
}

export interface ActiveMqServiceOptions {
  /** How to start `sealmq serve` (e.g. its log level). */
  server?: StartServerOptions;
  /** More users (with their groups) at CreateBroker. */
  users?: (ActiveMqUser & { groups?: string[] })[];
  /** Makes the configuration revision the broker is created with (e.g. with authorization entries). */
  configuration?: (mq: MqClient) => Promise<{ Id: string; Revision: number }>;
}

/**
 * A suite's `sealmq serve` with one ACTIVEMQ broker made through its Amazon MQ API (service-owned
 * key), RUNNING, with its ports read from DescribeBroker. The MQ client and the ports change when
 * the broker is rebooted or the server restarted, so suites read them from here each time.
 */
export class ActiveMqService {
  private constructor(
    readonly server: RunningServer,
    public mq: MqClient,
    readonly brokerId: string,
    public ports: ActiveMqEndpoints,
  ) {}

  /** Starts the server and creates the broker `name` with `user` (and `options.users`). */
  static async start(name: string, user: ActiveMqUser & { groups?: string[] }, options: ActiveMqServiceOptions = {}): Promise<ActiveMqService> {
    const server = await startServer(options.server);
    const mq = mqClient(server);
    try {
      const configuration = await options.configuration?.(mq);
      const brokerId = await createActiveMqBroker(mq, name, user, { ...(configuration !== undefined ? { configuration } : {}), ...(options.users !== undefined ? { users: options.users } : {}) });
      return new ActiveMqService(server, mq, brokerId, await activeMqEndpoints(mq, brokerId));
    } catch (error) {
      mq.destroy();
      await server.stop().catch(() => undefined);
      throw error;
    }
  }

  /** RebootBroker, then waits until the broker runs again and reads its ports again. */
  async rebootBroker(): Promise<void> {
    await this.mq.send(new RebootBrokerCommand({ BrokerId: this.brokerId }));
    await this.#running();
  }

  /** Restarts the whole server on its data directory, with a new MQ client (the old one's connections died with it); waits until the broker runs and reads its ports again. */
  async restartServer(): Promise<void> {
    await this.server.restart();
    this.mq.destroy();
    this.mq = mqClient(this.server);
    await this.#running();
  }

  async #running(): Promise<void> {
    await waitForState(this.mq, this.brokerId, 'RUNNING');
    this.ports = await activeMqEndpoints(this.mq, this.brokerId);
  }

  /** Closes the MQ client and stops the server (it must exit cleanly). */
  async stop(): Promise<void> {
    this.mq.destroy();
    await this.server.stop();
  }
}

// ---- STOMP over TLS: stompit ----

export interface StompitMessage {
  readonly headers: Record<string, string>;
  readString(encoding: string, callback: (error: Error | null, body?: string) => void): void;
}
export interface StompitClient {
  send(headers: Record<string, string>, options?: { onReceipt?: () => void }): { end(chunk?: string | Buffer): void };
  subscribe(headers: Record<string, string>, callback: (error: Error | null, message: StompitMessage) => void): { unsubscribe(headers?: Record<string, string>): void };
  ack(message: StompitMessage): void;
  disconnect(callback?: (error?: Error | null) => void): void;
  destroy(error?: Error): void;
  on(event: 'error', listener: (error: Error) => void): void;
}
const stompit = createRequire(import.meta.url)('stompit') as {
  connect(options: Record<string, unknown>, callback: (error: Error | null, client: StompitClient) => void): StompitClient;
};

/** Connects stompit over TLS; rejects with the ERROR frame's message (e.g. a bad login). */
export function stompConnect(port: number, caPem: string, user: ActiveMqUser, connectHeaders: Record<string, string> = {}): Promise<StompitClient> {
  return within(
    new Promise((resolve, reject) => {
      const client = stompit.connect(
        {
          host: '127.0.0.1',
          port,
          ssl: true,
          ca: [caPem],
          servername: 'localhost',
          timeout: 10_000,
          connectHeaders: { host: 'localhost', login: user.username, passcode: user.password, 'heart-beat': '0,0', ...connectHeaders },
        },
        (error, connected) => {
          if (error !== null) reject(error);
          else resolve(connected);
        },
      );
      // An ERROR frame or the broker going away later must not be an unhandled 'error'.
      client.on('error', () => undefined);
    }),
    'STOMP CONNECTED',
  );
}

/** Sends and resolves on the RECEIPT (the broker has the message safe). */
export function stompSend(client: StompitClient, headers: Record<string, string>, body: string | Buffer): Promise<void> {
  return within(
    new Promise((resolve) => {
      client.send({ ...headers }, { onReceipt: resolve }).end(body);
    }),
    'a STOMP RECEIPT',
  );
}

export interface StompReceived {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Subscribes (ack client-individual unless told); every message is acknowledged once read. */
export function stompSubscribe(client: StompitClient, headers: Record<string, string>): { inbox: Inbox<StompReceived>; unsubscribe(): void } {
  const inbox = new Inbox<StompReceived>();
  const subscription = client.subscribe({ ack: 'client-individual', ...headers }, (error, message) => {
    if (error !== null) return;
    message.readString('utf-8', (readError, body) => {
      if (readError !== null) return;
      if ((headers.ack ?? 'client-individual') !== 'auto') client.ack(message);
      inbox.push({ headers: message.headers, body: body ?? '' });
    });
  });
  return { inbox, unsubscribe: () => subscription.unsubscribe() };
}

export function stompDisconnect(client: StompitClient): Promise<void> {
  return within(new Promise((resolve) => client.disconnect(() => resolve())), 'STOMP DISCONNECT');
}

// ---- MQTT over TLS and wss: MQTT.js ----

export interface MqttReceived {
  readonly topic: string;
  readonly payload: Buffer;
  readonly userProperties: Record<string, string | string[]> | undefined;
  readonly contentType: string | undefined;
  readonly retain: boolean;
  readonly qos: number;
}

/**
 * An MQTT.js client, connected; `url` is mqtts://… or wss://…. The message handler is in place
 * before CONNACK, so what a resumed session delivers right behind it is not missed.
 */
export async function mqttConnect(
  url: string,
  caPem: string,
  user: ActiveMqUser,
  options: IClientOptions = {},
): Promise<{ client: MqttClient; inbox: Inbox<MqttReceived>; connack: IConnackPacket }> {
  const inbox = new Inbox<MqttReceived>();
  const client = mqtt.connect(url, {
    ca: [caPem],
    servername: 'localhost',
    username: user.username,
    password: user.password,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    protocolVersion: 4,
    ...options,
  });
  client.on('message', (topic, payload, packet) =>
    inbox.push({
      topic,
      payload,
      userProperties: packet.properties?.userProperties,
      contentType: packet.properties?.contentType,
      retain: packet.retain,
      qos: packet.qos,
    }),
  );
  const connected = new Promise<IConnackPacket>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
    client.once('close', () => reject(new Error(`MQTT connection to ${url} closed before CONNACK`)));
  });
  try {
    const connack = await within(connected, `MQTT CONNACK from ${url}`);
    client.on('error', () => undefined);
    return { client, inbox, connack };
  } catch (error) {
    client.end(true);
    throw error;
  }
}

// ---- AMQP 1.0 over TLS: rhea ----

export interface AmqpReceived {
  readonly body: unknown;
  readonly message: RheaMessage;
}

export interface AmqpClient {
  readonly connection: RheaConnection;
  /** Sends and resolves once the broker has accepted it (durable unless told). */
  send(address: string, message: Partial<RheaMessage>): Promise<void>;
  /** Opens a receiver (credit 10, each delivery accepted once pushed). */
  receive(address: string, options?: Record<string, unknown>): Promise<Inbox<AmqpReceived>>;
  close(): Promise<void>;
}

/** Connects rhea over TLS with SASL PLAIN; rejects when the broker refuses. */
export async function amqpConnect(port: number, caPem: string, user: ActiveMqUser, containerId?: string): Promise<AmqpClient> {
  const container = rhea.create_container(containerId !== undefined ? { id: containerId } : {});
  const connection = await within(
    new Promise<RheaConnection>((resolve, reject) => {
      const c = container.connect({
        host: '127.0.0.1',
        port,
        transport: 'tls',
        ca: [caPem],
        servername: 'localhost',
        username: user.username,
        password: user.password,
        reconnect: false,
      } as Parameters<typeof container.connect>[0]);
      c.once('connection_open', () => resolve(c));
      c.once('connection_error', (context: EventContext) => reject(new Error(`AMQP connection error: ${String(context.connection.error ?? '')}`)));
      c.once('disconnected', (context: EventContext) => reject(new Error(`AMQP disconnected: ${String(context.error ?? '')}`)));
    }),
    'AMQP open',
  );
  connection.on('error', () => undefined);
  connection.on('disconnected', () => undefined);
  const senders = new Map<string, ReturnType<RheaConnection['open_sender']>>();
  return {
    connection,
    async send(address, message) {
      let sender = senders.get(address);
      if (sender === undefined) {
        sender = connection.open_sender({ target: { address } });
        senders.set(address, sender);
        const opened = sender;
        await within(new Promise<void>((resolve) => opened.once('sendable', () => resolve())), `AMQP credit on ${address}`);
      }
      const delivery = sender.send({ durable: true, ...message } as RheaMessage);
      await within(
        new Promise<void>((resolve, reject) => {
          const link = sender!;
          const onAccepted = (context: EventContext) => {
            if (context.delivery !== delivery) return;
            link.off('accepted', onAccepted);
            link.off('rejected', onRejected);
            resolve();
          };
          const onRejected = (context: EventContext) => {
            if (context.delivery !== delivery) return;
            link.off('accepted', onAccepted);
            link.off('rejected', onRejected);
            reject(new Error(`AMQP delivery rejected: ${JSON.stringify(context.delivery?.remote_state)}`));
          };
          link.on('accepted', onAccepted);
          link.on('rejected', onRejected);
        }),
        `AMQP disposition on ${address}`,
      );
    },
    async receive(address, options = {}) {
      const inbox = new Inbox<AmqpReceived>();
      const receiver = connection.open_receiver({ source: { address }, credit_window: 10, autoaccept: true, ...options });
      receiver.on('message', (context: EventContext) => inbox.push({ body: context.message?.body, message: context.message! }));
      await within(new Promise<void>((resolve) => receiver.once('receiver_open', () => resolve())), `AMQP attach to ${address}`);
      return inbox;
    },
    async close() {
      if (connection.is_closed()) return;
      await within(
        new Promise<void>((resolve) => {
          connection.once('connection_close', () => resolve());
          connection.once('disconnected', () => resolve());
          connection.close();
        }),
        'AMQP close',
      );
    },
  };
}

/** An AMQP 1.0 body as text: a string amqp-value, or data bytes read as UTF-8. */
export function amqpBodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  const typed = body as { typecode?: number; content?: Buffer } | Buffer | undefined;
  if (Buffer.isBuffer(typed)) return typed.toString('utf8');
  if (typed !== undefined && Buffer.isBuffer(typed.content)) return typed.content.toString('utf8');
  throw new Error(`unexpected AMQP body ${JSON.stringify(body)}`);
}

// ---- STOMP over wss: @stomp/stompjs on ws ----

/** A stompjs client over wss (subprotocols v12/v11/v10.stomp), connected. */
export async function stompWssConnect(port: number, caPem: string, user: ActiveMqUser, connectHeaders: Record<string, string> = {}): Promise<StompjsClient> {
  const client = new StompjsClient({
    webSocketFactory: () => new WebSocket(`wss://127.0.0.1:${port}/`, ['v12.stomp', 'v11.stomp', 'v10.stomp'], { ca: caPem }),
    connectHeaders: { host: 'localhost', login: user.username, passcode: user.password, ...connectHeaders },
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    reconnectDelay: 0,
    debug: () => undefined,
  });
  await within(
    new Promise<void>((resolve, reject) => {
      client.onConnect = () => resolve();
      client.onStompError = (frame) => reject(new Error(frame.headers.message ?? 'ERROR'));
      client.onWebSocketClose = () => reject(new Error('closed before CONNECTED'));
      client.activate();
    }),
    'STOMP CONNECTED over wss',
  );
  return client;
}

/** Publishes over stompjs with a receipt. */
export function stompWssSend(client: StompjsClient, destination: string, body: string, headers: Record<string, string> = {}): Promise<void> {
  const receipt = `r-${Math.random().toString(36).slice(2)}`;
  const done = new Promise<void>((resolve) => client.watchForReceipt(receipt, () => resolve()));
  client.publish({ destination, body, headers: { ...headers, receipt } });
  return within(done, 'a STOMP RECEIPT over wss');
}

/** Subscribes over stompjs (auto ack). */
export function stompWssSubscribe(client: StompjsClient, destination: string, headers: Record<string, string> = {}): Inbox<IMessage> {
  const inbox = new Inbox<IMessage>();
  client.subscribe(destination, inbox.push, headers);
  return inbox;
}

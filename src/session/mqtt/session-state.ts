// MQTT session state that outlives a network connection [MQTT-3.1.2-4]: the client's subscriptions,
// the QoS 2 packet ids received and not yet released (so a resent PUBLISH is not forwarded twice
// [MQTT-4.3.3-2]), the QoS 2 packet ids released to the client and not yet completed (PUBREL is sent
// again on reconnect [MQTT-4.4.0-1]) and the packet ids of PUBLISHes in flight, so that the engine's
// redelivery after a reconnect goes out with the same id and DUP set. Messages queued while the
// client is away are not here: they wait in the engine's durable subscriptions. One registry per
// engine, in memory: a broker restart forgets this state, and the session rebuilds the subscriptions
// of a resumed session from the engine's durable subscriptions (session.ts, storedSessionState).

import type { AmqEngine } from '../../core/activemq/api.ts';
import type { QoS } from '../../codec/mqtt/index.ts';

export interface MqttSubscriptionEntry {
  readonly qos: QoS;
  readonly noLocal: boolean;
  readonly retainAsPublished: boolean;
  readonly subscriptionIdentifier: number | undefined;
  /** The engine's durable subscription name, when QoS 1/2 in a session that outlives the connection. */
  readonly durableName: string | undefined;
}

export interface MqttSessionState {
  readonly clientId: string;
  readonly subscriptions: Map<string, MqttSubscriptionEntry>;
  /** Inbound QoS 2: PUBREC sent, PUBREL awaited. */
  readonly inboundQos2: Set<number>;
  /** Outbound QoS 2: PUBREC received, PUBREL sent, PUBCOMP awaited. */
  readonly outboundReleased: Set<number>;
  /** Outbound QoS 1/2 PUBLISH sent and not acknowledged, by `${filter}\0${messageId}`. */
  readonly outboundIds: Map<string, number>;
}

/** What holds a client id: a live connection, or a lingering one (will delay, session expiry). */
export interface MqttSessionOwner {
  /**
   * A new connection with this client id has been accepted: stop, close the network connection
   * (MQTT 5: DISCONNECT 0x8E) and hand over a will that is still due, if any.
   */
  surrender(): Promise<PendingWill | undefined>;
  /**
   * The broker is shutting down (MqttSession.close): end the connection, or the lingering,
   * publishing a will that is still due (a delayed one too), within a short bound.
   */
  close(): Promise<void>;
}

/** A will message not yet published, handed to the connection that takes a session over. */
export interface PendingWill {
  /** MQTT 5 will delay: a resumed session cancels it [MQTT-3.1.3-9]; a new one publishes it. */
  readonly delayed: boolean;
  publishVia(send: (will: WillMessage) => Promise<void>): Promise<void>;
}

export interface WillMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly properties: Record<string, unknown> | undefined;
}

export function newSessionState(clientId: string): MqttSessionState {
  return { clientId, subscriptions: new Map(), inboundQos2: new Set(), outboundReleased: new Set(), outboundIds: new Map() };
}

/** The sessions and owners of one engine's MQTT clients. */
export class MqttSessionRegistry {
  readonly states = new Map<string, MqttSessionState>();
  readonly owners = new Map<string, MqttSessionOwner>();
  /** Client ids a CONNECT is taking over right now (the owner's forced close is expected). */
  readonly #takeovers = new Map<string, number>();
  readonly #watched = new WeakSet<AmqEngine>();

  /**
   * Has every owner shut down when the engine's broker begins to close, before the engine's
   * connections go: a lingering owner (no network connection, so no listener closes it) still
   * publishes its will then. Once per engine.
   */
  watchShutdown(engine: AmqEngine): void {
    if (this.#watched.has(engine)) return;
    this.#watched.add(engine);
    engine.onShutdown(async () => {
      await Promise.all([...this.owners.values()].map((owner) => owner.close().catch(() => undefined)));
    });
  }

  beginTakeover(clientId: string): void {
    this.#takeovers.set(clientId, (this.#takeovers.get(clientId) ?? 0) + 1);
  }

  endTakeover(clientId: string): void {
    const n = (this.#takeovers.get(clientId) ?? 1) - 1;
    if (n <= 0) this.#takeovers.delete(clientId);
    else this.#takeovers.set(clientId, n);
  }

  isTakingOver(clientId: string): boolean {
    return this.#takeovers.has(clientId);
  }

  /** Removes `owner` if it still holds its client id. */
  release(clientId: string, owner: MqttSessionOwner): void {
    if (this.owners.get(clientId) === owner) this.owners.delete(clientId);
  }
}

const registries = new WeakMap<AmqEngine, MqttSessionRegistry>();

/** The registry of an engine's MQTT sessions (one per engine, made on first use). */
export function sessionRegistryFor(engine: AmqEngine): MqttSessionRegistry {
  let registry = registries.get(engine);
  if (registry === undefined) {
    registry = new MqttSessionRegistry();
    registries.set(engine, registry);
  }
  return registry;
}

// The broker core's public surface for sessions and the composition root: construct a Broker on a
// MessageStore, authenticate, connect to a vhost, open channels and drive them. Internals (queues,
// exchanges, vhosts, the persister) stay behind these exports.

export { Broker, DEFAULT_VHOST, type BrokerOptions, type ClientInfo, type QueueStatsEntry, type RecoveryProgress } from './broker.ts';
export {
  BrokerConnection,
  ConsumerChannel,
  type ChannelHandler,
  type ConnectionUser,
  type ConsumeOptions,
  type QueueBehaviour,
  type TxCommitResult,
} from './channel.ts';
export { systemClock, FakeClock, type Clock, type TimerHandle } from './clock.ts';
export { BrokerError, BrokerErrorCode, type BrokerErrorScope } from './errors.ts';
export { ExchangeType } from './exchange.ts';
export { FlowControl, type AlarmResource, type FlowControlOptions } from './flow-control.ts';
export { Overflow } from './queue-arguments.ts';
export type { CoreMessage, MessageFilter } from './queued-message.ts';
export type { ExchangeDeclaration, PublishOutcome, QueueDeclaration, QueueDeclareResult } from './vhost.ts';
export { Permission, UserRegistry, type BrokerUser, type VhostPermissions } from './users.ts';
export {
  defaultBrokerLimits,
  type BrokerCounters,
  type BrokerLimits,
  type Delivery,
  type HeaderTable,
  type HeaderValue,
  type MessagePropertiesCodec,
  type MessageView,
  type PublishedMessage,
} from './types.ts';

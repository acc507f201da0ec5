/**
 * Shardis cluster client SDK: `import { ClusterClient } from 'shardis/client'`.
 * Works against Shardis and real Redis 7 clusters.
 */
export { ClusterClient } from './cluster-client.js';
export type { ClusterClientOptions, ReadFrom, SendOptions, PrimaryNode } from './cluster-client.js';
export type { Pipeline } from './pipeline.js';
export type { MessageListener, PatternListener, SubscribeOptions } from './pubsub.js';
export type { Transaction } from './transaction.js';
export type { ScanOptions } from './scan.js';
export type { TopologyChange, NodeInfo, Shard, NatMap } from './slot-map.js';
export type { SetOptions, ScoredMember, ZAddOptions, ZRangeOptions, Key, Value } from './commands.js';
export type { ConnectionFactory } from './connection-pool.js';
export type { ConnectionOptions, NodeConnection, Entry } from './connection.js';
export type { Arg } from './resp.js';
export {
  ClusterClientError,
  ReplyError,
  MovedError,
  AskError,
  TryAgainError,
  ClusterDownError,
  CrossSlotError,
  ProtocolError,
  ConnectionError,
  CommandTimeoutError,
  ClientClosedError,
  TopologyError,
  MaxRedirectionsError,
} from './errors.js';
export type { Endpoint, Hop } from './errors.js';

import { randomBytes } from 'node:crypto'
import type { Config } from '../config.js'
import type { Logger } from '../log.js'
import type { DocStore } from '../persistence/store.js'
import { Cluster } from './cluster.js'
import { RedisBus } from './redis-bus.js'

/** How long a starting node waits for Redis before it serves anyway (not ready meanwhile). */
const CONNECT_WAIT_MS = 5_000

/**
 * Joins the cluster that `REDIS_URL` and `CLUSTER_CHANNEL_PREFIX` name. A node that cannot
 * reach Redis still starts (its documents come from PostgreSQL) and reports itself not ready
 * until it connects.
 */
export async function startCluster(
  config: Config,
  store: DocStore,
  log: Logger,
  handlers: { linkRevoked?: (id: string) => void } = {},
): Promise<Cluster> {
  if (!config.REDIS_URL) throw new Error('REDIS_URL is not set')
  // A restarted process is a new node, even with the same NODE_ID: its old users are gone.
  const nodeId = `${config.NODE_ID ?? randomBytes(4).toString('hex')}.${randomBytes(3).toString('hex')}`
  const clusterLog = log.child({ node: nodeId })
  const bus = new RedisBus(
    { url: config.REDIS_URL, channelPrefix: config.CLUSTER_CHANNEL_PREFIX },
    clusterLog,
  )
  const cluster = new Cluster(
    bus,
    store,
    {
      nodeId,
      heartbeatIntervalMs: config.CLUSTER_HEARTBEAT_MS,
      nodeTimeoutMs: config.CLUSTER_NODE_TIMEOUT_MS,
      checkIntervalMs: config.CLUSTER_CHECK_INTERVAL_MS,
      ...handlers,
    },
    clusterLog,
  )
  if (!(await cluster.waitConnected(CONNECT_WAIT_MS))) {
    clusterLog.warn('Redis is not reachable yet; serving from PostgreSQL, not ready until it is')
  }
  return cluster
}

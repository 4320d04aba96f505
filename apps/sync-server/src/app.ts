import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { createApiHandler } from './api/routes.js'
import { createAdmin, createAuthorize } from './auth/access.js'
import { HostPolicy } from './auth/hosts.js'
import { Revocations } from './auth/revocations.js'
import { loadSigningKey } from './auth/secret.js'
import { TokenSigner } from './auth/tokens.js'
import type { Config } from './config.js'
import { ApiLimits } from './limits/api-limits.js'
import type { Logger } from './log.js'
import { Metrics } from './metrics/metrics.js'
import { MemoryStore } from './persistence/memory.js'
import { SqliteStore } from './persistence/sqlite.js'
import type { DocStore } from './persistence/store.js'
import { startTrashSweeper } from './persistence/trash.js'
import { clientKey } from './request-url.js'
import { startFileSweeper } from './rooms/file-sweeper.js'
import { Rooms } from './rooms/rooms.js'
import { createRequestHandler } from './transport/http.js'
import { WebSocketTransport } from './transport/websocket.js'
import { Webhooks } from './webhooks/webhooks.js'
import { WorkerFolder } from './workers/folder.js'
import type { Folder } from './workers/jobs.js'

/** The web app built beside this package in the workspace. */
const bundledWebDir = fileURLToPath(new URL('../../web/dist', import.meta.url))

/** A running server. */
export interface Tandem {
  /** Where it listens, e.g. `http://127.0.0.1:1234`. */
  readonly url: URL
  readonly rooms: Rooms
  readonly store: DocStore
  /**
   * Graceful shutdown: stops accepting, stores everything received, closes every socket with
   * 1001, writes what it owes the store (see the comment in its body), closes the store.
   */
  close(): Promise<void>
}

/** What {@link startTandem} may be given instead of making it itself (tests). */
export interface TandemParts {
  /** Folds documents off the event loop; closed by the server's `close`. */
  folder?: Folder & { close(): Promise<void> }
}

/** The store the configuration names: PostgreSQL with `DATABASE_URL`, else SQLite in `DATA_DIR`. */
export async function openStore(config: Config, log: Logger): Promise<DocStore> {
  const commitLog = {
    onError: (err: unknown, attempt: number) =>
      log.error({ err, attempt }, 'storage commit failed; retrying'),
    onRecover: () => log.info('storage commits succeed again'),
  }
  if (config.STORAGE === 'memory') {
    log.warn('STORAGE=memory: documents are lost when the server stops')
    return new MemoryStore()
  }
  if (config.DATABASE_URL) {
    // Loaded only when used: pg is 1.6 MB of heap that a server on SQLite would carry for nothing.
    const { PostgresStore } = await import('./persistence/postgres.js')
    return PostgresStore.connect(config.DATABASE_URL, {
      ...commitLog,
      ...(config.DATABASE_SCHEMA ? { schema: config.DATABASE_SCHEMA } : {}),
      onConnectionError: (err) => log.warn({ err }, 'PostgreSQL connection lost'),
    })
  }
  return SqliteStore.open(config.DATA_DIR, { ...commitLog, synchronous: config.SQLITE_SYNCHRONOUS })
}

/** Composes and starts the server: store → rooms → transport → listening HTTP server. */
export async function startTandem(
  config: Config,
  log: Logger,
  store?: DocStore,
  parts: TandemParts = {},
): Promise<Tandem> {
  const metrics = new Metrics()
  store = metrics.instrument(store ?? (await openStore(config, log)))
  const signer = new TokenSigner(loadSigningKey(config.AUTH_SECRET, config.DATA_DIR))
  // Revoked share links: read from the store now, told by the cluster (assigned below).
  let revocations: Revocations | undefined
  const authorize = createAuthorize(config.AUTH_MODE, signer, config.ADMIN_KEY, (id) =>
    // Until the set is read (before the server listens), nothing is served anyway.
    revocations ? revocations.has(id) : true,
  )
  // The port is known once the server listens; the policy asks for it at each request.
  let boundPort: number | undefined
  const hosts = new HostPolicy({
    listenHost: config.HOST,
    port: () => boundPort,
    allowedHosts: config.ALLOWED_HOSTS ?? [],
    allowedOrigins: config.ALLOWED_ORIGINS ?? null,
  })
  // With REDIS_URL this server is one node of a cluster (config.ts requires DATABASE_URL).
  // The cluster code and ioredis are loaded only then.
  const cluster = config.REDIS_URL
    ? await (await import('./cluster/start.js')).startCluster(config, store, log, {
        linkRevoked: (id) => revocations?.heard(id),
      })
    : null
  const webhooks =
    config.WEBHOOK_URLS?.length && config.WEBHOOK_SECRET
      ? new Webhooks(
          {
            urls: config.WEBHOOK_URLS,
            secret: config.WEBHOOK_SECRET,
            debounceMs: config.WEBHOOK_DEBOUNCE_MS,
            maxWaitMs: config.WEBHOOK_MAX_WAIT_MS,
            maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
            retryDelayMs: config.WEBHOOK_RETRY_DELAY_MS,
            timeoutMs: config.WEBHOOK_TIMEOUT_MS,
            maxQueue: config.WEBHOOK_MAX_QUEUE,
          },
          log,
          metrics,
        )
      : null
  if (webhooks) metrics.trackWebhooks(webhooks)
  // Document-sized work (folds, diffs, text, versions, compaction) runs in worker threads.
  const folder = parts.folder ?? new WorkerFolder(log.child({ component: 'folder' }))
  const rooms = new Rooms(
    store,
    {
      maxAwarenessStateBytes: config.MAX_AWARENESS_STATE_BYTES,
      maxAwarenessClientsPerConnection: config.MAX_AWARENESS_CLIENTS_PER_CONNECTION,
      maxAwarenessClientsPerRoom: config.MAX_AWARENESS_CLIENTS_PER_ROOM,
      updateLimits: {
        maxTypeDepth: config.MAX_TYPE_DEPTH,
        maxDeleteRanges: config.MAX_DELETE_RANGES,
        rootTypes: config.ROOT_TYPES?.length ? new Set(config.ROOT_TYPES) : null,
      },
      pendingTimeoutMs: config.PENDING_UPDATE_TIMEOUT_MS,
      maxPendingBytes: config.MAX_PENDING_UPDATE_BYTES,
      folder,
      compactAfterUpdates: config.COMPACT_AFTER_UPDATES,
      compactQuietMs: config.COMPACT_QUIET_MS,
      quietEchoMs: 10_000,
      unloadDelayMs: config.ROOM_UNLOAD_DELAY_MS,
      versionQuietMs: config.VERSION_QUIET_MS,
      versionMaxIntervalMs: config.VERSION_MAX_INTERVAL_MS,
      attribution: config.ATTRIBUTION !== 'off',
      keepDeletedText: config.ATTRIBUTION === 'on',
      ...(webhooks ? { onChange: webhooks.changed.bind(webhooks) } : {}),
    },
    log,
    cluster ?? undefined,
  )
  metrics.trackRooms(rooms)
  const stopTrashSweeper = startTrashSweeper(
    store,
    { retentionDays: config.TRASH_RETENTION_DAYS },
    log,
  )
  // Files no text or version shows any more go after the trash's retention too.
  const stopFileSweeper = startFileSweeper(
    store,
    {
      retentionDays: config.TRASH_RETENTION_DAYS,
      isOpen: async (doc) => ((await rooms.get(doc))?.size ?? 0) > 0,
      folder,
    },
    log,
  )
  revocations = new Revocations(store, log, (id) => cluster?.publishLinkRevoked(id))
  // In a cluster, the store is read again at every check: a missed message is caught.
  await revocations.start(cluster ? config.CLUSTER_CHECK_INTERVAL_MS : undefined)
  const websockets = new WebSocketTransport(
    rooms,
    {
      maxMessageBytes: config.MAX_MESSAGE_BYTES,
      maxBufferedBytes: config.MAX_BUFFERED_BYTES,
      heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS,
      idleTimeoutMs: config.IDLE_TIMEOUT_MS,
      maxMessagesPerSecond: config.MAX_MESSAGES_PER_SECOND,
      maxBytesPerSecond: config.MAX_BYTES_PER_SECOND,
      maxMessagesPerIpPerSecond: config.MAX_MESSAGES_PER_IP_PER_SECOND,
      maxBytesPerIpPerSecond: config.MAX_BYTES_PER_IP_PER_SECOND,
      rateLimitAbuseWindowMs: config.RATE_LIMIT_ABUSE_WINDOW_MS,
      maxConnectionsPerIp: config.MAX_CONNECTIONS_PER_IP,
      maxConnectionsPerDoc: config.MAX_CONNECTIONS_PER_DOC,
      maxUpgradesPerIpPerMinute: config.MAX_UPGRADES_PER_IP_PER_MINUTE,
      rateLimitCooldownMs: config.RATE_LIMIT_COOLDOWN_MS,
      maxLoadedDocs: config.MAX_LOADED_DOCS,
      trustedProxyHops: config.TRUSTED_PROXY_HOPS,
      hosts,
      authorize,
      metrics,
    },
    log,
  )
  const server: Server = createServer(
    createRequestHandler(
      {
        webDir: config.WEB_DIR ?? bundledWebDir,
        readiness: () => {
          const storage = store.health()
          return storage.ok && cluster ? cluster.health() : storage
        },
        metrics: metrics.registry,
        metricsToken: config.METRICS_TOKEN,
        hostAllowed: (req) => hosts.hostAllowed(req),
        api: createApiHandler({
          rooms,
          store,
          maxBodyBytes: config.API_MAX_BODY_BYTES,
          trashRetentionDays: config.TRASH_RETENTION_DAYS,
          files: {
            maxFileBytes: config.FILE_MAX_BYTES,
            maxDocBytes: config.FILE_MAX_BYTES_PER_DOC,
            types: config.FILE_TYPES,
          },
          attribution: config.ATTRIBUTION !== 'off',
          keepDeletedText: config.ATTRIBUTION === 'on',
          signer,
          revocations,
          admin: createAdmin(config.AUTH_MODE, config.ADMIN_KEY),
          authorize,
          // A browser page of another origin may read what its token allows, never change it.
          originAllowed: (req) => hosts.originAllowed(req),
          limits: new ApiLimits({
            requestsPerMinutePerIp: config.API_MAX_REQUESTS_PER_IP_PER_MINUTE,
            requestsPerMinutePerToken: config.API_MAX_REQUESTS_PER_TOKEN_PER_MINUTE,
            maxConcurrentDocRequests: config.API_MAX_CONCURRENT_DOC_REQUESTS,
            maxConcurrentDocRequestsPerIp: config.API_MAX_CONCURRENT_DOC_REQUESTS_PER_IP,
          }),
          clientKey: (req) => clientKey(req, config.TRUSTED_PROXY_HOPS),
          folder,
          log,
        }),
      },
      log,
    ),
  )
  server.on('upgrade', websockets.handleUpgrade)
  // A revoked link's connections close at once, here and (through the bus) on every node.
  revocations.listen((ids) => websockets.closeLinks(ids))
  server.on('clientError', (err, socket) => {
    log.debug({ err }, 'bad HTTP request')
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.PORT, config.HOST, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  boundPort = address.port
  warnAboutHosts(config, hosts, log)
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = new URL(`http://${host}:${address.port}`)

  let closing: Promise<void> | null = null
  return {
    url,
    rooms,
    store,
    close() {
      closing ??= (async () => {
        stopTrashSweeper()
        stopFileSweeper()
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
        // What shutdown owes the store, all written before it closes: each room stores what it
        // received, closes its peers, waits for its version saves and for a compaction that
        // runs, then compacts what that one did not cover. Their folds still have the workers,
        // which close only after the rooms. A compaction that fails (or a process that exits
        // at SHUTDOWN_TIMEOUT_MS before it commits) loses nothing: it replaces the log in one
        // transaction, so the log keeps every update until it does.
        await rooms.close()
        // After the rooms: their last edits are reported too (their text length is folded).
        await webhooks?.close()
        await cluster?.close()
        revocations.close()
        websockets.close()
        // Only reads can be left: they fall back to folding on the event loop, or fail.
        await folder.close()
        server.closeAllConnections()
        await stopped
        await store.close(config.SHUTDOWN_TIMEOUT_MS)
      })()
      return closing
    },
  }
}

/** Says at start what a self-hoster must configure for the `Host` check (SECURITY.md). */
function warnAboutHosts(config: Config, hosts: HostPolicy, log: Logger): void {
  if (hosts.anyHost) {
    log.warn(
      'ALLOWED_HOSTS=*: every Host name is accepted; pages on other sites can reach this server by DNS rebinding unless a proxy in front checks Host',
    )
    return
  }
  const loopbackOnly = /^(127\.|::1$|\[::1\]$|localhost$)/.test(config.HOST)
  if (!loopbackOnly && !hosts.namesConfigured) {
    log.warn(
      { host: config.HOST },
      'ALLOWED_HOSTS is not set: this server answers to IP addresses and localhost only; requests to it by a DNS name get 421. Set ALLOWED_HOSTS to the names users type (e.g. notes.example.com)',
    )
  }
}

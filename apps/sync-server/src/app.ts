import { existsSync } from 'node:fs'
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { sendError } from './api/http.js'
import { createApiHandler } from './api/routes.js'
import { createAdmin, createAuthorize } from './auth/access.js'
import { HostPolicy } from './auth/hosts.js'
import { Revocations } from './auth/revocations.js'
import { loadSigningKey } from './auth/secret.js'
import { type Authenticate, hookSignIn, type SignInRule } from './auth/sign-in.js'
import { TokenSigner } from './auth/tokens.js'
import { type Config, ConfigError, parseConfig, type TandemSettings } from './config.js'
import { HttpError } from './errors.js'
import { ApiLimits } from './limits/api-limits.js'
import { createLogger, type Logger } from './log.js'
import { Metrics } from './metrics/metrics.js'
import { MemoryStore } from './persistence/memory.js'
import { SqliteStore } from './persistence/sqlite.js'
import type { DocStore } from './persistence/store.js'
import { startTrashSweeper } from './persistence/trash.js'
import { clientKey } from './request-url.js'
import { startFileSweeper } from './rooms/file-sweeper.js'
import { Rooms } from './rooms/rooms.js'
import { createRequestHandler } from './transport/http.js'
import { enterPrefix, normalisePrefix } from './transport/prefix.js'
import { rejectUpgrade, WebSocketTransport } from './transport/websocket.js'
import { type ChangeEvent, Webhooks } from './webhooks/webhooks.js'
import { WorkerFolder } from './workers/folder.js'
import type { Folder } from './workers/jobs.js'

/**
 * The web app built with this package: beside it in the workspace (`apps/web/dist`), or, in the
 * packed package, inside it (`dist/web`, see scripts/pack.mjs).
 */
export const bundledWebDir = [
  fileURLToPath(new URL('../../web/dist', import.meta.url)),
  fileURLToPath(new URL('./web', import.meta.url)),
].find((dir) => existsSync(join(dir, 'index.html')))

/** A running server with its own HTTP server (see {@link startTandem}). */
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

/** What {@link createTandem} may be given instead of making it itself (tests). */
export interface TandemParts {
  /** Folds documents off the event loop; closed by the server's `close`. */
  folder?: Folder & { close(): Promise<void> }
  /** The store, instead of the one the settings name; closed by the server's `close`. */
  store?: DocStore
}

/** A document, as the `onLoad` and `onUnload` hooks are told of it. */
export interface DocumentEvent {
  readonly document: string
}

/**
 * What an application may hook into. Every hook has a small contract (docs/API.md, "Library
 * hooks"); none of them is on the data path: an edit is stored and relayed whatever they do.
 */
export interface TandemHooks {
  /**
   * Decides whether a request may open a document, and as whom: every WebSocket connection,
   * every document a Hocuspocus provider opens, every HTTP API request of a document, unless
   * it carries the admin key or one of Tandem's own tokens (a share link). Replaces
   * `AUTH_MODE`; cannot be combined with `AUTH_CALLBACK_URL` or `AUTH_JWKS_URL`.
   */
  authenticate?: Authenticate
  /**
   * Told when documents change, debounced per document exactly as webhooks are
   * (`WEBHOOK_DEBOUNCE_MS`, `WEBHOOK_MAX_WAIT_MS`), after the edits are stored. Shutdown waits
   * up to 3 s for the promises of its last calls.
   */
  onChange?: (event: ChangeEvent) => void | Promise<void>
  /** Told once a document has been loaded (its first connection or API use). */
  onLoad?: (event: DocumentEvent) => void | Promise<void>
  /** Told once a document has been unloaded, everything it received stored. */
  onUnload?: (event: DocumentEvent) => void | Promise<void>
}

export interface TandemOptions extends TandemHooks {
  /** Where it logs; default: JSON lines on stdout at `LOG_LEVEL` (`LOG_FORMAT`). */
  log?: Logger
}

/** Where Tandem is mounted in a host application's server. */
export interface MountOptions {
  /**
   * The path it answers under, e.g. `/collab`: WebSocket connections to `/collab/<document>`
   * (the Hocuspocus provider at `/collab`), the HTTP API at `/collab/api/…`, health at
   * `/collab/healthz`. Default: the root.
   */
  prefix?: string
}

/**
 * Tandem as a library: one set of documents with its store, rooms and limits, mounted in a
 * host application's HTTP server or in one of its own.
 */
export interface TandemServer {
  readonly config: Config
  readonly rooms: Rooms
  readonly store: DocStore
  /**
   * Mounts Tandem in `server` under `prefix`: its upgrades and requests there are Tandem's,
   * every other one is left to the listeners the server already has (an Express or Fastify
   * app). Host and Origin are checked as for the server alone (`ALLOWED_HOSTS`,
   * `ALLOWED_ORIGINS`). Call before or after `server.listen`, but after the server has its
   * request listener (`createServer(app)`): one added later would see Tandem's requests too.
   */
  attach(server: Server, options?: MountOptions): void
  /**
   * Handles `req` if its path is under `prefix` and returns true (`req.url` then has the prefix
   * taken off); else returns false and leaves it alone: for frameworks that own the request
   * listener (`app.use((req, res, next) => tandem.handleRequest(req, res, { prefix }) || next())`).
   */
  handleRequest(req: IncomingMessage, res: ServerResponse, options?: MountOptions): boolean
  /** Likewise for an `upgrade` event of the HTTP server. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, options?: MountOptions): boolean
  /** Starts an HTTP server of its own on `PORT` and `HOST` (the `tandem serve` process). */
  listen(): Promise<URL>
  /**
   * Graceful shutdown, as for the server alone: stops accepting (a request or upgrade under the
   * prefix gets 503), stores everything received, closes every connection with 1001, lets the
   * last webhooks and `onChange` calls go out, closes the store. An attached host server is
   * left open: it is the application's.
   */
  close(): Promise<void>
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

/**
 * Starts a server of its own on `PORT` and `HOST`, serving the web app built with it unless
 * `WEB_DIR` says otherwise: the `tandem serve` process, and the tests.
 */
export async function startTandem(
  config: Config,
  log: Logger,
  store?: DocStore,
  parts: TandemParts = {},
): Promise<Tandem> {
  const withWeb =
    config.WEB_DIR === undefined && bundledWebDir ? { ...config, WEB_DIR: bundledWebDir } : config
  const tandem = await createTandem(withWeb, { log }, { ...parts, ...(store ? { store } : {}) })
  try {
    const url = await tandem.listen()
    return { url, rooms: tandem.rooms, store: tandem.store, close: () => tandem.close() }
  } catch (err) {
    await tandem.close()
    throw err
  }
}

/**
 * Creates Tandem from `settings`: the environment's settings by the same names, validated the
 * same way (a {@link ConfigError} lists every bad one), with `hooks`. Opens the store; nothing
 * listens until {@link TandemServer.attach} or {@link TandemServer.listen}. The web app is
 * served only if `WEB_DIR` names its directory.
 */
export async function createTandem(
  settings: TandemSettings | Config = {},
  options: TandemOptions = {},
  parts: TandemParts = {},
): Promise<TandemServer> {
  const config = parseConfig(settings as TandemSettings)
  const log = options.log ?? createLogger(config.LOG_LEVEL, undefined, config.LOG_FORMAT)
  if (
    options.authenticate &&
    (config.AUTH_CALLBACK_URL || config.AUTH_JWKS_URL || config.AUTH_PUBLIC_KEY_FILE)
  ) {
    throw new ConfigError([
      'an authenticate hook and AUTH_CALLBACK_URL, AUTH_JWKS_URL or AUTH_PUBLIC_KEY_FILE: set only one way to sign in',
    ])
  }
  const signIn = await createSignIn(config, options.authenticate, log)
  const metrics = new Metrics()
  const store = metrics.instrument(parts.store ?? (await openStore(config, log)))
  const signer = new TokenSigner(loadSigningKey(config.AUTH_SECRET, config.DATA_DIR))
  // Revoked share links: read from the store now, told by the cluster (assigned below).
  let revocations: Revocations | undefined
  const authorize = createAuthorize(
    config.AUTH_MODE,
    signer,
    config.ADMIN_KEY,
    // Until the set is read (before anything is served), nothing is served anyway.
    (id) => (revocations ? revocations.has(id) : true),
    signIn,
  )
  // The port is known once a server listens; the policy asks for it at each request.
  let hostServer: Server | undefined
  const hosts = new HostPolicy({
    listenHost: config.HOST,
    port: () => {
      const address = hostServer?.address()
      return address && typeof address === 'object' ? address.port : undefined
    },
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
  const webhookUrls = config.WEBHOOK_URLS && config.WEBHOOK_SECRET ? config.WEBHOOK_URLS : []
  const webhooks =
    webhookUrls.length > 0 || options.onChange
      ? new Webhooks(
          {
            urls: webhookUrls,
            secret: config.WEBHOOK_SECRET ?? '',
            debounceMs: config.WEBHOOK_DEBOUNCE_MS,
            maxWaitMs: config.WEBHOOK_MAX_WAIT_MS,
            maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
            retryDelayMs: config.WEBHOOK_RETRY_DELAY_MS,
            timeoutMs: config.WEBHOOK_TIMEOUT_MS,
            maxQueue: config.WEBHOOK_MAX_QUEUE,
            ...(options.onChange ? { listener: options.onChange } : {}),
          },
          log,
          metrics,
        )
      : null
  if (webhooks) metrics.trackWebhooks(webhooks)
  const tell = (hook: TandemHooks['onLoad'], name: string, what: string) => {
    if (!hook) return
    ;(async () => hook({ document: name }))().catch((err: unknown) =>
      log.error({ err, doc: name }, `${what} hook failed`),
    )
  }
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
      ...(options.onLoad ? { onLoad: (name: string) => tell(options.onLoad, name, 'onLoad') } : {}),
      ...(options.onUnload
        ? { onUnload: (name: string) => tell(options.onUnload, name, 'onUnload') }
        : {}),
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
  // With a sign-in of the application's, the server-wide API is as in token mode: ADMIN_KEY only.
  const adminMode = signIn ? 'token' : config.AUTH_MODE
  const handleHttp: RequestListener = createRequestHandler(
    {
      webDir: config.WEB_DIR ?? '',
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
        admin: createAdmin(adminMode, config.ADMIN_KEY),
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
  )
  // A revoked link's connections close at once, here and (through the bus) on every node.
  revocations.listen((ids) => websockets.closeLinks(ids))

  let closing: Promise<void> | null = null
  let ownServer: Server | undefined

  const handleRequest = (req: IncomingMessage, res: ServerResponse, mount?: MountOptions) => {
    if (!enterPrefix(req, normalisePrefix(mount?.prefix))) return false
    if (closing) {
      sendError(
        res,
        new HttpError('unavailable', 'the server is shutting down', { 'Retry-After': '5' }),
      )
    } else {
      handleHttp(req, res)
    }
    return true
  }
  const handleUpgrade = (
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    mount?: MountOptions,
  ) => {
    if (!enterPrefix(req, normalisePrefix(mount?.prefix))) return false
    if (closing) rejectUpgrade(socket, 503, 'the server is shutting down', { 'Retry-After': '5' })
    else websockets.handleUpgrade(req, socket, head)
    return true
  }
  const claim = (server: Server) => {
    if (hostServer && hostServer !== server) {
      throw new Error('this Tandem is already mounted in another server; create one per server')
    }
    hostServer = server
  }

  return {
    config,
    rooms,
    store,
    handleRequest,
    handleUpgrade,
    attach(server, mount = {}) {
      const prefix = normalisePrefix(mount.prefix)
      claim(server)
      // Tandem's requests first; everything else to the listeners the server had (the app).
      const others = server.listeners('request') as RequestListener[]
      server.removeAllListeners('request')
      server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        if (handleRequest(req, res, { prefix })) return
        for (const listener of others) listener.call(server, req, res)
      })
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        handleUpgrade(req, socket, head, { prefix })
      })
    },
    async listen() {
      const server = createServer((req, res) => {
        if (!handleRequest(req, res)) res.writeHead(404).end()
      })
      claim(server)
      ownServer = server
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        handleUpgrade(req, socket, head)
      })
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
      warnAboutHosts(config, hosts, log)
      const address = server.address() as AddressInfo
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
      return new URL(`http://${host}:${address.port}`)
    },
    close() {
      closing ??= (async () => {
        stopTrashSweeper()
        stopFileSweeper()
        const server = ownServer
        const stopped = server
          ? new Promise<void>((resolve) => server.close(() => resolve()))
          : Promise.resolve()
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
        server?.closeAllConnections()
        await stopped
        await store.close(config.SHUTDOWN_TIMEOUT_MS)
      })()
      return closing
    },
  }
}

/** The application's sign-in the settings or the hook name, if any. */
async function createSignIn(
  config: Config,
  authenticate: Authenticate | undefined,
  log: Logger,
): Promise<SignInRule | undefined> {
  if (authenticate) return hookSignIn(authenticate, log.child({ component: 'sign-in' }))
  if (config.AUTH_CALLBACK_URL) {
    const { CallbackSignIn } = await import('./auth/callback.js')
    const callback = new CallbackSignIn(
      {
        url: config.AUTH_CALLBACK_URL,
        headers: config.AUTH_CALLBACK_HEADERS,
        cookies: config.AUTH_CALLBACK_COOKIES,
        timeoutMs: config.AUTH_CALLBACK_TIMEOUT_MS,
        cacheMs: config.AUTH_CALLBACK_CACHE_MS,
      },
      log.child({ component: 'sign-in' }),
    )
    return hookSignIn(callback.authenticate, log.child({ component: 'sign-in' }))
  }
  if (config.AUTH_JWKS_URL || config.AUTH_PUBLIC_KEY_FILE) {
    const { jwtSignIn } = await import('./auth/jwt.js')
    try {
      return jwtSignIn(config, log.child({ component: 'sign-in' }))
    } catch (err) {
      // The key file cannot be read, or holds no public key.
      throw new ConfigError([
        `AUTH_PUBLIC_KEY_FILE=${JSON.stringify(config.AUTH_PUBLIC_KEY_FILE)}: ${(err as Error).message}`,
      ])
    }
  }
  return undefined
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

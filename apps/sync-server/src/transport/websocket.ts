import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { parseDocName } from '@tandem/protocol'
import { type WebSocket, WebSocketServer } from 'ws'
import type { AccessRule } from '../auth/access.js'
import type { HostPolicy } from '../auth/hosts.js'
import { type HttpErrorCode, statusOf } from '../errors.js'
import { Cooldowns, Counter, KeyedRateLimiter, Shared } from '../limits/token-bucket.js'
import type { Logger } from '../log.js'
import type { Metrics } from '../metrics/metrics.js'
import { clientKey, requestUrl } from '../request-url.js'
import type { Rooms } from '../rooms/rooms.js'
import { RoomSession } from '../rooms/session.js'
import { Budget, Connection, type ConnectionAccess, type ConnectionEvents } from './connection.js'
import { type DocumentGate, HocuspocusProtocol, StatelessHub } from './hocuspocus.js'

export interface WebSocketOptions {
  maxMessageBytes: number
  maxBufferedBytes: number
  heartbeatIntervalMs: number
  idleTimeoutMs: number
  maxMessagesPerSecond: number
  maxBytesPerSecond: number
  /** What all connections of one address may send together. */
  maxMessagesPerIpPerSecond: number
  maxBytesPerIpPerSecond: number
  /**
   * A connection held back by its own rate for {@link ABUSE_HELD_SHARE} of the last this long
   * is closed with 1008.
   */
  rateLimitAbuseWindowMs: number
  maxConnectionsPerIp: number
  maxConnectionsPerDoc: number
  maxUpgradesPerIpPerMinute: number
  /** How long a token's user is refused after one of its connections was closed for its rate. */
  rateLimitCooldownMs: number
  maxLoadedDocs: number
  /** Reverse proxies in front whose `X-Forwarded-For` entries are trusted. */
  trustedProxyHops: number
  /** The `Host` names the server answers to and the browser origins allowed to connect. */
  hosts: HostPolicy
  /** Asked of an upgrade's request, and of a Hocuspocus document's in-band token. */
  authorize: AccessRule
  metrics: Metrics
}

/**
 * How long a closing handshake may take before the socket is dropped (`ws` waits 30 s by
 * default): a peer we closed has this long to answer before its socket is destroyed.
 */
const CLOSE_TIMEOUT_MS = 2_000

const statusText: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  421: 'Misdirected Request',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
}

/** Answers an upgrade with an HTTP error and ends its socket. */
export function rejectUpgrade(
  socket: Duplex,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body = `${message}\n`
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')
  socket.end(
    `HTTP/1.1 ${status} ${statusText[status] ?? 'Error'}\r\nConnection: close\r\n${extra}` +
      `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
}

/**
 * The WebSocket side of the server. Every upgrade is checked before a socket exists, cheapest
 * check first: origin (403), the address's upgrade rate (429), document name (400), token
 * (401/403), the token user's cooldown after a rate-limit close (429), connection caps (429)
 * and loaded documents (503). Then the socket joins its document's room. The endpoint is `/<document name>`, as for y-websocket.
 *
 * The path `/` is the `@hocuspocus/provider` endpoint: its upgrade runs every check that needs
 * no document (host, origin, upgrade rate, connections of the address); the token, the
 * cooldown and the per-document caps are checked as each document is opened on the socket.
 */
export class WebSocketTransport {
  readonly #wss: WebSocketServer
  readonly #rooms: Rooms
  readonly #log: Logger
  readonly #options: WebSocketOptions
  readonly #heartbeat: NodeJS.Timeout
  readonly #connections = new Set<Connection>()
  readonly #upgrades: KeyedRateLimiter
  readonly #cooldowns: Cooldowns
  readonly #perIp = new Counter()
  readonly #perDoc = new Counter()
  /** What all connections of an address may send together, while it has one. */
  readonly #addressBudgets: Shared<Budget>
  /** The Hocuspocus sockets, for revoked links; and their documents' peers, for stateless. */
  readonly #hocuspocus = new Set<HocuspocusProtocol>()
  readonly #hub = new StatelessHub()
  readonly #gate: DocumentGate
  #nextId = 1

  constructor(rooms: Rooms, options: WebSocketOptions, log: Logger) {
    this.#rooms = rooms
    this.#log = log
    this.#options = options
    this.#upgrades = new KeyedRateLimiter(
      // A burst of ten seconds' worth, not the whole minute's: each upgrade of a flooder
      // brings a fresh message allowance, so reconnecting must not be cheap either.
      Math.max(1, Math.ceil(options.maxUpgradesPerIpPerMinute / 6)),
      options.maxUpgradesPerIpPerMinute / 60,
    )
    this.#cooldowns = new Cooldowns(options.rateLimitCooldownMs)
    this.#addressBudgets = new Shared(
      () =>
        new Budget(
          options.maxMessagesPerIpPerSecond,
          options.maxBytesPerIpPerSecond,
          options.maxMessageBytes,
        ),
    )
    // `closeTimeout` is a ws 8.23 option that @types/ws does not list yet, hence the variable.
    const serverOptions = {
      noServer: true,
      maxPayload: options.maxMessageBytes,
      // Browsers send whole frames; a message in many fragments is someone probing.
      maxFragments: 64,
      maxBufferedChunks: 1024,
      perMessageDeflate: false,
      clientTracking: false,
      closeTimeout: CLOSE_TIMEOUT_MS,
    }
    this.#wss = new WebSocketServer(serverOptions)
    this.#heartbeat = setInterval(() => this.#tick(), options.heartbeatIntervalMs)
    this.#heartbeat.unref()
    this.#gate = {
      authorize: options.authorize.inBand,
      open: (name, userKey, identified) => {
        // Only a token's user is held to a cooldown: an address may be a whole office.
        if (identified && this.#cooldowns.remainingMs(userKey) > 0) return 'rate_limited'
        if (this.#perDoc.get(name) >= options.maxConnectionsPerDoc) return 'rate_limited'
        if (this.#perDoc.get(name) === 0 && rooms.size >= options.maxLoadedDocs) {
          return 'unavailable'
        }
        this.#perDoc.add(name)
        return null
      },
      closed: (name) => this.#perDoc.remove(name),
    }
  }

  /** Number of open connections. */
  get size(): number {
    return this.#connections.size
  }

  /** The `upgrade` handler of the HTTP server. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', (err) => this.#log.debug({ err }, 'upgrade socket error'))
    this.#upgrade(req, socket, head).catch((err: unknown) => {
      this.#log.error({ err }, 'upgrade failed')
      rejectUpgrade(socket, statusOf('unavailable'), 'try again later')
    })
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const ip = clientKey(req, this.#options.trustedProxyHops)
    const refuse = (code: HttpErrorCode, reason: string, headers?: Record<string, string>) => {
      const status = statusOf(code)
      this.#log.info({ ip, status, code, reason }, 'upgrade refused')
      this.#options.metrics.upgradesRefused.labels(String(status)).inc()
      rejectUpgrade(socket, status, reason, headers)
    }
    if (!this.#options.hosts.hostAllowed(req)) {
      return refuse(
        'misdirected_request',
        'this server does not answer to that Host name (ALLOWED_HOSTS)',
      )
    }
    if (!this.#options.hosts.originAllowed(req)) {
      return refuse('origin_not_allowed', 'origin not allowed')
    }
    const waitMs = this.#upgrades.take(ip)
    if (waitMs > 0) {
      return refuse('rate_limited', 'too many connection attempts', {
        'Retry-After': String(Math.ceil(waitMs / 1000)),
      })
    }
    const url = requestUrl(req)
    if (!url) return refuse('bad_request', 'invalid request target')
    if (url.pathname === '/') {
      // A Hocuspocus provider: its documents and tokens come in-band (see #connectHocuspocus).
      if (this.#perIp.get(ip) >= this.#options.maxConnectionsPerIp) {
        return refuse('rate_limited', 'too many connections from this address', {
          'Retry-After': '10',
        })
      }
      if (socket.destroyed) return
      this.#wss.handleUpgrade(req, socket, head, (ws) =>
        this.#connectHocuspocus(ws, socket, ip, req),
      )
      return
    }
    const parsed = parseDocName(url.pathname.slice(1))
    if (!parsed.ok) return refuse('invalid_name', `invalid document name (${parsed.problem})`)
    const name = parsed.name
    const access = await this.#options.authorize(req, name)
    if (!access.ok) return refuse(access.code, access.message)
    // A token's subject (`sub:<sub>`, else one per token) identifies its user: two people
    // called Sam are two users. Without a token, the address stands in for the user.
    const userKey = access.subject ?? `ip:${ip}`
    // Only a token's user is held to a cooldown: an address may be a whole office.
    const cooldownMs = access.user ? this.#cooldowns.remainingMs(userKey) : 0
    if (cooldownMs > 0) {
      return refuse('rate_limited', 'rate limit abused recently; try again later', {
        'Retry-After': String(Math.ceil(cooldownMs / 1000)),
      })
    }
    if (this.#perIp.get(ip) >= this.#options.maxConnectionsPerIp) {
      return refuse('rate_limited', 'too many connections from this address', {
        'Retry-After': '10',
      })
    }
    if (this.#perDoc.get(name) >= this.#options.maxConnectionsPerDoc) {
      return refuse('rate_limited', 'too many connections to this document', {
        'Retry-After': '10',
      })
    }
    if (this.#perDoc.get(name) === 0 && this.#rooms.size >= this.#options.maxLoadedDocs) {
      return refuse('unavailable', 'too many documents open', { 'Retry-After': '30' })
    }
    if (socket.destroyed) return
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      this.#connect(ws, socket, name, ip, {
        readOnly: access.mode === 'view',
        userKey,
        identity: access.user,
        expiresAtMs: access.expiresAtMs,
        linkId: access.linkId,
      })
    })
  }

  /**
   * Closes every connection opened with one of the share links `ids` with 4403 (the links are
   * revoked). Returns how many it closed.
   */
  closeLinks(ids: ReadonlySet<string>): number {
    let closed = 0
    for (const connection of this.#connections) {
      if (connection.linkId === undefined || !ids.has(connection.linkId)) continue
      this.#log.info(
        { conn: connection.id, link: connection.linkId },
        'closing connection: link revoked',
      )
      connection.closeFor('token_revoked')
      closed++
    }
    for (const protocol of this.#hocuspocus) closed += protocol.closeLinks(ids)
    return closed
  }

  /**
   * Makes an accepted socket a {@link Connection} speaking the y-websocket protocol: one
   * document per socket, every frame to that document's room.
   */
  #connect(
    ws: WebSocket,
    socket: Duplex,
    name: string,
    ip: string,
    access: ConnectionAccess,
  ): void {
    const id = `c${this.#nextId++}`
    const log = this.#log.child({ doc: name, conn: id })
    const connection = this.#accept(id, ws, socket, ip, access, log, {
      abused: (c) => {
        // Only a token's user is held to a cooldown: an address may be a whole office.
        if (c.identity) this.#cooldowns.start(c.userKey)
      },
      ended: () => this.#perDoc.remove(name),
    })
    this.#perDoc.add(name)
    log.debug({ readOnly: access.readOnly }, 'connected')
    // Bounded by one maximum-size message while the document loads (SPEC T14).
    const session = new RoomSession(
      this.#rooms,
      name,
      connection,
      this.#options.maxMessageBytes,
      log,
    )
    connection.speak({ receive: (frame) => session.receive(frame), closed: () => session.leave() })
  }

  /**
   * Makes an accepted socket at `/` a {@link Connection} speaking the Hocuspocus protocol: any
   * number of documents, each authenticated in-band and checked as it is opened.
   */
  #connectHocuspocus(ws: WebSocket, socket: Duplex, ip: string, req: IncomingMessage): void {
    const id = `c${this.#nextId++}`
    const log = this.#log.child({ conn: id, protocol: 'hocuspocus' })
    let protocol: HocuspocusProtocol | undefined
    const access: ConnectionAccess = {
      readOnly: false,
      userKey: `ip:${ip}`,
      identity: undefined,
      expiresAtMs: undefined,
      linkId: undefined,
    }
    const connection = this.#accept(id, ws, socket, ip, access, log, {
      abused: () => {
        for (const user of protocol?.identifiedUsers() ?? []) this.#cooldowns.start(user)
      },
      ended: () => {
        if (protocol) this.#hocuspocus.delete(protocol)
      },
    })
    // An application's sign-in sees the socket's upgrade (its cookies) with each document.
    const gate: DocumentGate = {
      ...this.#gate,
      authorize: (token, name) => this.#options.authorize.inBand(token, name, req),
    }
    protocol = new HocuspocusProtocol(
      connection,
      this.#rooms,
      gate,
      this.#hub,
      { maxMessageBytes: this.#options.maxMessageBytes, ip },
      log,
    )
    this.#hocuspocus.add(protocol)
    log.debug('connected')
    connection.speak(protocol)
  }

  /** A {@link Connection} for an accepted socket, counted until it ends. */
  #accept(
    id: string,
    ws: WebSocket,
    socket: Duplex,
    ip: string,
    access: ConnectionAccess,
    log: Logger,
    events: { abused: ConnectionEvents['abused']; ended: () => void },
  ): Connection {
    const connection = new Connection(
      id,
      ws,
      socket,
      access,
      this.#addressBudgets.acquire(ip),
      this.#options,
      {
        abused: events.abused,
        ended: (c, code) => {
          this.#connections.delete(c)
          this.#options.metrics.connections.dec()
          this.#options.metrics.closes.labels(String(code)).inc()
          this.#perIp.remove(ip)
          this.#addressBudgets.release(ip)
          events.ended()
        },
      },
      log,
    )
    this.#connections.add(connection)
    this.#options.metrics.connections.inc()
    this.#perIp.add(ip)
    return connection
  }

  /** Heartbeat: drops connections that missed a pong or completed no message for too long. */
  #tick(): void {
    const nowMs = Date.now()
    for (const connection of this.#connections) {
      // A connection held back for its rate is not read, so its pong waits unread too.
      if (connection.paused) continue
      if (!connection.alive) {
        this.#log.info({ conn: connection.id }, 'dropping connection: no pong')
        connection.terminate()
        continue
      }
      if (nowMs - connection.lastMessageMs > this.#options.idleTimeoutMs) {
        this.#log.info({ conn: connection.id }, 'closing connection: idle')
        connection.closeFor('idle')
        continue
      }
      connection.ping()
    }
  }

  /** Stops the heartbeat and terminates any socket still open (rooms close theirs first). */
  close(): void {
    clearInterval(this.#heartbeat)
    for (const connection of this.#connections) connection.terminate()
    this.#wss.close()
  }
}

import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { CloseCode, closeReason, parseDocName } from '@tandem/protocol'
import { type RawData, WebSocket, WebSocketServer } from 'ws'
import type { Authorize, Identity } from '../auth/access.js'
import type { HostPolicy } from '../auth/hosts.js'
import { type HttpErrorCode, statusOf } from '../errors.js'
import {
  Cooldowns,
  Counter,
  HeldTime,
  KeyedRateLimiter,
  Shared,
  TokenBucket,
} from '../limits/token-bucket.js'
import type { Logger } from '../log.js'
import type { Metrics } from '../metrics/metrics.js'
import { clientKey, requestUrl } from '../request-url.js'
import type { Peer } from '../rooms/peer.js'
import { CorruptDocumentError, type Room } from '../rooms/room.js'
import type { Rooms } from '../rooms/rooms.js'

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
  authorize: Authorize
  metrics: Metrics
}

/**
 * How long a closing handshake may take before the socket is dropped (`ws` waits 30 s by
 * default): a peer we closed has this long to answer before its socket is destroyed.
 */
const CLOSE_TIMEOUT_MS = 2_000

/** The longest delay `setTimeout` honours. */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * Rates are averaged over this window: a connection (or an address) may burst this many
 * seconds' worth before it is held back.
 */
const RATE_WINDOW_SECONDS = 2

/**
 * A connection held back is read again once each of its budgets holds this many seconds' worth,
 * so that a sender over its rate is paused and resumed a few times a second, not per message.
 */
const RESUME_SECONDS = 0.25

/**
 * A connection held back by its own budget for this share of the last `rateLimitAbuseWindowMs`
 * sends faster than its rate without pause: it is closed with 1008.
 */
export const ABUSE_HELD_SHARE = 0.9

/**
 * Frames read while a connection is held back (the rest of one socket read, at most 64 KiB,
 * and the message it completed) wait for the budget; more than one maximum-size message and
 * this much is not a client being slowed down.
 */
const MAX_HELD_EXTRA_BYTES = 1024 * 1024

/** A message and a byte budget, of a connection or of an address. */
class Budget {
  readonly messages: TokenBucket
  readonly bytes: TokenBucket
  readonly #resumeMessages: number
  readonly #resumeBytes: number

  constructor(messagesPerSecond: number, bytesPerSecond: number, maxMessageBytes: number) {
    this.messages = new TokenBucket(messagesPerSecond * RATE_WINDOW_SECONDS, messagesPerSecond)
    // Room for at least one message of the largest size, or it could never be sent.
    this.bytes = new TokenBucket(
      Math.max(maxMessageBytes, bytesPerSecond * RATE_WINDOW_SECONDS),
      bytesPerSecond,
    )
    this.#resumeMessages = Math.max(1, messagesPerSecond * RESUME_SECONDS)
    this.#resumeBytes = Math.max(1, bytesPerSecond * RESUME_SECONDS)
  }

  /** Charges one frame of `bytes`; returns whether the budget is still out of debt. */
  charge(bytes: number, nowMs: number): boolean {
    const messagesLeft = this.messages.debit(1, nowMs)
    const bytesLeft = this.bytes.debit(bytes, nowMs)
    return messagesLeft && bytesLeft
  }

  /** Milliseconds until a connection held back by this budget may be read again. */
  resumeInMs(nowMs: number): number {
    return Math.max(
      this.messages.waitMs(this.#resumeMessages, nowMs),
      this.bytes.waitMs(this.#resumeBytes, nowMs),
    )
  }
}

/** Ends a {@link SocketPeer}'s corked stretch: its frames leave in one write. */
function uncork(socket: Duplex): void {
  socket.uncork()
}

/** Adapts a `ws` socket to the room's {@link Peer}, with the connection's own limits. */
class SocketPeer implements Peer {
  alive = true
  lastMessageMs = Date.now()
  /** The code this server closed the connection with, if it did. */
  closedWith: number | undefined
  /** The id of the share link the connection was opened with, if it was (for revocation). */
  linkId: string | undefined
  /** What this connection may send. */
  readonly budget: Budget
  /** How long this connection was held back by its own budget, lately. */
  readonly held: HeldTime
  /** Set while the connection is not read (held back for its rate): when to look again. */
  resumeTimer: NodeJS.Timeout | undefined
  readonly #ws: WebSocket
  /** The TCP socket under `#ws`, corked while frames are being sent in one tick. */
  readonly #socket: Duplex
  readonly #maxBufferedBytes: number
  readonly #metrics: Metrics

  constructor(
    readonly id: string,
    ws: WebSocket,
    socket: Duplex,
    options: WebSocketOptions,
    readonly readOnly: boolean,
    readonly userKey: string,
    readonly identity: Identity | undefined,
  ) {
    this.#ws = ws
    this.#socket = socket
    this.#maxBufferedBytes = options.maxBufferedBytes
    this.#metrics = options.metrics
    this.budget = new Budget(
      options.maxMessagesPerSecond,
      options.maxBytesPerSecond,
      options.maxMessageBytes,
    )
    this.held = new HeldTime(options.rateLimitAbuseWindowMs)
  }

  /** Whether the connection is held back (not read) for its rate. */
  get paused(): boolean {
    return this.resumeTimer !== undefined
  }

  /** Stops reading the connection; what it sends waits in the kernel, holding it back. */
  pause(): void {
    this.#ws.pause()
  }

  /** Reads the connection again. */
  resume(): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.resume()
  }

  send(frame: Uint8Array): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return
    if (this.#ws.bufferedAmount + frame.length > this.#maxBufferedBytes) {
      // A reader this slow would make us hold unbounded memory. A close frame would wait behind
      // everything queued, so drop the connection now; the client resyncs when it reconnects.
      this.#ws.terminate()
      return
    }
    // Everything sent to this peer until the current tick ends (a commit relays all of its
    // updates in one go) leaves in a single write: one system call instead of one per frame.
    if (this.#socket.writableCorked === 0) {
      this.#socket.cork()
      process.nextTick(uncork, this.#socket)
    }
    this.#ws.send(frame)
    this.#metrics.sent(frame)
  }

  /** Starts the closing handshake with `code`. */
  close(code: number, reason: string): void {
    if (this.#ws.readyState !== WebSocket.OPEN && this.#ws.readyState !== WebSocket.CONNECTING) {
      return
    }
    this.closedWith = code
    this.#ws.close(code, reason)
    // The close frame leaves now, not at the end of the tick: shutting down may destroy the
    // socket before then.
    if (this.#socket.writableCorked > 0) this.#socket.uncork()
  }

  /**
   * Closes with `code` and stops reading: a flooder may have megabytes more on the way, and
   * parsing them would only cost everyone else time. Unread, they wait in the kernel and hold
   * the sender back through TCP. Our side of the stream ends after the close frame, so the
   * peer learns the code at once; `ws` destroys the socket {@link CLOSE_TIMEOUT_MS} later,
   * since the peer's answer is never read.
   */
  shutOut(code: number, reason: string): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return
    this.close(code, reason)
    this.#ws.pause()
    this.#socket.end()
  }
}

const statusText: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  421: 'Misdirected Request',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
}

function rejectUpgrade(
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

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data)
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return data
}

/**
 * The WebSocket side of the server. Every upgrade is checked before a socket exists, cheapest
 * check first: origin (403), the address's upgrade rate (429), document name (400), token
 * (401/403), the token user's cooldown after a rate-limit close (429), connection caps (429)
 * and loaded documents (503). Then the socket joins its document's room. The endpoint is `/<document name>`, as for y-websocket.
 */
export class WebSocketTransport {
  readonly #wss: WebSocketServer
  readonly #rooms: Rooms
  readonly #log: Logger
  readonly #options: WebSocketOptions
  readonly #heartbeat: NodeJS.Timeout
  readonly #peers = new Map<WebSocket, SocketPeer>()
  readonly #upgrades: KeyedRateLimiter
  readonly #cooldowns: Cooldowns
  readonly #perIp = new Counter()
  readonly #perDoc = new Counter()
  /** What all connections of an address may send together, while it has one. */
  readonly #addressBudgets: Shared<Budget>
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
  }

  /** Number of open connections. */
  get size(): number {
    return this.#peers.size
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
      this.#connect(
        ws,
        socket,
        name,
        ip,
        access.mode === 'view',
        userKey,
        access.user,
        access.expiresAtMs,
      )
      const peer = this.#peers.get(ws)
      if (peer && access.linkId !== undefined) peer.linkId = access.linkId
    })
  }

  /**
   * Closes every connection opened with one of the share links `ids` with 4403 (the links are
   * revoked). Returns how many it closed.
   */
  closeLinks(ids: ReadonlySet<string>): number {
    let closed = 0
    for (const peer of this.#peers.values()) {
      if (peer.linkId === undefined || !ids.has(peer.linkId)) continue
      this.#log.info({ conn: peer.id, link: peer.linkId }, 'closing connection: link revoked')
      peer.close(CloseCode.AccessRevoked, closeReason[CloseCode.AccessRevoked])
      closed++
    }
    return closed
  }

  #connect(
    ws: WebSocket,
    socket: Duplex,
    name: string,
    ip: string,
    readOnly: boolean,
    userKey: string,
    identity: Identity | undefined,
    expiresAtMs: number | undefined,
  ): void {
    const peer = new SocketPeer(
      `c${this.#nextId++}`,
      ws,
      socket,
      this.#options,
      readOnly,
      userKey,
      identity,
    )
    const log = this.#log.child({ doc: name, conn: peer.id })
    this.#peers.set(ws, peer)
    this.#options.metrics.connections.inc()
    this.#perIp.add(ip)
    this.#perDoc.add(name)
    const addressBudget = this.#addressBudgets.acquire(ip)
    log.debug({ readOnly }, 'connected')

    // Frames that arrive while the room loads wait here; bounded by one maximum-size message.
    let queue: Uint8Array[] | null = []
    let queuedBytes = 0
    let room: Room | null = null
    let closed = false
    let expiry: NodeJS.Timeout | undefined
    const watchExpiry = (atMs: number) => {
      // setTimeout fires at once for delays past 2^31 - 1 ms (24.8 days): wait in steps.
      const delayMs = Math.min(Math.max(0, atMs - Date.now()), MAX_TIMER_MS)
      expiry = setTimeout(() => {
        if (Date.now() < atMs) return watchExpiry(atMs)
        log.info('closing connection: token expired')
        peer.close(CloseCode.TokenExpired, closeReason[CloseCode.TokenExpired])
      }, delayMs)
      expiry.unref()
    }
    if (expiresAtMs !== undefined) watchExpiry(expiresAtMs)

    // Over its rate, or its address's, a connection is held back: not read (so TCP holds the
    // sender back) until both budgets have refilled a little. One timer per held connection.
    // Frames `ws` had already read when it was paused (the rest of one socket read) wait in
    // `held` and are handled in order as the budgets refill, so a burst of tiny frames is spread
    // out too. Bounded by one socket read and one maximum-size message.
    const held: Uint8Array[] = []
    let heldBytes = 0
    const maxHeldBytes = this.#options.maxMessageBytes + MAX_HELD_EXTRA_BYTES
    /** Charges `frame` to both budgets; returns the one it overdrew, if any. */
    const charge = (frame: Uint8Array, now: number): 'connection' | 'address' | null => {
      const ownLeft = peer.budget.charge(frame.length, now)
      const addressLeft = addressBudget.charge(frame.length, now)
      if (!ownLeft) peer.held.hold(now)
      return !ownLeft ? 'connection' : !addressLeft ? 'address' : null
    }
    const waitMsAt = (now: number) =>
      Math.max(peer.budget.resumeInMs(now), addressBudget.resumeInMs(now))
    // A connection held for long is looked at a few times per abuse window at least.
    const lookAtLeastEveryMs = Math.max(1, this.#options.rateLimitAbuseWindowMs / 10)
    const lookAgainIn = (waitMs: number) => {
      peer.resumeTimer = setTimeout(lookAgain, Math.max(1, Math.min(waitMs, lookAtLeastEveryMs)))
    }
    const holdBack = (budget: 'connection' | 'address', now: number) => {
      peer.pause()
      this.#options.metrics.rateLimitHolds.labels(budget).inc()
      lookAgainIn(waitMsAt(now))
    }
    const lookAgain = () => {
      peer.resumeTimer = undefined
      if (closed) return
      const now = Date.now()
      if (peer.held.holding && peer.held.share(now) >= ABUSE_HELD_SHARE) {
        return shutOut('sent faster than its rate for too long', 'rate limit exceeded')
      }
      if (peer.budget.resumeInMs(now) === 0) peer.held.release(now)
      if (waitMsAt(now) > 0) return lookAgainIn(waitMsAt(now))
      // What was read while it was held, as far as the budgets go.
      let taken = 0
      while (taken < held.length && !closed) {
        const frame = held[taken++] as Uint8Array
        heldBytes -= frame.length
        deliver(frame)
        if (charge(frame, now)) break
      }
      held.splice(0, taken)
      if (closed) return
      if (held.length > 0 || waitMsAt(now) > 0) return lookAgainIn(waitMsAt(now))
      // Its last pong may still be unread behind what it sent: it answers the next ping.
      peer.alive = true
      peer.resume()
    }
    /** Closes with 1008 and stops reading; a token's user starts a cooldown. */
    const shutOut = (why: string, reason: string) => {
      log.warn(`closing connection: ${why}`)
      peer.shutOut(CloseCode.PolicyViolation, reason)
      if (identity) this.#cooldowns.start(userKey)
      closed = true
      held.length = 0
      // Its cursor goes now, not when the socket is finally dropped.
      if (room) this.#rooms.leave(room, peer)
    }
    /** Hands a frame to the room, or queues it while the room loads. */
    const deliver = (frame: Uint8Array) => {
      if (room) {
        room.receive(peer, frame)
      } else if (queue) {
        queuedBytes += frame.length
        if (queuedBytes > this.#options.maxMessageBytes) {
          log.warn('closing connection: too much sent before the document loaded')
          peer.shutOut(CloseCode.PolicyViolation, closeReason[CloseCode.PolicyViolation])
          queue = null
          return
        }
        queue.push(frame)
      }
    }

    ws.on('pong', () => {
      peer.alive = true
    })
    ws.on('message', (data, isBinary) => {
      if (closed) return
      if (!isBinary) {
        log.warn('closing connection: text frame')
        peer.close(CloseCode.UnsupportedData, closeReason[CloseCode.UnsupportedData])
        return
      }
      const frame = toBytes(data)
      this.#options.metrics.received(frame)
      const now = Date.now()
      peer.lastMessageMs = now
      if (peer.paused) {
        held.push(frame)
        heldBytes += frame.length
        if (heldBytes > maxHeldBytes) {
          shutOut('too much read while held back', 'rate limit exceeded')
        }
        return
      }
      deliver(frame)
      const overdrawn = charge(frame, now)
      if (overdrawn) holdBack(overdrawn, now)
    })
    ws.on('error', (err) => log.debug({ err }, 'socket error'))
    ws.on('close', (code) => {
      closed = true
      this.#options.metrics.connections.dec()
      // A peer we stopped reading never answers our close frame: count the code we sent.
      this.#options.metrics.closes.labels(String(peer.closedWith ?? code)).inc()
      clearTimeout(expiry)
      clearTimeout(peer.resumeTimer)
      peer.resumeTimer = undefined
      this.#peers.delete(ws)
      this.#perIp.remove(ip)
      this.#addressBudgets.release(ip)
      this.#perDoc.remove(name)
      if (room) this.#rooms.leave(room, peer)
      log.debug({ code }, 'disconnected')
    })

    this.#rooms.join(name, peer).then(
      (joined) => {
        if (closed) {
          this.#rooms.leave(joined, peer)
          return
        }
        room = joined
        const waiting = queue ?? []
        queue = null
        for (const frame of waiting) joined.receive(peer, frame)
      },
      (err: unknown) => {
        if (err instanceof CorruptDocumentError) {
          log.error({ err: err.message }, 'document quarantined: stored state does not decode')
          peer.close(CloseCode.DocumentCorrupt, closeReason[CloseCode.DocumentCorrupt])
        } else {
          log.error({ err }, 'could not open document')
          peer.close(CloseCode.TryAgainLater, closeReason[CloseCode.TryAgainLater])
        }
      },
    )
  }

  /** Heartbeat: drops peers that missed a pong or completed no message for too long. */
  #tick(): void {
    const now = Date.now()
    for (const [ws, peer] of this.#peers) {
      // A connection held back for its rate is not read, so its pong waits unread too.
      if (peer.paused) continue
      if (!peer.alive) {
        this.#log.info({ conn: peer.id }, 'dropping connection: no pong')
        ws.terminate()
        continue
      }
      if (now - peer.lastMessageMs > this.#options.idleTimeoutMs) {
        this.#log.info({ conn: peer.id }, 'closing connection: idle')
        peer.close(CloseCode.PolicyViolation, 'idle')
        continue
      }
      peer.alive = false
      ws.ping()
    }
  }

  /** Stops the heartbeat and terminates any socket still open (rooms close theirs first). */
  close(): void {
    clearInterval(this.#heartbeat)
    for (const ws of this.#peers.keys()) ws.terminate()
    this.#wss.close()
  }
}

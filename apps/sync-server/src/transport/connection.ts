import type { Duplex } from 'node:stream'
import type { CloseCode } from '@tandem/protocol'
import { type RawData, WebSocket } from 'ws'
import { type CloseErrorCode, closeOf } from '../errors.js'
import { HeldTime, TokenBucket } from '../limits/token-bucket.js'
import type { Logger } from '../log.js'
import type { Metrics } from '../metrics/metrics.js'
import type { Identity, Peer } from '../rooms/peer.js'

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

/** The longest delay `setTimeout` honours. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** A message and a byte budget, of a connection or of an address. */
export class Budget {
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

/** What the server decided about a connection at its upgrade. */
export interface ConnectionAccess {
  /** A read-only connection's document updates are dropped unread by the room. */
  readOnly: boolean
  /** Who the connection is: a token's subject, or its address (see `Peer.userKey`). */
  userKey: string
  /** Name and colour a token vouches for. */
  identity: Identity | undefined
  /** When its token expires (`Date.now()` scale); the connection is closed then, with 4401. */
  expiresAtMs: number | undefined
  /** The share link it was opened with, if any (so that revoking it closes the connection). */
  linkId: string | undefined
}

export interface ConnectionOptions {
  maxMessageBytes: number
  maxBufferedBytes: number
  maxMessagesPerSecond: number
  maxBytesPerSecond: number
  rateLimitAbuseWindowMs: number
  metrics: Metrics
}

/**
 * Speaks a wire protocol over one connection: the y-websocket protocol today (one document per
 * socket), and room for another beside it (several documents over one socket).
 */
export interface WireProtocol {
  /** A binary frame the connection read, within its rate. */
  receive(frame: Uint8Array): void
  /** The connection is closed (or shut out): leave every document now. Called once. */
  closed(): void
}

/** What a connection tells the transport. */
export interface ConnectionEvents {
  /** It was shut out for sending faster than its rate for too long (a cooldown may follow). */
  abused(connection: Connection): void
  /** Its socket closed; `code` is the one this server sent, if it sent one. */
  ended(connection: Connection, code: number): void
}

/**
 * One WebSocket connection: the room's {@link Peer} (sending with a bound on what a slow
 * reader may queue, one write per tick), its rate (held back, not closed, when over it), its
 * token's expiry and its liveness. It hands every frame it reads, in order, to the
 * {@link WireProtocol} spoken on it.
 */
export class Connection implements Peer {
  readonly id: string
  readonly readOnly: boolean
  readonly userKey: string
  readonly identity: Identity | undefined
  readonly linkId: string | undefined
  /** Whether it answered the last ping; the heartbeat drops it otherwise. */
  alive = true
  /** `Date.now()` when it last completed a message. */
  lastMessageMs = Date.now()
  /** The code this server closed it with, if it did. */
  closedWith: number | undefined
  readonly #ws: WebSocket
  /** The TCP socket under `#ws`, corked while frames are being sent in one tick. */
  readonly #socket: Duplex
  readonly #options: ConnectionOptions
  readonly #log: Logger
  readonly #events: ConnectionEvents
  /** What this connection may send, and its address (all its connections together). */
  readonly #budget: Budget
  readonly #addressBudget: Budget
  /** How long it was held back by its own budget, lately. */
  readonly #heldTime: HeldTime
  /** Frames read while held back, waiting for the budgets; bounded by `#maxHeldBytes`. */
  readonly #held: Uint8Array[] = []
  #heldBytes = 0
  readonly #maxHeldBytes: number
  /** Set while held back (not read): when to look again. */
  #resumeTimer: NodeJS.Timeout | undefined
  #expiry: NodeJS.Timeout | undefined
  #protocol: WireProtocol | null = null
  /** Whether the connection is done: shut out, or its socket closed. Nothing is read after. */
  #closed = false

  constructor(
    id: string,
    ws: WebSocket,
    socket: Duplex,
    access: ConnectionAccess,
    addressBudget: Budget,
    options: ConnectionOptions,
    events: ConnectionEvents,
    log: Logger,
  ) {
    this.id = id
    this.readOnly = access.readOnly
    this.userKey = access.userKey
    this.identity = access.identity
    this.linkId = access.linkId
    this.#ws = ws
    this.#socket = socket
    this.#options = options
    this.#events = events
    this.#log = log
    this.#addressBudget = addressBudget
    this.#budget = new Budget(
      options.maxMessagesPerSecond,
      options.maxBytesPerSecond,
      options.maxMessageBytes,
    )
    this.#heldTime = new HeldTime(options.rateLimitAbuseWindowMs)
    this.#maxHeldBytes = options.maxMessageBytes + MAX_HELD_EXTRA_BYTES
    if (access.expiresAtMs !== undefined) this.#watchExpiry(access.expiresAtMs)
  }

  /** Starts reading: every frame goes to `protocol`, in order. */
  speak(protocol: WireProtocol): void {
    this.#protocol = protocol
    this.#ws.on('pong', () => {
      this.alive = true
    })
    this.#ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary))
    this.#ws.on('error', (err) => this.#log.debug({ err }, 'socket error'))
    this.#ws.on('close', (code) => this.#onClose(code))
  }

  /** Whether it is held back (not read) for its rate; its pong then waits unread too. */
  get paused(): boolean {
    return this.#resumeTimer !== undefined
  }

  send(frame: Uint8Array): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return
    if (this.#ws.bufferedAmount + frame.length > this.#options.maxBufferedBytes) {
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
    this.#options.metrics.sent(frame)
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

  /** Closes with the close code of catalogue entry `code` (see `errors.ts`). */
  closeFor(code: CloseErrorCode): void {
    const close: { code: CloseCode; reason: string } = closeOf(code)
    this.close(close.code, close.reason)
  }

  /** Sends a ping; `alive` until the pong comes back. */
  ping(): void {
    this.alive = false
    this.#ws.ping()
  }

  /** Drops the socket without a closing handshake. */
  terminate(): void {
    this.#ws.terminate()
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.#closed) return
    if (!isBinary) {
      this.#log.warn('closing connection: text frame')
      this.closeFor('text_frame')
      return
    }
    const frame = toBytes(data)
    this.#options.metrics.received(frame)
    const nowMs = Date.now()
    this.lastMessageMs = nowMs
    if (this.paused) {
      this.#held.push(frame)
      this.#heldBytes += frame.length
      if (this.#heldBytes > this.#maxHeldBytes) this.#shutOut('too much read while held back')
      return
    }
    this.#protocol?.receive(frame)
    const overdrawn = this.#charge(frame, nowMs)
    if (overdrawn) this.#holdBack(overdrawn, nowMs)
  }

  #onClose(code: number): void {
    clearTimeout(this.#expiry)
    clearTimeout(this.#resumeTimer)
    this.#resumeTimer = undefined
    this.#end()
    // A peer we stopped reading never answers our close frame: count the code we sent.
    this.#events.ended(this, this.closedWith ?? code)
    this.#log.debug({ code }, 'disconnected')
  }

  /** Done: nothing more is read, and the protocol leaves its documents. */
  #end(): void {
    if (this.#closed) return
    this.#closed = true
    this.#held.length = 0
    this.#heldBytes = 0
    this.#protocol?.closed()
  }

  #watchExpiry(atMs: number): void {
    // setTimeout fires at once for delays past 2^31 - 1 ms (24.8 days): wait in steps.
    const delayMs = Math.min(Math.max(0, atMs - Date.now()), MAX_TIMER_MS)
    this.#expiry = setTimeout(() => {
      if (Date.now() < atMs) {
        this.#watchExpiry(atMs)
        return
      }
      this.#log.info('closing connection: token expired')
      this.closeFor('token_expired')
    }, delayMs)
    this.#expiry.unref()
  }

  /** Charges `frame` to both budgets; returns the one it overdrew, if any. */
  #charge(frame: Uint8Array, nowMs: number): 'connection' | 'address' | null {
    const ownLeft = this.#budget.charge(frame.length, nowMs)
    const addressLeft = this.#addressBudget.charge(frame.length, nowMs)
    if (!ownLeft) this.#heldTime.hold(nowMs)
    return !ownLeft ? 'connection' : !addressLeft ? 'address' : null
  }

  #waitMs(nowMs: number): number {
    return Math.max(this.#budget.resumeInMs(nowMs), this.#addressBudget.resumeInMs(nowMs))
  }

  /**
   * Over its rate, or its address's, a connection is held back: not read (so TCP holds the
   * sender back) until both budgets have refilled a little. One timer per held connection.
   */
  #holdBack(budget: 'connection' | 'address', nowMs: number): void {
    this.#ws.pause()
    this.#options.metrics.rateLimitHolds.labels(budget).inc()
    this.#lookAgainIn(this.#waitMs(nowMs))
  }

  #lookAgainIn(waitMs: number): void {
    // A connection held for long is looked at a few times per abuse window at least.
    const atLeastEveryMs = Math.max(1, this.#options.rateLimitAbuseWindowMs / 10)
    this.#resumeTimer = setTimeout(this.#lookAgain, Math.max(1, Math.min(waitMs, atLeastEveryMs)))
  }

  /**
   * Looks at a held connection again: shut out if it has been held for too long, else the frames
   * read while it was held are handled as far as the budgets go, and it is read again once they
   * all are and the budgets allow.
   */
  readonly #lookAgain = (): void => {
    this.#resumeTimer = undefined
    if (this.#closed) return
    const nowMs = Date.now()
    if (this.#heldTime.holding && this.#heldTime.share(nowMs) >= ABUSE_HELD_SHARE) {
      this.#shutOut('sent faster than its rate for too long')
      return
    }
    if (this.#budget.resumeInMs(nowMs) === 0) this.#heldTime.release(nowMs)
    if (this.#waitMs(nowMs) > 0) {
      this.#lookAgainIn(this.#waitMs(nowMs))
      return
    }
    let taken = 0
    while (taken < this.#held.length && !this.#closed) {
      const frame = this.#held[taken++] as Uint8Array
      this.#heldBytes -= frame.length
      this.#protocol?.receive(frame)
      if (this.#charge(frame, nowMs)) break
    }
    this.#held.splice(0, taken)
    if (this.#closed) return
    if (this.#held.length > 0 || this.#waitMs(nowMs) > 0) {
      this.#lookAgainIn(this.#waitMs(nowMs))
      return
    }
    // Its last pong may still be unread behind what it sent: it answers the next ping.
    this.alive = true
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.resume()
  }

  /**
   * Closes with 1008 and stops reading: a flooder may have megabytes more on the way, and
   * parsing them would only cost everyone else time. Unread, they wait in the kernel and hold
   * the sender back through TCP. Our side of the stream ends after the close frame, so the
   * peer learns the code at once; `ws` destroys the socket after its close timeout, since the
   * peer's answer is never read. Its cursors go now, not when the socket is finally dropped.
   */
  #shutOut(why: string): void {
    this.#log.warn(`closing connection: ${why}`)
    if (this.#ws.readyState === WebSocket.OPEN) {
      this.closeFor('rate_abused')
      this.#ws.pause()
      this.#socket.end()
    }
    this.#events.abused(this)
    this.#end()
  }
}

/** Ends a {@link Connection}'s corked stretch: its frames leave in one write. */
function uncork(socket: Duplex): void {
  socket.uncork()
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data)
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return data
}

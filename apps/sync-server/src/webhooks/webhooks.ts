import { randomUUID } from 'node:crypto'
import type { Logger } from '../log.js'
import type { Metrics } from '../metrics/metrics.js'
import type { Peer } from '../rooms/peer.js'
import { signWebhook } from './signature.js'

/** How webhooks are debounced, sent and retried. */
export interface WebhookOptions {
  /** Each URL receives a POST for every changed document. */
  urls: readonly string[]
  /** Key of the HMAC-SHA256 signature. */
  secret: string
  /** A document's change is reported once it has had no edit for this long. */
  debounceMs: number
  /** ...or at the latest this long after the first edit not reported yet. */
  maxWaitMs: number
  /** Attempts per delivery, the first included. */
  maxAttempts: number
  /** Delay before the first retry; it doubles with each further attempt (at most 5 min). */
  retryDelayMs: number
  /** An attempt that has no response within this time has failed. */
  timeoutMs: number
  /** Deliveries waiting (or being sent) per URL; beyond it the oldest waiting is dropped. */
  maxQueue: number
  /**
   * The library's `onChange` hook: told each event as it is sent to the URLs (it needs none),
   * debounced alike. What it returns is awaited only by {@link Webhooks.close}; a throw or a
   * rejection is logged.
   */
  listener?: (event: ChangeEvent) => void | Promise<void>
}

/** The body of a webhook request (JSON). */
export interface ChangeEvent {
  event: 'document.changed'
  /** Unique per delivery, the same in every attempt (also the `X-Tandem-Delivery` header). */
  id: string
  document: string
  /** Length of the document's text after the changes, in UTF-16 code units (as in JavaScript). */
  textLength: number
  /** Display names of who made the changes; `anonymous` for someone without one. */
  authors: string[]
  /** Edits (stored updates) the event covers. */
  changes: number
  /** When the first and the last of these edits were stored (ISO 8601). */
  since: string
  at: string
}

/** What the webhooks need of a room: its name, its text's length, and its peers' names. */
export interface ChangedDocument {
  readonly name: string
  /**
   * The length of the committed document's text, in UTF-16 code units: folded off the event
   * loop when the document is large (`Room.textLength`).
   */
  textLength(): Promise<number>
  readonly history: { nameOf(peer: Peer): string | null }
}

/** Most author names one event lists. */
const MAX_AUTHORS = 20
/** Longest author name, in code points. */
const MAX_AUTHOR_CHARS = 64
/** Requests in flight to one URL at a time. */
const CONCURRENCY = 4
/** Longest delay between two attempts. */
const MAX_RETRY_DELAY_MS = 5 * 60_000
/** Longest a shutdown waits for the last deliveries. */
const CLOSE_GRACE_MS = 3_000

/** The edits of one document not reported yet. */
interface Pending {
  doc: ChangedDocument
  peers: Set<Peer>
  names: Set<string>
  firstMs: number
  lastMs: number
  changes: number
  timer: NodeJS.Timeout | undefined
}

interface Delivery {
  event: ChangeEvent
  attempts: number
  retryTimer: NodeJS.Timeout | undefined
}

type Fetch = typeof globalThis.fetch
type WebhookMetrics = Pick<Metrics, 'webhookDeliveries' | 'webhookAttemptFailures'>

/**
 * Tells other services when documents change: a signed POST per changed document to each
 * configured URL, debounced per document, retried with exponential backoff, never in the way
 * of editing. {@link changed} costs a few map operations; everything else happens on timers.
 */
export class Webhooks {
  readonly #options: WebhookOptions
  readonly #log: Logger
  readonly #targets: Target[]
  readonly #pending = new Map<string, Pending>()
  /** Events being described, by document: each document's in the order reported. */
  readonly #describing = new Map<string, Promise<void>>()
  /** What the listener has not finished yet. */
  readonly #listening = new Set<Promise<void>>()
  #closed = false

  constructor(
    options: WebhookOptions,
    log: Logger,
    metrics?: WebhookMetrics,
    fetch: Fetch = globalThis.fetch,
  ) {
    this.#options = options
    this.#log = log
    this.#targets = options.urls.map((url) => new Target(url, options, log, fetch, metrics))
  }

  /** Deliveries waiting or in flight, over all URLs. */
  get queued(): number {
    let queued = 0
    for (const target of this.#targets) queued += target.size
    return queued
  }

  /** Documents with edits not reported yet. */
  get pendingDocuments(): number {
    return this.#pending.size
  }

  /**
   * Records a stored edit of `doc`, by `peer`, or by the server itself (`null`) on behalf of
   * `author` (an HTTP API call). Never throws.
   */
  changed(doc: ChangedDocument, peer: Peer | null, author?: string): void {
    if (this.#closed) return
    const now = Date.now()
    let pending = this.#pending.get(doc.name)
    if (!pending) {
      pending = {
        doc,
        peers: new Set(),
        names: new Set(),
        firstMs: now,
        lastMs: now,
        changes: 0,
        timer: undefined,
      }
      this.#pending.set(doc.name, pending)
      this.#arm(pending, this.#options.debounceMs)
    }
    // A room unloaded and loaded again is a new object: report the newest state.
    pending.doc = doc
    pending.lastMs = now
    pending.changes++
    if (pending.peers.size + pending.names.size >= MAX_AUTHORS) return
    if (peer) pending.peers.add(peer)
    else pending.names.add(author ?? 'anonymous')
  }

  #arm(pending: Pending, delayMs: number): void {
    pending.timer = setTimeout(() => this.#due(pending), Math.max(0, delayMs))
    pending.timer.unref()
  }

  /** The timer of `pending` fired: report it, or wait on if edits went on meanwhile. */
  #due(pending: Pending): void {
    const dueMs = Math.min(
      pending.lastMs + this.#options.debounceMs,
      pending.firstMs + this.#options.maxWaitMs,
    )
    const now = Date.now()
    if (now < dueMs) {
      this.#arm(pending, dueMs - now)
      return
    }
    this.#report(pending)
  }

  /**
   * Describes the edits of `pending` (the text length is read off the event loop) and queues
   * the event for every URL, after the document's earlier events.
   */
  #report(pending: Pending): void {
    const { name } = pending.doc
    this.#pending.delete(name)
    clearTimeout(pending.timer)
    const described = (this.#describing.get(name) ?? Promise.resolve())
      .then(() => this.#event(pending))
      .then(
        (event) => {
          for (const target of this.#targets) target.enqueue(event)
          this.#tell(event)
        },
        (err: unknown) =>
          this.#log.error({ err, doc: name }, 'webhook: cannot describe the change'),
      )
      .finally(() => {
        if (this.#describing.get(name) === described) this.#describing.delete(name)
      })
    this.#describing.set(name, described)
  }

  #tell(event: ChangeEvent): void {
    const { listener } = this.#options
    if (!listener) return
    const told = (async () => listener(event))()
      .catch((err: unknown) =>
        this.#log.error({ err, doc: event.document }, 'onChange hook failed'),
      )
      .finally(() => this.#listening.delete(told))
    this.#listening.add(told)
  }

  async #event(pending: Pending): Promise<ChangeEvent> {
    const { doc } = pending
    const authors = new Set(pending.names)
    for (const peer of pending.peers) {
      authors.add(peer.identity?.name ?? doc.history.nameOf(peer) ?? 'anonymous')
    }
    return {
      event: 'document.changed',
      id: randomUUID(),
      document: doc.name,
      textLength: await doc.textLength(),
      authors: [...authors].map((name) => [...name].slice(0, MAX_AUTHOR_CHARS).join('')),
      changes: pending.changes,
      since: new Date(pending.firstMs).toISOString(),
      at: new Date(pending.lastMs).toISOString(),
    }
  }

  /**
   * Reports the edits not reported yet at once, gives every waiting delivery one last attempt
   * (waiting up to 3 s or the request timeout, whichever is shorter), then drops what is left.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const pending of [...this.#pending.values()]) this.#report(pending)
    await Promise.all(this.#describing.values())
    const graceMs = Math.min(CLOSE_GRACE_MS, this.#options.timeoutMs)
    let timer: NodeJS.Timeout | undefined
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs)
    })
    await Promise.all([
      ...this.#targets.map((target) => target.close(graceMs)),
      // The hook's last calls get the same grace as the last deliveries.
      Promise.race([Promise.all(this.#listening), grace]),
    ])
    clearTimeout(timer)
  }
}

/** Retry an attempt that failed this way? Network errors, timeouts, 408, 429 and 5xx. */
function retryable(status: number | null): boolean {
  return status === null || status === 408 || status === 429 || status >= 500
}

/** One URL: its queue of deliveries, at most one waiting per document. */
class Target {
  readonly #url: string
  /** For logs: the URL without its path and query, which may hold a key. */
  readonly #shown: string
  readonly #options: WebhookOptions
  readonly #log: Logger
  readonly #fetch: Fetch
  readonly #metrics: WebhookMetrics | undefined
  /** Deliveries not in flight, by document, oldest first: ready ones and ones awaiting a retry. */
  readonly #waiting = new Map<string, Delivery>()
  /** Deliveries ready to be sent, in order (a subset of `#waiting`). */
  readonly #ready: Delivery[] = []
  readonly #inflight = new Set<Promise<void>>()
  /** Documents with a request in flight: one at a time per document, so they arrive in order. */
  readonly #sending = new Set<string>()
  readonly #abort = new AbortController()
  #closing = false
  #overflowing = false

  constructor(
    url: string,
    options: WebhookOptions,
    log: Logger,
    fetch: Fetch,
    metrics: WebhookMetrics | undefined,
  ) {
    this.#url = url
    this.#shown = new URL(url).origin
    this.#options = options
    this.#log = log
    this.#fetch = fetch
    this.#metrics = metrics
  }

  get size(): number {
    return this.#waiting.size + this.#inflight.size
  }

  enqueue(event: ChangeEvent): void {
    const waiting = this.#waiting.get(event.document)
    if (waiting) {
      // Not sent yet (or failed and waiting for its retry): the newer event replaces it, with
      // the authors and edits of both, and keeps its place and its attempts.
      const authors = [...new Set([...waiting.event.authors, ...event.authors])]
      waiting.event = {
        ...event,
        authors: authors.slice(0, MAX_AUTHORS),
        changes: waiting.event.changes + event.changes,
        since: waiting.event.since,
      }
      return
    }
    if (this.size >= this.#options.maxQueue) {
      const oldest = this.#waiting.values().next().value
      if (!oldest) {
        // All of the queue is in flight.
        this.#drop(event, 'the queue is full')
        return
      }
      this.#remove(oldest)
      this.#drop(oldest.event, 'the queue is full')
    } else {
      this.#overflowing = false
    }
    const delivery: Delivery = { event, attempts: 0, retryTimer: undefined }
    this.#waiting.set(event.document, delivery)
    this.#ready.push(delivery)
    this.#pump()
  }

  #drop(event: ChangeEvent, reason: string): void {
    this.#metrics?.webhookDeliveries.inc({ outcome: 'dropped' })
    if (this.#overflowing) return
    this.#overflowing = true
    this.#log.warn(
      { url: this.#shown, doc: event.document, queued: this.size },
      `webhook: delivery dropped: ${reason}`,
    )
  }

  #remove(delivery: Delivery): void {
    this.#waiting.delete(delivery.event.document)
    clearTimeout(delivery.retryTimer)
    const index = this.#ready.indexOf(delivery)
    if (index >= 0) this.#ready.splice(index, 1)
  }

  #pump(): void {
    for (let i = 0; i < this.#ready.length && this.#inflight.size < CONCURRENCY; ) {
      const delivery = this.#ready[i]!
      if (this.#sending.has(delivery.event.document)) {
        i++
        continue
      }
      this.#ready.splice(i, 1)
      this.#send(delivery)
    }
  }

  #send(delivery: Delivery): void {
    const { document } = delivery.event
    this.#waiting.delete(document)
    this.#sending.add(document)
    const sending = this.#attempt(delivery).finally(() => {
      this.#sending.delete(document)
      this.#inflight.delete(sending)
      if (!this.#closing) this.#pump()
    })
    this.#inflight.add(sending)
  }

  /** One attempt at `delivery`; schedules the next one if it fails and may be retried. */
  async #attempt(delivery: Delivery): Promise<void> {
    delivery.attempts++
    const { event } = delivery
    const body = JSON.stringify(event)
    const timestampS = Math.floor(Date.now() / 1000)
    let status: number | null = null
    let failure: string
    try {
      const res = await this.#fetch(this.#url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'Tandem-Webhook',
          'X-Tandem-Event': event.event,
          'X-Tandem-Delivery': event.id,
          'X-Tandem-Timestamp': String(timestampS),
          'X-Tandem-Signature': signWebhook(this.#options.secret, timestampS, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#options.timeoutMs)]),
      })
      status = res.status
      // The response body is not needed; cancelling frees the connection.
      await res.body?.cancel().catch(() => {})
      if (res.ok) {
        this.#metrics?.webhookDeliveries.inc({ outcome: 'delivered' })
        this.#log.debug(
          { url: this.#shown, doc: event.document, attempt: delivery.attempts, status },
          'webhook delivered',
        )
        return
      }
      failure = `HTTP ${status}`
    } catch (err) {
      const cause = (err as Error).cause as Error | undefined
      failure =
        (err as Error).name === 'TimeoutError' ? 'timed out' : (cause ?? (err as Error)).message
    }
    this.#metrics?.webhookAttemptFailures.inc()
    const retry =
      retryable(status) && delivery.attempts < this.#options.maxAttempts && !this.#closing
    const fields = { url: this.#shown, doc: event.document, attempt: delivery.attempts, failure }
    if (!retry) {
      this.#metrics?.webhookDeliveries.inc({ outcome: 'failed' })
      this.#log.warn(fields, 'webhook failed; giving up')
      return
    }
    const delayMs = Math.min(
      this.#options.retryDelayMs * 2 ** (delivery.attempts - 1),
      MAX_RETRY_DELAY_MS,
    )
    this.#log.info({ ...fields, retryInMs: delayMs }, 'webhook failed; will retry')
    const newer = this.#waiting.get(event.document)
    if (newer) {
      // A newer event of the document is already waiting: it carries this one's edits forward.
      newer.event = {
        ...newer.event,
        authors: [...new Set([...event.authors, ...newer.event.authors])].slice(0, MAX_AUTHORS),
        changes: event.changes + newer.event.changes,
        since: event.since,
      }
      return
    }
    this.#waiting.set(event.document, delivery)
    delivery.retryTimer = setTimeout(() => {
      delivery.retryTimer = undefined
      this.#ready.push(delivery)
      this.#pump()
    }, delayMs)
    delivery.retryTimer.unref()
  }

  /** Sends what is waiting once more, waits up to `graceMs`, then aborts and drops the rest. */
  async close(graceMs: number): Promise<void> {
    this.#closing = true
    for (const delivery of this.#waiting.values()) {
      clearTimeout(delivery.retryTimer)
      if (!this.#ready.includes(delivery)) this.#ready.push(delivery)
    }
    // Last attempts: all at once, not only CONCURRENCY of them.
    for (const delivery of this.#ready.splice(0)) this.#send(delivery)
    let timer: NodeJS.Timeout | undefined
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs)
    })
    await Promise.race([Promise.all(this.#inflight), grace])
    clearTimeout(timer)
    this.#abort.abort()
    await Promise.all(this.#inflight)
  }
}

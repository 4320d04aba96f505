import { Counter, KeyedRateLimiter } from './token-bucket.js'

/** The HTTP API's budgets (settings `API_*`). */
export interface ApiLimitOptions {
  /** Requests one client address may make per minute, a sixth of them at once. */
  requestsPerMinutePerIp: number
  /** Requests made with one token (or the admin key) per minute, a sixth of them at once. */
  requestsPerMinutePerToken: number
  /** Document-sized requests (text, versions, import, restore) running at once, server-wide. */
  maxConcurrentDocRequests: number
  /** Document-sized requests running at once for one client address. */
  maxConcurrentDocRequestsPerIp: number
}

/** Why a request is refused for now, and when to try again (whole seconds, at least 1). */
export interface LimitRefusal {
  message: string
  retryAfterSeconds: number
}

/** A held slot for document-sized work; release it once the response is written. */
export interface DocWorkSlot {
  release(): void
}

function retryAfter(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000))
}

/**
 * Per-address and per-token request budgets of the HTTP API, and a concurrency cap on the
 * requests whose cost grows with the document (a fold of the whole document on the event
 * loop). Over either: 429 with `Retry-After`. A slot is taken at once or refused, never queued,
 * so waiting requests hold no memory and the event loop stays free for everyone else.
 */
export class ApiLimits {
  readonly #options: ApiLimitOptions
  readonly #perIp: KeyedRateLimiter
  readonly #perToken: KeyedRateLimiter
  readonly #runningPerIp = new Counter()
  #running = 0

  constructor(options: ApiLimitOptions) {
    this.#options = options
    const limiter = (perMinute: number) =>
      new KeyedRateLimiter(Math.max(1, Math.ceil(perMinute / 6)), perMinute / 60)
    this.#perIp = limiter(options.requestsPerMinutePerIp)
    this.#perToken = limiter(options.requestsPerMinutePerToken)
  }

  /** Charges one request to address `key`; a refusal if its budget is spent. */
  chargeAddress(key: string, nowMs: number = Date.now()): LimitRefusal | null {
    const waitMs = this.#perIp.take(key, nowMs)
    return waitMs > 0
      ? { message: 'too many requests from this address', retryAfterSeconds: retryAfter(waitMs) }
      : null
  }

  /** Charges one request to the token (subject) `subject`; a refusal if its budget is spent. */
  chargeSubject(subject: string, nowMs: number = Date.now()): LimitRefusal | null {
    const waitMs = this.#perToken.take(subject, nowMs)
    return waitMs > 0
      ? { message: 'too many requests with this token', retryAfterSeconds: retryAfter(waitMs) }
      : null
  }

  /** A slot for document-sized work for address `key`, or a refusal if none is free. */
  acquire(key: string): DocWorkSlot | LimitRefusal {
    if (this.#running >= this.#options.maxConcurrentDocRequests) {
      return { message: 'the server is busy with other document requests', retryAfterSeconds: 1 }
    }
    if (this.#runningPerIp.get(key) >= this.#options.maxConcurrentDocRequestsPerIp) {
      return {
        message: 'too many document requests from this address at once',
        retryAfterSeconds: 1,
      }
    }
    this.#running++
    this.#runningPerIp.add(key)
    let released = false
    return {
      release: () => {
        if (released) return
        released = true
        this.#running--
        this.#runningPerIp.remove(key)
      },
    }
  }

  /** Document-sized requests running now (for tests and metrics). */
  get running(): number {
    return this.#running
  }
}

/**
 * A token bucket: holds up to `capacity` tokens and gains `perSecond` tokens per second. Taking
 * more than it holds fails and takes nothing.
 */
export class TokenBucket {
  #tokens: number
  #updatedMs: number

  constructor(
    readonly capacity: number,
    readonly perSecond: number,
    nowMs: number = Date.now(),
  ) {
    this.#tokens = capacity
    this.#updatedMs = nowMs
  }

  /** Takes `count` tokens if the bucket holds them. */
  take(count = 1, nowMs: number = Date.now()): boolean {
    this.#refill(nowMs)
    if (this.#tokens < count) return false
    this.#tokens -= count
    return true
  }

  /** Milliseconds until `count` tokens will be available. */
  waitMs(count = 1, nowMs: number = Date.now()): number {
    this.#refill(nowMs)
    return this.#tokens >= count ? 0 : Math.ceil(((count - this.#tokens) / this.perSecond) * 1000)
  }

  #refill(nowMs: number): void {
    const elapsedMs = Math.max(0, nowMs - this.#updatedMs)
    this.#tokens = Math.min(this.capacity, this.#tokens + (elapsedMs / 1000) * this.perSecond)
    this.#updatedMs = nowMs
  }
}

/**
 * One token bucket per key (an address), for at most `maxKeys` keys: the least recently used
 * key is forgotten first, so a flood of distinct addresses cannot grow it without bound.
 */
export class KeyedRateLimiter {
  readonly #buckets = new Map<string, TokenBucket>()

  constructor(
    readonly capacity: number,
    readonly perSecond: number,
    readonly maxKeys = 100_000,
  ) {}

  /** Takes one token for `key`; returns 0 if allowed, else the milliseconds to wait. */
  take(key: string, nowMs: number = Date.now()): number {
    let bucket = this.#buckets.get(key)
    if (bucket) {
      this.#buckets.delete(key)
    } else {
      bucket = new TokenBucket(this.capacity, this.perSecond, nowMs)
      if (this.#buckets.size >= this.maxKeys) {
        this.#buckets.delete(this.#buckets.keys().next().value as string)
      }
    }
    this.#buckets.set(key, bucket)
    return bucket.take(1, nowMs) ? 0 : bucket.waitMs(1, nowMs)
  }
}

/** Counts live things (connections) per key, to cap them. */
export class Counter {
  readonly #counts = new Map<string, number>()

  get(key: string): number {
    return this.#counts.get(key) ?? 0
  }

  add(key: string): void {
    this.#counts.set(key, this.get(key) + 1)
  }

  remove(key: string): void {
    const count = this.get(key) - 1
    if (count > 0) this.#counts.set(key, count)
    else this.#counts.delete(key)
  }
}

/**
 * Keys (addresses) shut out for `durationMs` after misbehaving, for at most `maxKeys` keys at
 * once. Entries are kept in the order their cooldowns end, so expired ones are dropped from
 * the front as new ones arrive and the map never holds more than the live cooldowns.
 */
export class Cooldowns {
  readonly #until = new Map<string, number>()

  constructor(
    readonly durationMs: number,
    readonly maxKeys = 100_000,
  ) {}

  /** Starts `key`'s cooldown, or starts it again from now. */
  start(key: string, nowMs: number = Date.now()): void {
    if (this.durationMs <= 0) return
    this.#until.delete(key)
    for (const [oldest, until] of this.#until) {
      if (until > nowMs && this.#until.size < this.maxKeys) break
      this.#until.delete(oldest)
    }
    this.#until.set(key, nowMs + this.durationMs)
  }

  /** Milliseconds left of `key`'s cooldown; 0 if it has none. */
  remainingMs(key: string, nowMs: number = Date.now()): number {
    const until = this.#until.get(key)
    if (until === undefined) return 0
    if (until > nowMs) return until - nowMs
    this.#until.delete(key)
    return 0
  }

  /** Number of keys held (live cooldowns, and expired ones not yet dropped). */
  get size(): number {
    return this.#until.size
  }
}

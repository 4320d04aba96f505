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

  /**
   * Takes `count` tokens whatever the bucket holds, so it may go into debt (for work already
   * done, such as a frame already read). Returns whether the bucket is still out of debt.
   */
  debit(count: number, nowMs: number = Date.now()): boolean {
    this.#refill(nowMs)
    this.#tokens -= count
    return this.#tokens >= 0
  }

  /** Tokens held now; negative when in debt. */
  level(nowMs: number = Date.now()): number {
    this.#refill(nowMs)
    return this.#tokens
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

/**
 * How much of the last `windowMs` something (a connection held back for its rate) spent held,
 * from the holds it was told of. Holds shorter than `windowMs / maxHolds` may be merged with
 * their neighbours, so memory stays bounded whatever the pattern of holds.
 */
export class HeldTime {
  /** Finished holds, oldest first, as [startMs, endMs]. */
  readonly #holds: [number, number][] = []
  #since: number | null = null

  constructor(
    readonly windowMs: number,
    readonly maxHolds = 256,
  ) {}

  /** Whether a hold is in progress. */
  get holding(): boolean {
    return this.#since !== null
  }

  /** A hold starts (no effect if one is in progress). */
  hold(nowMs: number = Date.now()): void {
    if (this.#since === null) this.#since = nowMs
  }

  /** The hold in progress ends (no effect if none is). */
  release(nowMs: number = Date.now()): void {
    if (this.#since === null) return
    const last = this.#holds.at(-1)
    if (this.#holds.length >= this.maxHolds && last) {
      // Merging into the previous hold counts the gap between them as held: a hold this busy
      // is no less suspicious for the gap.
      last[1] = nowMs
    } else {
      this.#holds.push([this.#since, nowMs])
    }
    this.#since = null
  }

  /** The share (0 to 1) of the last `windowMs` spent held, the hold in progress included. */
  share(nowMs: number = Date.now()): number {
    const from = nowMs - this.windowMs
    while (this.#holds.length > 0 && (this.#holds[0]?.[1] ?? 0) <= from) this.#holds.shift()
    let heldMs = 0
    for (const [start, end] of this.#holds) heldMs += end - Math.max(start, from)
    if (this.#since !== null) heldMs += nowMs - Math.max(this.#since, from)
    return Math.min(1, heldMs / this.windowMs)
  }
}

/**
 * Values shared by the live users of a key (an address's connections share its budget),
 * created with the first and forgotten with the last, so it holds no more keys than there are
 * users.
 */
export class Shared<T> {
  readonly #entries = new Map<string, { value: T; users: number }>()

  constructor(readonly create: () => T) {}

  /** `key`'s value, created if it has no user yet; counts one more user. */
  acquire(key: string): T {
    let entry = this.#entries.get(key)
    if (!entry) {
      entry = { value: this.create(), users: 0 }
      this.#entries.set(key, entry)
    }
    entry.users++
    return entry.value
  }

  /** Counts one user fewer; the value is forgotten with the last. */
  release(key: string): void {
    const entry = this.#entries.get(key)
    if (!entry) return
    entry.users--
    if (entry.users <= 0) this.#entries.delete(key)
  }

  /** Number of keys held. */
  get size(): number {
    return this.#entries.size
  }
}

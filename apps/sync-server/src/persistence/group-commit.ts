/** Something to commit and how many bytes it holds while it waits. */
export interface Pending<T> {
  item: T
  bytes: number
  resolve: (seq: number) => void
  reject: (err: unknown) => void
}

export interface GroupCommitOptions {
  /** Bytes that may wait for a commit (queued or being retried); more are refused at once. */
  maxPendingBytes: number
  /** First delay before retrying a failed commit; doubles up to `retryMaxMs`. */
  retryInitialMs: number
  retryMaxMs: number
  /** Told of every failed commit (for logs). */
  onError?: (err: unknown, attempt: number) => void
  /** Told when commits succeed again after failures. */
  onRecover?: () => void
}

/** The batching and retry settings every store starts from. */
export const defaultGroupCommitOptions: GroupCommitOptions = {
  maxPendingBytes: 64 * 1024 * 1024,
  retryInitialMs: 50,
  retryMaxMs: 5_000,
}

/** Refusal of an append because too much is already waiting for storage. */
export class StorageBackpressureError extends Error {
  override readonly name = 'StorageBackpressureError'
}

/** Refusal of an append because the store is closed. */
export class StoreClosedError extends Error {
  override readonly name = 'StoreClosedError'
}

/**
 * Batches every item added in one event-loop turn into one commit, with at most one commit in
 * flight, so each commit costs one transaction whatever the number of items and items commit
 * in the order they were added. A failed commit is retried with backoff, holding its items
 * (and everything after them) until storage recovers: an item's promise resolves only once it
 * is committed, and rejects only when the committer is closed or over its byte budget. A
 * retried batch passes the same item objects, in the same order, ahead of any later item.
 */
export class GroupCommitter<T> {
  readonly #commit: (batch: T[]) => Promise<number[]> | number[]
  readonly #options: GroupCommitOptions
  #queue: Pending<T>[] = []
  #pendingBytes = 0
  #inflight: Pending<T>[] | null = null
  #scheduled = false
  #retryTimer: NodeJS.Timeout | null = null
  #attempt = 0
  #lastError: unknown = null
  #closed = false
  /** Set once `close` has given up waiting: nothing is retried or committed after that. */
  #abandoned = false
  #idle: (() => void)[] = []

  constructor(commit: (batch: T[]) => Promise<number[]> | number[], options: GroupCommitOptions) {
    this.#commit = commit
    this.#options = options
  }

  /** The error of the last failed commit while commits are failing, else `null`. */
  get failure(): unknown {
    return this.#lastError
  }

  /** Bytes waiting for a commit. */
  get pendingBytes(): number {
    return this.#pendingBytes
  }

  /** Queues `item`; resolves with its sequence number once it is committed. */
  add(item: T, bytes: number): Promise<number> {
    if (this.#closed) return Promise.reject(new StoreClosedError('store is closed'))
    if (this.#pendingBytes + bytes > this.#options.maxPendingBytes) {
      return Promise.reject(
        new StorageBackpressureError(`${this.#pendingBytes} bytes already wait for storage`),
      )
    }
    this.#pendingBytes += bytes
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, bytes, resolve, reject })
      this.#schedule()
    })
  }

  /** Resolves once nothing is queued or in flight. */
  drained(): Promise<void> {
    if (this.#inflight === null && this.#queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  /**
   * Stops: waits up to `timeoutMs` for what is queued to commit, then rejects whatever is left
   * with {@link StoreClosedError}.
   */
  async close(timeoutMs: number): Promise<void> {
    this.#closed = true
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      this.drained(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs)
      }),
    ])
    clearTimeout(timer)
    this.#abandoned = true
    if (this.#retryTimer) clearTimeout(this.#retryTimer)
    this.#retryTimer = null
    const left = [...(this.#inflight ?? []), ...this.#queue]
    this.#queue = []
    for (const p of left) p.reject(new StoreClosedError('store closed before the commit'))
  }

  #schedule(): void {
    if (this.#scheduled || this.#inflight || this.#retryTimer) return
    this.#scheduled = true
    setImmediate(() => {
      if (!this.#scheduled) return
      this.#scheduled = false
      void this.#run()
    })
  }

  async #run(): Promise<void> {
    if (this.#abandoned) return
    if (this.#inflight || this.#retryTimer || this.#queue.length === 0) return
    const batch = this.#queue
    this.#queue = []
    this.#inflight = batch
    let seqs: number[]
    try {
      seqs = await this.#commit(batch.map((p) => p.item))
    } catch (err) {
      this.#inflight = null
      if (this.#abandoned) {
        for (const p of batch) p.reject(err)
        for (const resolve of this.#idle.splice(0)) resolve()
        return
      }
      // Keep the batch, in order, ahead of anything added since, and try again later.
      this.#queue = [...batch, ...this.#queue]
      this.#lastError = err
      this.#attempt++
      this.#options.onError?.(err, this.#attempt)
      const delay = Math.min(
        this.#options.retryMaxMs,
        this.#options.retryInitialMs * 2 ** (this.#attempt - 1),
      )
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = null
        void this.#run()
      }, delay)
      return
    }
    this.#inflight = null
    if (this.#lastError !== null) {
      this.#lastError = null
      this.#attempt = 0
      this.#options.onRecover?.()
    }
    for (const [i, p] of batch.entries()) {
      this.#pendingBytes -= p.bytes
      p.resolve(seqs[i]!)
    }
    if (this.#queue.length > 0) void this.#run()
    else for (const resolve of this.#idle.splice(0)) resolve()
  }
}

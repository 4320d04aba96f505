/**
 * When to ask the server again for something that follows a changing document (who wrote
 * what): once the changes have been still for `quietMs`, or `maxWaitMs` after the first of a
 * steady stream of them; never two requests at once, and a change made while one is under way
 * asks again after it.
 */
export class Refetcher {
  readonly #run: () => Promise<void>
  readonly #quietMs: number
  readonly #maxWaitMs: number
  #quietTimer: ReturnType<typeof setTimeout> | undefined
  #maxTimer: ReturnType<typeof setTimeout> | undefined
  #running = false
  #changedWhileRunning = false
  #disposed = false

  /** `run` makes the request; it should not throw (a failure is its own to report). */
  constructor(run: () => Promise<void>, quietMs: number, maxWaitMs: number) {
    this.#run = run
    this.#quietMs = quietMs
    this.#maxWaitMs = maxWaitMs
  }

  /** Asks now (the timers waiting are dropped). */
  now(): void {
    if (this.#disposed) return
    this.#clearTimers()
    if (this.#running) {
      this.#changedWhileRunning = true
      return
    }
    this.#running = true
    this.#changedWhileRunning = false
    void this.#run().finally(() => {
      this.#running = false
      if (this.#changedWhileRunning) this.changed()
    })
  }

  /** The document changed. */
  changed(): void {
    if (this.#disposed) return
    if (this.#running) {
      this.#changedWhileRunning = true
      return
    }
    clearTimeout(this.#quietTimer)
    this.#quietTimer = setTimeout(() => this.now(), this.#quietMs)
    this.#maxTimer ??= setTimeout(() => this.now(), this.#maxWaitMs)
  }

  dispose(): void {
    this.#disposed = true
    this.#clearTimers()
  }

  #clearTimers(): void {
    clearTimeout(this.#quietTimer)
    clearTimeout(this.#maxTimer)
    this.#quietTimer = undefined
    this.#maxTimer = undefined
  }
}

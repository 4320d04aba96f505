/**
 * Work gathered during one event-loop turn and done once, at its end: a room stores the updates
 * received in a turn together, and relays the updates applied in a turn together.
 *
 * Ordering, which the room relies on: a batch schedules its flush with `process.nextTick` when
 * its first item arrives, and Node runs next-tick callbacks in the order they were scheduled.
 * So batches flush in the order they were first used in a turn, and {@link endOfTurn} settles
 * after every flush scheduled before it was called.
 */
export class TurnBatch<T> {
  #items: T[] = []
  readonly #flush: (items: T[]) => void

  constructor(flush: (items: T[]) => void) {
    this.#flush = flush
  }

  get size(): number {
    return this.#items.length
  }

  add(item: T): void {
    if (this.#items.length === 0) process.nextTick(this.flushNow)
    this.#items.push(item)
  }

  /** Does now what was gathered (the scheduled flush then finds nothing to do). */
  readonly flushNow = (): void => {
    if (this.#items.length === 0) return
    const items = this.#items
    this.#items = []
    this.#flush(items)
  }
}

/** Resolves after every {@link TurnBatch} flush scheduled so far. */
export function endOfTurn(): Promise<void> {
  return new Promise((resolve) => process.nextTick(resolve))
}

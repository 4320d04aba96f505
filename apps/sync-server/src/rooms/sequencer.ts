import type { Logger } from '../log.js'
import type { StoredDocument } from '../persistence/store.js'

/** What a {@link Sequencer} keeps in order: a document that takes updates by sequence number. */
export interface SequencedDocument<Local> {
  /** Sequence number of the last update the document holds; it holds every one before. */
  readonly lastSeq: number
  /** Adds update `seq`, the next one, and relays it; `local` is set for this server's own. */
  apply(seq: number, update: Uint8Array, local: Local | undefined): void
  /** Adds what `snapshot`, which covers every number up to `seq`, holds that it lacks. */
  applySnapshot(seq: number, snapshot: Uint8Array): void
  /** This server's own update `local` was already added (read back from the store). */
  alreadyApplied(local: Local): void
  /** What the store holds after `afterSeq` (see `DocStore.loadSince`). */
  loadSince(afterSeq: number): Promise<StoredDocument | null>
}

export interface SequencerOptions {
  /** How long updates past a gap wait for the missing ones before the store is read. */
  catchUpDelayMs: number
  /** Delay before a failed read of the store is tried again (while updates wait). */
  retryMs: number
  /** Bytes of other servers' updates held past a gap; beyond, they are read from the store. */
  maxHeldRemoteBytes: number
}

interface Held<Local> {
  update: Uint8Array
  /** For this server's own updates: what to pass on, and whom to tell once applied. */
  local?: { value: Local; applied: () => void }
}

/**
 * Applies a document's updates in sequence order, each once, whoever stored them: an update
 * whose number the document holds is dropped, the next one is applied at once, a later one is
 * held until those before it arrive, or, if they do not within `catchUpDelayMs`, until they are
 * read from the store. Reads of the store run one at a time.
 */
export class Sequencer<Local> {
  readonly #doc: SequencedDocument<Local>
  readonly #options: SequencerOptions
  readonly #log: Logger
  readonly #held = new Map<number, Held<Local>>()
  #heldRemoteBytes = 0
  #timer: NodeJS.Timeout | undefined
  #catchingUp: Promise<void> | null = null
  #again = false

  constructor(doc: SequencedDocument<Local>, options: SequencerOptions, log: Logger) {
    this.#doc = doc
    this.#options = options
    this.#log = log
  }

  /**
   * This server stored `update` as number `seq`. Returns `undefined` if it is applied now (or
   * already was), else a promise that resolves once it is.
   */
  own(seq: number, update: Uint8Array, local: Local): Promise<void> | undefined {
    if (seq <= this.#doc.lastSeq) {
      this.#doc.alreadyApplied(local)
      return
    }
    if (seq === this.#doc.lastSeq + 1) {
      this.#doc.apply(seq, update, local)
      this.#drain()
      return
    }
    return new Promise((applied) => {
      this.#held.set(seq, { update, local: { value: local, applied } })
      this.missing()
    })
  }

  /** Another server stored `update` as number `seq` (a valid update). */
  remote(seq: number, update: Uint8Array): void {
    if (seq <= this.#doc.lastSeq || this.#held.has(seq)) return
    if (seq === this.#doc.lastSeq + 1) {
      this.#doc.apply(seq, update, undefined)
      this.#drain()
      return
    }
    if (this.#heldRemoteBytes + update.length <= this.#options.maxHeldRemoteBytes) {
      this.#held.set(seq, { update })
      this.#heldRemoteBytes += update.length
    }
    this.missing()
  }

  /** Updates are missing: read them from the store unless they arrive soon. */
  missing(): void {
    if (this.#catchingUp) {
      this.#again = true
      return
    }
    this.#schedule(this.#options.catchUpDelayMs)
  }

  /**
   * Reads what the store holds beyond the document's last number and applies it in order. Never
   * rejects: a failure is logged and, if updates wait, tried again.
   */
  catchUp(): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#catchingUp) {
      this.#again = true
      return this.#catchingUp
    }
    const run = async () => {
      do {
        this.#again = false
        const since = await this.#doc.loadSince(this.#doc.lastSeq)
        if (since) this.#applyStored(since)
      } while (this.#again)
    }
    this.#catchingUp = run()
      .catch((err: unknown) => {
        this.#log.warn({ err }, 'catching up from storage failed')
        if (this.#held.size > 0) this.#schedule(this.#options.retryMs)
      })
      .finally(() => {
        this.#catchingUp = null
      })
    return this.#catchingUp
  }

  /** Stops any scheduled read of the store. */
  close(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #schedule(delayMs: number): void {
    if (this.#timer !== undefined) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.catchUp()
    }, delayMs)
    this.#timer.unref()
  }

  #applyStored(since: StoredDocument): void {
    // The snapshot, if any, covers every number up to the first update's.
    let seq = since.lastSeq - since.updates.length
    if (since.snapshot && seq > this.#doc.lastSeq) {
      this.#doc.applySnapshot(seq, since.snapshot)
      for (const [n, held] of this.#held) {
        if (n > seq) continue
        this.#take(n, held)
        if (held.local) {
          this.#doc.alreadyApplied(held.local.value)
          held.local.applied()
        }
      }
    }
    for (const update of since.updates) {
      seq++
      if (seq <= this.#doc.lastSeq) continue
      const held = this.#held.get(seq)
      if (held) this.#take(seq, held)
      this.#doc.apply(seq, held?.local ? held.update : update, held?.local?.value)
      held?.local?.applied()
    }
    this.#drain()
  }

  /** Applies the held updates that are now next. */
  #drain(): void {
    for (
      let seq = this.#doc.lastSeq + 1, held = this.#held.get(seq);
      held;
      seq = this.#doc.lastSeq + 1, held = this.#held.get(seq)
    ) {
      this.#take(seq, held)
      this.#doc.apply(seq, held.update, held.local?.value)
      held.local?.applied()
    }
    if (this.#held.size === 0) {
      clearTimeout(this.#timer)
      this.#timer = undefined
    }
  }

  #take(seq: number, held: Held<Local>): void {
    this.#held.delete(seq)
    if (!held.local) this.#heldRemoteBytes -= held.update.length
  }
}

import type { Logger } from '../log.js'
import type { DocStore } from '../persistence/store.js'
import type { DocState, Folder } from './doc-state.js'

export interface CompactionOptions {
  /**
   * Stored updates after which the log is compacted into a snapshot, once editing pauses for
   * `compactQuietMs`; at 20 times as many (or 20 times the bytes) it is compacted at once.
   */
  compactAfterUpdates: number
  /**
   * How long editing must pause before compacting (default 2 s): compaction applies the whole
   * log to a document model, work best done between bursts rather than in them.
   */
  compactQuietMs?: number
  /** Folds a large document's log off the event loop (see `DocState.snapshotOff`). Default: on it. */
  folder?: Folder
}

/**
 * When a room folds its stored log into a snapshot (SPEC C1, C2): once the log is long enough
 * and editing has paused, at once if it grows far too long, and when the room closes. One
 * timer per room, not one per edit.
 */
export class Compactor {
  readonly #name: string
  readonly #state: DocState
  readonly #store: DocStore
  readonly #options: CompactionOptions
  readonly #log: Logger
  #running: Promise<void> | null = null
  /** A compaction asked for while one runs: it starts once that one is done. */
  #next: Promise<void> | null = null
  /** Fires once editing has paused long enough; see {@link edited}. */
  #timer: NodeJS.Timeout | null = null
  #lastEditMs = 0
  #closed = false

  constructor(
    name: string,
    state: DocState,
    store: DocStore,
    options: CompactionOptions,
    log: Logger,
  ) {
    this.#name = name
    this.#state = state
    this.#store = store
    this.#options = options
    this.#log = log
  }

  /**
   * After an edit or a compaction: compacts at once if the log has grown too long to wait,
   * otherwise arms the timer that compacts once no edit has come for `compactQuietMs` (when it
   * fires early, it waits for the rest of the pause).
   */
  edited(): void {
    this.#lastEditMs = Date.now()
    this.#schedule()
  }

  #schedule(): void {
    const { compactAfterUpdates } = this.#options
    const quietMs = this.#options.compactQuietMs ?? 2_000
    if (this.#state.mustCompact(compactAfterUpdates)) {
      void this.#start()
      return
    }
    if (this.#timer || !this.#state.shouldCompact(compactAfterUpdates)) return
    const arm = (delayMs: number) => {
      this.#timer = setTimeout(() => {
        this.#timer = null
        if (this.#closed) return
        const quietForMs = Date.now() - this.#lastEditMs
        if (quietForMs < quietMs) arm(quietMs - quietForMs)
        else if (this.#state.shouldCompact(compactAfterUpdates)) void this.#start()
      }, delayMs)
      this.#timer.unref()
    }
    arm(quietMs)
  }

  /**
   * Folds the stored log into one compact snapshot, and resolves once every update stored
   * before the call is compacted (or the compaction failed, logged, and the log is kept as
   * is): if a compaction is running, after it and one more for the updates it does not cover.
   * Edits may continue meanwhile. How a room's close keeps what it owes the store: nothing it
   * folded is left unwritten, and nothing is lost if a compaction fails, since the log still
   * holds every update (SPEC C1).
   */
  compact(): Promise<void> {
    if (!this.#running) return this.#start()
    this.#next ??= this.#running.then(() => {
      this.#next = null
      return this.#start()
    })
    return this.#next
  }

  /** Starts a compaction unless one runs (then that one's promise). */
  #start(): Promise<void> {
    if (this.#running) return this.#running
    if (this.#state.updatesSinceSnapshot === 0) return Promise.resolve()
    this.#running = (async () => {
      // Folding the whole log is document-sized work: in a worker thread when there is one.
      const snapshot = await this.#state.snapshotOff(this.#options.folder)
      const done = await this.#store.compact(
        this.#name,
        snapshot.bytes,
        snapshot.throughSeq,
        snapshot.setAside,
      )
      // If another server is compacting the log, it is folding these same updates.
      this.#state.snapshotStored(snapshot)
      if (done) {
        this.#log.debug(
          { bytes: snapshot.bytes.length, updates: snapshot.updateCount },
          'compacted',
        )
      } else {
        this.#log.debug('compaction skipped: another server is compacting this document')
      }
      return true
    })()
      .catch((err: unknown) => {
        this.#log.error({ err }, 'compaction failed; log kept as is')
        return false
      })
      .then((compacted) => {
        this.#running = null
        // Updates committed while it ran may already call for the next one.
        if (compacted && !this.#closed) this.#schedule()
      })
    return this.#running
  }

  /** No more timed compactions (an explicit {@link compact} still runs). */
  close(): void {
    this.#closed = true
    if (this.#timer) clearTimeout(this.#timer)
  }
}

/**
 * What the "saved" indicator shows:
 * - `saved`: connected, the server has stored every update frame sent on this connection, and
 *   no local edit waits to be sent;
 * - `saving`: connected, and something sent (or to be sent) is not acknowledged yet;
 * - `offline-unsaved`: not connected, and some local edit is not known to be stored (it is kept
 *   in IndexedDB and goes out with the next connection's sync step 2);
 * - `offline`: not connected, and every local edit was acknowledged before the connection ended.
 */
export type SaveState = 'saved' | 'saving' | 'offline-unsaved' | 'offline'

export interface SaveSnapshot {
  readonly state: SaveState
  /**
   * Whether some local edit is not acknowledged yet. Unlike `state === 'saving'`, this stays
   * false while the only unacknowledged frame carries nobody's edit (a reconnection's step 2).
   */
  readonly unsavedEdits: boolean
}

/** The kinds of frame the server counts for `saved` (see `isUpdateFrame`). */
export type UpdateFrameKind = 'sync-step-2' | 'sync-update'

/** A store for `useSyncExternalStore`. */
export interface SaveStore {
  readonly getSnapshot: () => SaveSnapshot
  readonly subscribe: (listener: () => void) => () => void
}

interface Connection {
  /** Identifies the socket; events about any other socket are ignored. */
  readonly key: object
  /** Update frames sent on this connection. */
  sent: number
  /** The server's latest `saved` count on this connection. */
  acked: number
  /** The count that covers every local edit sent on this connection so far. */
  target: number
}

const snapshots = {
  saved: { state: 'saved', unsavedEdits: false },
  'saving-edits': { state: 'saving', unsavedEdits: true },
  'saving-frames': { state: 'saving', unsavedEdits: false },
  'offline-unsaved': { state: 'offline-unsaved', unsavedEdits: true },
  offline: { state: 'offline', unsavedEdits: false },
} as const satisfies Record<string, SaveSnapshot>

/**
 * Follows the Tandem `saved` acknowledgements of one provider (PROTOCOL.md, messages 100 and
 * 101). Counts restart with every connection. A local edit is covered by a connection's
 * acknowledgement when the frame that carried it is acknowledged: the `sync update` sent at
 * once while connected, or, for an edit made while not connected (or sent on a connection that
 * ended before acknowledging it), the `sync step 2` of a later connection.
 */
export class SaveTracker implements SaveStore {
  #connection: Connection | null = null
  /** Local edits that no frame of the current connection carries yet. */
  #resyncNeeded = false
  #snapshot: SaveSnapshot = snapshots.offline
  readonly #listeners = new Set<() => void>()

  /** A socket opened: a new connection whose counts start at zero. */
  opened(key: object): void {
    this.#connection = { key, sent: 0, acked: 0, target: 0 }
    this.#update()
  }

  /** The socket `key` sent an update frame. */
  sent(key: object, kind: UpdateFrameKind): void {
    const connection = this.#current(key)
    if (!connection) return
    connection.sent++
    // A step 2 answers the server's step 1: it carries everything the server lacks, so every
    // edit this connection has not sent otherwise.
    if (kind === 'sync-step-2' && this.#resyncNeeded) {
      this.#resyncNeeded = false
      connection.target = connection.sent
    }
    this.#update()
  }

  /** The server says the first `frames` update frames sent on socket `key` are stored. */
  acknowledged(key: object, frames: number): void {
    const connection = this.#current(key)
    if (!connection || frames <= connection.acked) return
    connection.acked = frames
    this.#update()
  }

  /** The connection on socket `key` ended (closed by either side, or failed). */
  closed(key: object): void {
    const connection = this.#current(key)
    if (!connection) return
    if (connection.acked < connection.target) this.#resyncNeeded = true
    this.#connection = null
    this.#update()
  }

  /**
   * The document changed locally. `sentOn` is the socket whose connection sent the change as a
   * `sync update` (its frame is counted already), or `null` when it was not sent.
   */
  localEdit(sentOn: object | null): void {
    const connection = this.#connection
    if (connection && sentOn === connection.key) {
      connection.target = connection.sent
    } else {
      this.#resyncNeeded = true
    }
    this.#update()
  }

  readonly getSnapshot = (): SaveSnapshot => this.#snapshot

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #current(key: object): Connection | null {
    const connection = this.#connection
    return connection !== null && connection.key === key ? connection : null
  }

  #derive(): SaveSnapshot {
    const connection = this.#connection
    if (connection === null)
      return this.#resyncNeeded ? snapshots['offline-unsaved'] : snapshots.offline
    if (this.#resyncNeeded || connection.acked < connection.target) return snapshots['saving-edits']
    if (connection.acked < connection.sent) return snapshots['saving-frames']
    return snapshots.saved
  }

  #update(): void {
    const next = this.#derive()
    if (next === this.#snapshot) return
    this.#snapshot = next
    for (const listener of [...this.#listeners]) listener()
  }
}

/** The timer functions {@link holdSaving} uses; the globals by default. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
  now(): number
}

const globalTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
}

/**
 * A view of `source` for display in which `saving` lasts at least `minSavingMs` before it turns
 * `saved`, so the indicator does not flicker on every keystroke. Every other change shows at
 * once; the view never shows `saved` while `source` does not.
 */
export function holdSaving(
  source: SaveStore,
  minSavingMs: number,
  timers: Timers = globalTimers,
): SaveStore & { destroy(): void } {
  let shown = source.getSnapshot()
  let savingSince = shown.state === 'saving' ? timers.now() : 0
  let timer: unknown = null
  const listeners = new Set<() => void>()

  const show = (next: SaveSnapshot) => {
    if (next === shown) return
    if (next.state === 'saving' && shown.state !== 'saving') savingSince = timers.now()
    shown = next
    for (const listener of [...listeners]) listener()
  }
  const follow = () => {
    if (timer !== null) {
      timers.clearTimeout(timer)
      timer = null
    }
    const next = source.getSnapshot()
    const wait = savingSince + minSavingMs - timers.now()
    if (next.state === 'saved' && shown.state === 'saving' && wait > 0) {
      timer = timers.setTimeout(() => {
        timer = null
        show(source.getSnapshot())
      }, wait)
      return
    }
    show(next)
  }
  const unsubscribe = source.subscribe(follow)

  return {
    getSnapshot: () => shown,
    subscribe: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    destroy: () => {
      unsubscribe()
      if (timer !== null) timers.clearTimeout(timer)
      listeners.clear()
    },
  }
}

/**
 * Resolves `true` once `store` shows `saved`, or `false` when it has not within `timeoutMs`
 * or goes offline first.
 */
export function whenSaved(
  store: SaveStore,
  timeoutMs: number,
  timers: Pick<Timers, 'setTimeout' | 'clearTimeout'> = globalTimers,
): Promise<boolean> {
  return new Promise((resolve) => {
    let unsubscribe = () => {}
    let timer: unknown = null
    const check = () => {
      const { state } = store.getSnapshot()
      if (state === 'saving') return false
      finish(state === 'saved')
      return true
    }
    const finish = (saved: boolean) => {
      unsubscribe()
      if (timer !== null) timers.clearTimeout(timer)
      resolve(saved)
    }
    if (check()) return
    unsubscribe = store.subscribe(check)
    timer = timers.setTimeout(() => finish(false), timeoutMs)
  })
}

import type { AwarenessEntry } from '@tandem/protocol'
import type { Logger } from '../log.js'
import { defaultRetention, pruneVersions, type RetentionPolicy } from '../persistence/retention.js'
import type { DocStore, VersionInfo, VersionKind } from '../persistence/store.js'
import type { Peer } from './peer.js'

/** When a room takes automatic versions, and which it keeps. */
export interface HistoryOptions {
  /** An automatic version is taken once the document has had no edit for this long. */
  versionQuietMs: number
  /**
   * While edits go on without such a pause, an automatic version is taken this long after the
   * first edit since the previous version.
   */
  versionMaxIntervalMs: number
  /** Most author names one version records. */
  maxVersionAuthors: number
  /** Which versions are kept as they age; applied each time a version is saved. */
  versionRetention: RetentionPolicy
}

export const defaultHistoryOptions: HistoryOptions = {
  versionQuietMs: 60_000,
  versionMaxIntervalMs: 10 * 60_000,
  maxVersionAuthors: 20,
  versionRetention: defaultRetention,
}

/** Longest author name kept, in code points. */
const MAX_AUTHOR_CHARS = 64

/** What the history needs of its room. */
export interface HistoryHost {
  readonly name: string
  /** Resolves once every update received so far is stored. */
  flush(): Promise<void>
  /**
   * The committed document as a version needs it (see `DocState.versionOff`, which folds a
   * large document off the event loop): its compact encoding, its text length, and whether it
   * holds the same content as `compareWith`, if given.
   */
  versionState(
    compareWith: Uint8Array | undefined,
  ): Promise<{ bytes: Uint8Array; textLength: number; sameAs: boolean }>
}

/** The outcome of {@link History.save}. */
export interface SavedVersion {
  version: VersionInfo
  /** `false` if an automatic version was not saved because the latest version is identical. */
  created: boolean
}

/** A colour as the web app and y-codemirror.next give one: `#rrggbb`. */
const HEX_COLOR = /^#[0-9a-fA-F]{6}$/

/**
 * The display name and colour (`user.name`, `user.color`, as y-codemirror.next and the web app
 * set them) in a presence state: the name trimmed to 64 code points, a colour only as `#rrggbb`.
 */
export function presenceUser(state: string | undefined): {
  name: string | null
  color: string | undefined
} {
  if (state === undefined) return { name: null, color: undefined }
  let parsed: unknown
  try {
    parsed = JSON.parse(state)
  } catch {
    return { name: null, color: undefined }
  }
  const user = (parsed as { user?: unknown } | null)?.user as
    | { name?: unknown; color?: unknown }
    | null
    | undefined
  const { name, color } = user ?? {}
  const trimmed =
    typeof name === 'string' ? [...name.trim()].slice(0, MAX_AUTHOR_CHARS).join('') : ''
  return {
    name: trimmed === '' ? null : trimmed,
    color: typeof color === 'string' && HEX_COLOR.test(color) ? color : undefined,
  }
}

/** The display name in a presence state (see {@link presenceUser}). */
function nameIn(state: string | undefined): string | null {
  return presenceUser(state).name
}

/**
 * The versions of one loaded document: automatic versions after a stretch of edits (once edits
 * pause for `versionQuietMs`, or `versionMaxIntervalMs` into continuous editing) and when the
 * last peer leaves or the room closes; versions on request. Authors are the names in the
 * awareness states of the peers whose edits a version holds.
 */
export class History {
  readonly #host: HistoryHost
  readonly #store: DocStore
  readonly #options: HistoryOptions
  readonly #log: Logger
  /** Whether edits were committed since the last version. */
  #dirty = false
  #stretch = 0
  #stretchStartMs = 0
  #lastEditMs = 0
  #timer: NodeJS.Timeout | undefined
  /** Author names of the current stretch. */
  readonly #names = new Set<string>()
  /** Peers that edited in the current stretch before their name was known. */
  readonly #unnamed = new Set<Peer>()
  /** The stretch in which each peer's name was last looked up. */
  readonly #seen = new WeakMap<Peer, number>()
  /** The last present awareness state each peer sent (JSON, unparsed). */
  readonly #lastState = new WeakMap<Peer, string>()
  /** Saves run one at a time, in order. */
  #queue: Promise<unknown> = Promise.resolve()
  #closing = false

  constructor(host: HistoryHost, store: DocStore, options: Partial<HistoryOptions>, log: Logger) {
    this.#host = host
    this.#store = store
    this.#options = {
      versionQuietMs: options.versionQuietMs ?? defaultHistoryOptions.versionQuietMs,
      versionMaxIntervalMs:
        options.versionMaxIntervalMs ?? defaultHistoryOptions.versionMaxIntervalMs,
      maxVersionAuthors: options.maxVersionAuthors ?? defaultHistoryOptions.maxVersionAuthors,
      versionRetention: options.versionRetention ?? defaultHistoryOptions.versionRetention,
    }
    this.#log = log
  }

  /** Records a committed edit, by `peer` or by the server itself (`null`). */
  edited(peer: Peer | null): void {
    const now = Date.now()
    this.#lastEditMs = now
    if (!this.#dirty) {
      this.#dirty = true
      this.#stretch++
      this.#stretchStartMs = now
      this.#arm(now)
    }
    if (peer === null || this.#seen.get(peer) === this.#stretch) return
    this.#seen.set(peer, this.#stretch)
    const name = nameIn(this.#lastState.get(peer))
    if (name !== null) this.addAuthor(name)
    else if (this.#unnamed.size < this.#options.maxVersionAuthors) this.#unnamed.add(peer)
  }

  /** Records awareness entries that `peer` sent (and the room applied). */
  sawAwareness(peer: Peer, entries: readonly AwarenessEntry[]): void {
    let state: string | undefined
    for (const entry of entries) if (entry.state !== null) state = entry.state
    if (state === undefined) return
    this.#lastState.set(peer, state)
    if (!this.#unnamed.has(peer)) return
    const name = nameIn(state)
    if (name === null) return
    this.#unnamed.delete(peer)
    this.addAuthor(name)
  }

  /** The display name in the last presence state `peer` sent, if it has one. */
  nameOf(peer: Peer): string | null {
    return nameIn(this.#lastState.get(peer))
  }

  /** The last presence state `peer` sent (JSON text), if it sent one. */
  stateOf(peer: Peer): string | undefined {
    return this.#lastState.get(peer)
  }

  /** Adds `name` to the authors of the current stretch (e.g. the user of an HTTP edit). */
  addAuthor(name: string): void {
    if (this.#names.size < this.#options.maxVersionAuthors) this.#names.add(name)
  }

  /** The last peer left: takes an automatic version once its edits are stored. */
  emptied(): void {
    this.#auto('last peer left', true)
  }

  /**
   * Saves a version of the document as it is now (its committed edits). An `auto` version
   * identical to the latest version is not saved; `created` is then `false`.
   */
  save(kind: VersionKind, label: string | null = null): Promise<SavedVersion> {
    if (this.#closing) return Promise.reject(new Error('room is closed'))
    return this.#enqueue(() => this.#save(kind, label))
  }

  /** Takes a last automatic version if there were edits since the previous, and waits for saves. */
  async close(): Promise<void> {
    this.#auto('room closed', false)
    this.#closing = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#queue
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(task)
    this.#queue = result.catch(() => {})
    return result
  }

  /**
   * Queues an automatic version, taken if there are edits without one when it runs. With
   * `flush`, it first waits for the updates still being stored (a leaving peer's last edits).
   */
  #auto(reason: string, flush: boolean): void {
    if ((!flush && !this.#dirty) || this.#closing) return
    this.#enqueue(async () => {
      if (flush) await this.#host.flush()
      if (!this.#dirty) return null
      return this.#save('auto', null)
    }).then(
      (saved) => {
        if (saved) this.#log.debug({ version: saved.version.id, reason }, 'automatic version')
      },
      (err: unknown) => this.#log.error({ err, reason }, 'saving an automatic version failed'),
    )
  }

  #arm(now: number): void {
    if (this.#timer !== undefined || this.#closing) return
    const due = Math.min(
      this.#lastEditMs + this.#options.versionQuietMs,
      this.#stretchStartMs + this.#options.versionMaxIntervalMs,
    )
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined
        if (!this.#dirty) return
        const at = Date.now()
        const quiet = at >= this.#lastEditMs + this.#options.versionQuietMs
        if (quiet || at >= this.#stretchStartMs + this.#options.versionMaxIntervalMs) {
          this.#auto(quiet ? 'edits paused' : 'continuous editing', false)
        } else {
          this.#arm(at)
        }
      },
      Math.max(0, due - now),
    )
    this.#timer.unref()
  }

  /**
   * The bytes and text length of the version to save, and for an automatic one the latest
   * version if it holds the same content (`unchanged`: nothing to save).
   */
  async #versionState(
    kind: VersionKind,
  ): Promise<{ bytes: Uint8Array; textLength: number; unchanged: VersionInfo | null }> {
    const name = this.#host.name
    const latest = kind === 'auto' ? (await this.#store.listVersions(name))[0] : undefined
    const latestBytes = latest ? (await this.#store.loadVersion(name, latest.id))?.bytes : undefined
    const state = await this.#host.versionState(latestBytes)
    const same = latest && state.sameAs && latest.textLength === state.textLength
    return { bytes: state.bytes, textLength: state.textLength, unchanged: same ? latest : null }
  }

  async #save(kind: VersionKind, label: string | null): Promise<SavedVersion> {
    const name = this.#host.name
    // The stretch ends here: edits committed from now on belong to the next version.
    for (const peer of this.#unnamed) {
      const found = nameIn(this.#lastState.get(peer))
      if (found !== null) this.addAuthor(found)
    }
    const stretch = { dirty: this.#dirty, startMs: this.#stretchStartMs, names: [...this.#names] }
    this.#dirty = false
    this.#names.clear()
    this.#unnamed.clear()
    clearTimeout(this.#timer)
    this.#timer = undefined

    try {
      const state = await this.#versionState(kind)
      if (state.unchanged) return { version: state.unchanged, created: false }
      const version = await this.#store.saveVersion(name, {
        createdAtMs: Date.now(),
        label,
        kind,
        authors: stretch.names,
        textLength: state.textLength,
        bytes: state.bytes,
      })
      this.#log.info(
        { version: version.id, kind, authors: version.authors.length },
        'version saved',
      )
      await pruneVersions(this.#store, name, this.#options.versionRetention).catch((err: unknown) =>
        this.#log.error({ err }, 'pruning versions failed'),
      )
      return { version, created: true }
    } catch (err) {
      // Not saved: the stretch goes on, and the next attempt waits a quiet period.
      for (const author of stretch.names) this.addAuthor(author)
      if (stretch.dirty && !this.#dirty) {
        this.#dirty = true
        this.#stretchStartMs = Date.now()
        this.#lastEditMs = this.#stretchStartMs
        this.#arm(this.#stretchStartMs)
      }
      throw err
    }
  }
}

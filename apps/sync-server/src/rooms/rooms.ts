import { CloseCode } from '@tandem/protocol'
import type { Logger } from '../log.js'
import type { DocStore } from '../persistence/store.js'
import type { Replication } from './link.js'
import type { Peer } from './peer.js'
import { Room, type RoomOptions } from './room.js'

/** A document is open (someone is connected, or the server is using it), so it is left alone. */
export class DocumentOpenError extends Error {
  override readonly name = 'DocumentOpenError'
  constructor(readonly doc: string) {
    super(`${JSON.stringify(doc)} is open`)
  }
}

export interface RoomsOptions extends RoomOptions {
  /** How long an empty room stays loaded, in case someone comes back. */
  unloadDelayMs: number
  /** Told once a document has loaded (its stored state is in memory). Must not throw. */
  onLoad?: (name: string) => void
  /** Told once a document has unloaded, everything it received stored. Must not throw. */
  onUnload?: (name: string) => void
}

/**
 * The loaded rooms of this process: a room is loaded by its first peer (no message is sent
 * before its stored state is loaded) and unloaded once it has been empty for `unloadDelayMs`
 * and everything it received is stored.
 */
export class Rooms {
  readonly #store: DocStore
  readonly #options: RoomsOptions
  readonly #log: Logger
  readonly #replication: Replication | undefined
  readonly #rooms = new Map<string, Promise<Room>>()
  readonly #unloading = new Map<string, Promise<void>>()
  readonly #unloadTimers = new Map<string, NodeJS.Timeout>()
  /** Names held by {@link whileUnloaded}: none of them loads until it settles. */
  readonly #held = new Map<string, Promise<void>>()
  /** Rooms held loaded by {@link use}, with how many uses hold each. */
  readonly #pins = new Map<Room, number>()
  #closed = false

  /** With `replication`, each room is kept in step with the other servers of a cluster. */
  constructor(store: DocStore, options: RoomsOptions, log: Logger, replication?: Replication) {
    this.#store = store
    this.#options = options
    this.#log = log
    this.#replication = replication
  }

  /** Number of loaded (or loading) rooms. */
  get size(): number {
    return this.#rooms.size
  }

  /**
   * Adds `peer` to the room of `name`, loading it first if needed. Rejects (and `peer` is not
   * added) if the server is closing or the document cannot be loaded.
   */
  async join(name: string, peer: Peer): Promise<Room> {
    const room = await this.#acquire(name)
    try {
      room.join(peer)
    } catch (err) {
      // The room added nothing; if nobody else is in it, it unloads as if the peer had left.
      this.#scheduleUnload(room)
      throw err
    }
    return room
  }

  /**
   * Runs `fn` with the room of `name` loaded (loading it if needed) and keeps it loaded until
   * `fn` settles: for edits and reads by the server itself, such as the HTTP API.
   */
  async use<T>(name: string, fn: (room: Room) => Promise<T> | T): Promise<T> {
    const room = await this.#acquire(name)
    this.#pins.set(room, (this.#pins.get(room) ?? 0) + 1)
    try {
      return await fn(room)
    } finally {
      const pins = (this.#pins.get(room) ?? 1) - 1
      if (pins > 0) this.#pins.set(room, pins)
      else this.#pins.delete(room)
      this.#scheduleUnload(room)
    }
  }

  /**
   * Runs `fn` while none of `names` is loaded, and keeps them from loading until it settles: for
   * changes to stored documents as a whole (delete, rename). A connection that arrives meanwhile
   * waits, then loads what the store holds afterwards. An empty room that is still loaded is
   * unloaded first (its last edits stored and compacted); a room with peers, or in use by
   * {@link use}, is open: rejects with {@link DocumentOpenError} and `fn` does not run.
   * Counts only this server's connections.
   */
  async whileUnloaded<T>(names: readonly string[], fn: () => Promise<T>): Promise<T> {
    for (let busy = this.#heldAny(names); busy; busy = this.#heldAny(names)) await busy
    let release!: () => void
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    for (const name of names) this.#held.set(name, released)
    try {
      for (const name of names) {
        for (
          let pending = this.#unloading.get(name);
          pending;
          pending = this.#unloading.get(name)
        ) {
          await pending
        }
        const room = await this.#rooms.get(name)?.catch(() => undefined)
        if (!room) continue
        if (room.size > 0 || this.#pins.has(room)) throw new DocumentOpenError(name)
        clearTimeout(this.#unloadTimers.get(name))
        this.#unloadTimers.delete(name)
        await this.#unload(room)
      }
      return await fn()
    } finally {
      for (const name of names) this.#held.delete(name)
      release()
    }
  }

  #heldAny(names: readonly string[]): Promise<void> | undefined {
    for (const name of names) {
      const held = this.#held.get(name)
      if (held) return held
    }
    return undefined
  }

  async #acquire(name: string): Promise<Room> {
    for (
      let pending = this.#unloading.get(name) ?? this.#held.get(name);
      pending;
      pending = this.#unloading.get(name) ?? this.#held.get(name)
    ) {
      await pending
    }
    if (this.#closed) throw new Error('server is shutting down')
    clearTimeout(this.#unloadTimers.get(name))
    this.#unloadTimers.delete(name)
    let loading = this.#rooms.get(name)
    if (!loading) {
      loading = Room.load(
        name,
        this.#store,
        this.#options,
        this.#log.child({ doc: name }),
        this.#replication?.link(name),
      )
      this.#rooms.set(name, loading)
      loading.then(
        (room) => {
          this.#log.debug({ doc: room.name }, 'room loaded')
          this.#options.onLoad?.(room.name)
        },
        (err: unknown) => {
          this.#rooms.delete(name)
          this.#log.error({ doc: name, err }, 'room failed to load')
        },
      )
    }
    return loading
  }

  /** Removes `peer` from `room`; an empty room is unloaded after the configured delay. */
  leave(room: Room, peer: Peer): void {
    room.leave(peer)
    this.#scheduleUnload(room)
  }

  #scheduleUnload(room: Room): void {
    if (room.size > 0 || this.#pins.has(room) || this.#closed) return
    if (this.#unloadTimers.has(room.name)) return
    const timer = setTimeout(() => {
      this.#unloadTimers.delete(room.name)
      void this.#unload(room)
    }, this.#options.unloadDelayMs)
    timer.unref()
    this.#unloadTimers.set(room.name, timer)
  }

  /** The loaded room of `name`, if it is loaded (or loading). */
  async get(name: string): Promise<Room | undefined> {
    return this.#rooms.get(name)
  }

  async #unload(room: Room): Promise<void> {
    if (room.size > 0 || this.#pins.has(room) || this.#rooms.get(room.name) === undefined) return
    this.#rooms.delete(room.name)
    const done = room.close().finally(() => this.#unloading.delete(room.name))
    this.#unloading.set(room.name, done)
    await done
    this.#log.debug({ doc: room.name }, 'room unloaded')
    this.#options.onUnload?.(room.name)
  }

  /** Closes every room (peers get 1001), storing everything first. */
  async close(): Promise<void> {
    this.#closed = true
    for (const timer of this.#unloadTimers.values()) clearTimeout(timer)
    this.#unloadTimers.clear()
    const rooms = await Promise.allSettled(this.#rooms.values())
    this.#rooms.clear()
    await Promise.all([
      ...rooms.flatMap((r) =>
        r.status === 'fulfilled'
          ? [r.value.close(CloseCode.GoingAway).then(() => this.#options.onUnload?.(r.value.name))]
          : [],
      ),
      ...this.#unloading.values(),
    ])
  }
}

import { type AwarenessEntry, encodeAwarenessUpdate } from '@tandem/protocol'
import type { Logger } from '../log.js'
import type { DocStore, StoreHealth } from '../persistence/store.js'
import { type LinkedRoom, RemoteOwner, type Replication, type RoomLink } from '../rooms/link.js'
import type { BusMessage, ClusterBus } from './bus.js'

export interface ClusterOptions {
  /** This server's id on the bus: unique per process (a restarted server is a new node). */
  nodeId: string
  /** Interval between this server's heartbeats. */
  heartbeatIntervalMs: number
  /** A server not heard from for this long is gone: its users' awareness is removed. */
  nodeTimeoutMs: number
  /**
   * Interval between comparisons of every loaded document with the store: a room that has
   * fallen behind (a lost message that nothing followed) catches up.
   */
  checkIntervalMs: number
  /** Told when another server revoked a share link (see `Revocations`). */
  linkRevoked?: (id: string) => void
}

/** Messages about one document held while its room loads (beyond, the room reads the store). */
const MAX_HELD_MESSAGES = 10_000
const MAX_HELD_BYTES = 8 * 1024 * 1024
/** Documents compared with the store in one query. */
const CHECK_BATCH = 1_000

interface NodeInfo {
  lastHeardMs: number
  /** The owner of the awareness states of each of its users. */
  owners: Map<string, RemoteOwner>
}

/** The link of one document of this server with the other servers: see {@link RoomLink}. */
class DocLink implements RoomLink {
  readonly ready: Promise<void>
  room: LinkedRoom | null = null
  /** Remote updates received while the room loads; `null` once attached. */
  #held: { seq: number; update: Uint8Array }[] | null = []
  #heldBytes = 0
  /** Set when updates were dropped (too many held) or may have been missed while loading. */
  missed = false
  #closed = false

  constructor(
    readonly cluster: Cluster,
    readonly name: string,
    subscribed: Promise<void>,
  ) {
    this.ready = subscribed
  }

  attach(room: LinkedRoom): void {
    if (this.#closed) return
    this.room = room
    const held = this.#held ?? []
    this.#held = null
    held.sort((a, b) => a.seq - b.seq)
    for (const { seq, update } of held) room.receiveRemoteUpdate(seq, update)
    if (this.missed) {
      this.missed = false
      void room.catchUp()
    }
    this.cluster.announce(this, true)
  }

  deliverUpdate(seq: number, update: Uint8Array): void {
    if (this.room) {
      this.room.receiveRemoteUpdate(seq, update)
      return
    }
    if (!this.#held) return
    if (
      this.#held.length >= MAX_HELD_MESSAGES ||
      this.#heldBytes + update.length > MAX_HELD_BYTES
    ) {
      this.missed = true
      return
    }
    this.#held.push({ seq, update })
    this.#heldBytes += update.length
  }

  publishUpdate(seq: number, update: Uint8Array): void {
    this.cluster.publish({ type: 'update', doc: this.name, node: this.cluster.nodeId, seq, update })
  }

  publishAwareness(userKey: string | undefined, entries: readonly AwarenessEntry[]): void {
    if (entries.length === 0) return
    this.cluster.publish({
      type: 'awareness',
      doc: this.name,
      node: this.cluster.nodeId,
      userKey,
      update: encodeAwarenessUpdate([...entries]),
    })
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#held = null
    this.room = null
    this.cluster.unlink(this)
  }
}

/**
 * Keeps this server's loaded documents in step with the other servers of a cluster. The store
 * (PostgreSQL) is the truth; the bus carries each stored update with its per-document sequence
 * number, and awareness. A room applies updates in sequence order and reads from the store
 * whatever it finds missing; after a reconnection to the bus, and every `checkIntervalMs`,
 * rooms that are behind the store catch up, so servers converge even when the bus loses
 * messages or is down for a while. Servers send heartbeats; the users of a server not heard
 * from for `nodeTimeoutMs` are removed from everyone's awareness.
 */
export class Cluster implements Replication {
  readonly nodeId: string
  readonly #bus: ClusterBus
  readonly #store: DocStore
  readonly #options: ClusterOptions
  readonly #log: Logger
  readonly #links = new Map<string, DocLink>()
  readonly #nodes = new Map<string, NodeInfo>()
  readonly #heartbeat: NodeJS.Timeout
  readonly #check: NodeJS.Timeout
  #checking: Promise<void> | null = null
  #checkAgain = false
  #closed = false
  #connectedOnce: (() => void) | null = null

  constructor(bus: ClusterBus, store: DocStore, options: ClusterOptions, log: Logger) {
    this.nodeId = options.nodeId
    this.#bus = bus
    this.#store = store
    this.#options = options
    this.#log = log
    this.#heartbeat = setInterval(() => this.#tick(), options.heartbeatIntervalMs)
    this.#heartbeat.unref()
    this.#check = setInterval(() => void this.checkAll(), options.checkIntervalMs)
    this.#check.unref()
    bus.start({
      message: (message) => this.#receive(message),
      connected: () => this.#connected(),
      disconnected: () =>
        this.#log.warn('cluster bus disconnected; rooms catch up when it is back'),
    })
  }

  /** Resolves once the bus is connected, or after `timeoutMs`, whichever comes first. */
  async waitConnected(timeoutMs: number): Promise<boolean> {
    if (this.#bus.connected) return true
    let timer: NodeJS.Timeout | undefined
    await new Promise<void>((resolve) => {
      this.#connectedOnce = resolve
      timer = setTimeout(resolve, timeoutMs)
    })
    clearTimeout(timer)
    this.#connectedOnce = null
    return this.#bus.connected
  }

  /** Whether the bus is connected; `/readyz` answers 503 with the reason while it is not. */
  health(): StoreHealth {
    return this.#bus.connected
      ? { ok: true }
      : { ok: false, reason: `Redis: ${this.#bus.failure ?? 'disconnected'}` }
  }

  link(name: string): RoomLink {
    this.#links.get(name)?.close()
    const link = new DocLink(this, name, this.#bus.subscribe(name))
    this.#links.set(name, link)
    return link
  }

  /** @internal */
  unlink(link: DocLink): void {
    if (this.#links.get(link.name) !== link) return
    this.#links.delete(link.name)
    this.#bus.unsubscribe(link.name)
  }

  /** @internal */
  publish(message: BusMessage): void {
    if (!this.#closed) this.#bus.publish(message)
  }

  /**
   * Tells the other servers who of this server's users are present in `link`'s document, and
   * with `query`, asks them for theirs.
   * @internal
   */
  announce(link: DocLink, query: boolean): void {
    const room = link.room
    if (!room) return
    for (const { userKey, entries } of room.localAwareness())
      link.publishAwareness(userKey, entries)
    if (query) this.publish({ type: 'awareness-query', doc: link.name, node: this.nodeId })
  }

  /**
   * Compares every loaded document with the store and catches up those that are behind. Runs
   * every `checkIntervalMs`; resolves once the rooms behind have caught up.
   */
  checkAll(): Promise<void> {
    if (this.#closed) return Promise.resolve()
    if (this.#checking) {
      // One that started before now may have read the store too early: run again after it.
      this.#checkAgain = true
      return this.#checking
    }
    const run = async () => {
      do {
        this.#checkAgain = false
        await this.#compareWithStore()
      } while (this.#checkAgain && !this.#closed)
    }
    this.#checking = run().finally(() => {
      this.#checking = null
    })
    return this.#checking
  }

  async #compareWithStore(): Promise<void> {
    try {
      const links = [...this.#links.values()].filter((l) => l.room !== null)
      for (let i = 0; i < links.length; i += CHECK_BATCH) {
        const batch = links.slice(i, i + CHECK_BATCH)
        const stored = await this.#store.lastSeqs(batch.map((l) => l.name))
        const behind = batch.flatMap((l) => {
          const room = l.room
          const seq = stored.get(l.name)
          return room && seq !== undefined && seq > room.lastSeq ? [room] : []
        })
        if (behind.length > 0) {
          this.#log.info({ docs: behind.length }, 'documents behind the store: catching up')
        }
        await Promise.all(behind.map((room) => room.catchUp()))
      }
    } catch (err) {
      this.#log.warn({ err }, 'comparing loaded documents with the store failed')
    }
  }

  /** Tells every other server that share link `id` is revoked (it is stored so). */
  publishLinkRevoked(id: string): void {
    this.publish({ type: 'link-revoked', node: this.nodeId, link: id })
  }

  /** Stops: tells the others this server's users are gone, and disconnects. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.publish({ type: 'leave', node: this.nodeId })
    this.#closed = true
    clearInterval(this.#heartbeat)
    clearInterval(this.#check)
    await this.#bus.close()
  }

  #receive(message: BusMessage): void {
    if (message.node === this.nodeId || this.#closed) return
    const node = this.#heard(message.node)
    switch (message.type) {
      case 'update':
        this.#links.get(message.doc)?.deliverUpdate(message.seq, message.update)
        return
      case 'awareness': {
        const room = this.#links.get(message.doc)?.room
        if (!room) return
        let owner = node.owners.get(message.userKey ?? '')
        if (!owner) {
          owner = new RemoteOwner(message.node, message.userKey)
          node.owners.set(message.userKey ?? '', owner)
        }
        room.receiveRemoteAwareness(owner, message.update)
        return
      }
      case 'awareness-query': {
        const link = this.#links.get(message.doc)
        if (link) this.announce(link, false)
        return
      }
      case 'heartbeat':
        return
      case 'leave':
        this.#gone(message.node, 'left')
        return
      case 'link-revoked':
        this.#options.linkRevoked?.(message.link)
        return
    }
  }

  #heard(id: string): NodeInfo {
    const now = Date.now()
    let node = this.#nodes.get(id)
    if (!node) {
      node = { lastHeardMs: now, owners: new Map() }
      this.#nodes.set(id, node)
      this.#log.info({ node: id }, 'cluster node joined')
    }
    node.lastHeardMs = now
    return node
  }

  #gone(id: string, why: string): void {
    const node = this.#nodes.get(id)
    if (!node) return
    this.#nodes.delete(id)
    for (const owner of node.owners.values()) owner.gone = true
    for (const link of this.#links.values()) link.room?.removeRemoteNode(id)
    this.#log.info({ node: id, why }, 'cluster node gone: its users’ awareness removed')
  }

  #tick(): void {
    this.publish({ type: 'heartbeat', node: this.nodeId })
    // While this server hears nothing at all, it cannot tell who is gone.
    if (!this.#bus.connected) return
    const now = Date.now()
    for (const [id, node] of this.#nodes) {
      if (now - node.lastHeardMs > this.#options.nodeTimeoutMs) this.#gone(id, 'silent')
    }
  }

  #connected(): void {
    this.#log.info({ node: this.nodeId }, 'cluster bus connected')
    this.#connectedOnce?.()
    const now = Date.now()
    // Give every known node a fresh chance: this server may be the one that was cut off.
    for (const node of this.#nodes.values()) node.lastHeardMs = now
    this.publish({ type: 'heartbeat', node: this.nodeId })
    for (const link of this.#links.values()) {
      if (link.room) this.announce(link, true)
      else link.missed = true
    }
    // Whatever was published while this node was away is in the store.
    void this.checkAll()
  }
}

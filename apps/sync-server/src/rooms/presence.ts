import {
  type AwarenessEntry,
  decodeAwarenessUpdate,
  encodeAwareness,
  encodeAwarenessUpdate,
} from '@tandem/protocol'
import type { Identity } from '../auth/access.js'
import { TokenBucket } from '../limits/token-bucket.js'
import type { Logger } from '../log.js'
import { AwarenessTable, TOMBSTONE_MS } from './awareness.js'
import { RemoteOwner, type RoomLink } from './link.js'
import type { Peer } from './peer.js'

/** What presence needs of its room. */
export interface PresenceHost {
  /** Whether `peer` is connected to the room. */
  has(peer: Peer): boolean
  send(peer: Peer, frame: Uint8Array): void
  /**
   * Sends `frame` to every peer but `from`; to `from` too if `echoIfQuiet` and it has been sent
   * nothing for a while (SPEC B3).
   */
  broadcast(frame: Uint8Array, from?: Peer, echoIfQuiet?: boolean): void
  /** A peer's presence changed (the history learns author names from it). */
  sawAwareness(peer: Peer, entries: readonly AwarenessEntry[]): void
}

export interface PresenceOptions {
  /** Largest awareness state of one client, in bytes of JSON. */
  maxAwarenessStateBytes: number
  /** Client ids one peer may own, and the room may hold (SPEC U5). */
  maxAwarenessClientsPerConnection: number
  maxAwarenessClientsPerRoom: number
}

/**
 * Everyone's presence answers a connection gets at once for a 1-byte query-awareness, and how
 * often one more is allowed after those (SPEC U6).
 */
const QUERIES_PER_CONNECTION = 4
const QUERIES_PER_SECOND = 0.1

/** A `#rrggbb` colour, the only form of colour the server passes on in a stamped state. */
const HEX_COLOR = /^#[0-9a-f]{6}$/i

/**
 * `entry` with the user's presence replaced by what `identity` (a token) vouches for: its name,
 * marked `verified`, its colour (or the client's own if it is a `#rrggbb` colour) and a light
 * variant derived from it; every other field of `user` is dropped, so a client cannot add what
 * others would render (SPEC U7).
 */
function stampIdentity(entry: AwarenessEntry, identity: Identity): AwarenessEntry {
  const state = stateObject(entry)
  if (!state) return entry
  const user = (state as { user?: { color?: unknown } }).user
  const own = typeof user?.color === 'string' && HEX_COLOR.test(user.color) ? user.color : null
  const color = identity.color ?? own
  const stamped = {
    name: identity.name,
    verified: true,
    ...(color ? { color, colorLight: `${color}33` } : {}),
  }
  return { ...entry, state: JSON.stringify({ ...state, user: stamped }) }
}

/**
 * `entry` without a `verified` mark in its user, which only the server may set (SPEC T46); the
 * same object when it has none (checked on the text first: a state rarely mentions it).
 */
function withoutVerified(entry: AwarenessEntry): AwarenessEntry {
  if (entry.state === null || !entry.state.includes('"verified"')) return entry
  const state = stateObject(entry)
  const user = (state as { user?: unknown } | null)?.user
  if (!state || typeof user !== 'object' || user === null || !('verified' in user)) return entry
  const { verified: _, ...rest } = user as Record<string, unknown>
  return { ...entry, state: JSON.stringify({ ...state, user: rest }) }
}

/** The state of `entry` as an object, or `null` when it has left or is not an object. */
function stateObject(entry: AwarenessEntry): object | null {
  if (entry.state === null) return null
  const state: unknown = JSON.parse(entry.state)
  return typeof state === 'object' && state !== null && !Array.isArray(state) ? state : null
}

/**
 * Whether the client ids of `owner`, which left at `removedMs`, are still reserved for its user
 * (one with the same `userKey`): for the awareness timeout after they left.
 */
function reserved(owner: { userKey?: string | undefined }, removedMs: number | null): boolean {
  return owner.userKey !== undefined && removedMs !== null && Date.now() - removedMs < TOMBSTONE_MS
}

/**
 * A room's presence (cursors, names): the awareness states of its peers and of other servers'
 * connections, relayed as JSON text without parsing them into objects (SPEC B1–A4, U5–U7).
 *
 * A client id belongs to the connection that last sent a state for it. Another connection of
 * this server takes it over only if the owner is gone or is the same user (a tab reconnecting);
 * another server's connection, only if the owner here is gone or is the same user. A gone
 * owner's client ids stay reserved for the same user for the awareness timeout (30 s), so that
 * nobody else takes them over and the user's reconnecting tab is not refused (SPEC T42). Only
 * its owner removes a client.
 */
export class Presence {
  readonly #table: AwarenessTable<Peer | RemoteOwner>
  readonly #host: PresenceHost
  readonly #link: RoomLink | undefined
  readonly #options: PresenceOptions
  readonly #log: Logger
  readonly #queries = new Map<Peer, TokenBucket>()

  constructor(
    host: PresenceHost,
    link: RoomLink | undefined,
    options: PresenceOptions,
    log: Logger,
  ) {
    this.#table = new AwarenessTable(options.maxAwarenessClientsPerRoom)
    this.#host = host
    this.#link = link
    this.#options = options
    this.#log = log
  }

  /** The frame that tells a joining peer who is present, if anyone is. */
  presentFrame(): Uint8Array | null {
    const present = this.#table.present()
    return present.length > 0 ? encodeAwareness(encodeAwarenessUpdate(present)) : null
  }

  /** `peer` has left: its states are removed for everyone. */
  leave(peer: Peer): void {
    this.#queries.delete(peer)
    const removed = this.#table.removeOwner(peer)
    if (removed.length === 0) return
    this.#host.broadcast(encodeAwareness(encodeAwarenessUpdate(removed)))
    this.#link?.publishAwareness(peer.userKey, removed)
  }

  /**
   * Applies an awareness update `update` (the payload of `frame`) from `peer` and relays what
   * changed. Throws `ProtocolError` if it does not decode or names more clients than the room
   * may hold.
   */
  receive(peer: Peer, frame: Uint8Array, update: Uint8Array): void {
    const decoded = decodeAwarenessUpdate(
      update,
      this.#options.maxAwarenessStateBytes,
      this.#options.maxAwarenessClientsPerRoom,
    )
    const { identity } = peer
    const entries = decoded.map((e) => (identity ? stampIdentity(e, identity) : withoutVerified(e)))
    const applied = this.#table.apply(
      entries,
      peer,
      (owner, _entry, removedMs) =>
        (owner.userKey !== undefined && owner.userKey === peer.userKey) ||
        ((owner instanceof RemoteOwner ? owner.gone : !this.#host.has(owner)) &&
          !reserved(owner, removedMs)),
      this.#options.maxAwarenessClientsPerConnection,
    )
    if (applied.length === 0) return
    this.#link?.publishAwareness(peer.userKey, applied)
    this.#host.sawAwareness(peer, applied)
    const out =
      applied.length === decoded.length && applied.every((e, i) => e === decoded[i])
        ? frame
        : encodeAwareness(encodeAwarenessUpdate(applied))
    this.#host.broadcast(out, peer, true)
  }

  /** Answers a query-awareness with everyone present, within the peer's budget (SPEC U6). */
  query(peer: Peer): void {
    const nowMs = Date.now()
    let budget = this.#queries.get(peer)
    if (!budget) {
      budget = new TokenBucket(QUERIES_PER_CONNECTION, QUERIES_PER_SECOND, nowMs)
      this.#queries.set(peer, budget)
    }
    if (!budget.take(1, nowMs)) return
    this.#host.send(peer, encodeAwareness(encodeAwarenessUpdate(this.#table.present())))
  }

  /** Applies an awareness update from the connection(s) of a user on another server. */
  receiveRemote(owner: RemoteOwner, update: Uint8Array): void {
    let entries: AwarenessEntry[]
    try {
      entries = decodeAwarenessUpdate(update, this.#options.maxAwarenessStateBytes)
    } catch (err) {
      this.#log.warn({ node: owner.node, err: (err as Error).message }, 'bad remote awareness')
      return
    }
    const applied = this.#table.apply(
      entries,
      owner,
      (current, entry, removedMs) =>
        entry.state !== null &&
        (current instanceof RemoteOwner ||
          (current.userKey !== undefined && current.userKey === owner.userKey) ||
          (!this.#host.has(current) && !reserved(current, removedMs))),
    )
    if (applied.length > 0) this.#host.broadcast(encodeAwareness(encodeAwarenessUpdate(applied)))
  }

  /** Removes the states of every user of server `node` (it is gone). */
  removeRemoteNode(node: string): void {
    const removed = this.#table.removeWhere((o) => o instanceof RemoteOwner && o.node === node)
    if (removed.length > 0) this.#host.broadcast(encodeAwareness(encodeAwarenessUpdate(removed)))
  }

  /** The present states that this server's peers sent, by user. */
  local(): { userKey: string | undefined; entries: AwarenessEntry[] }[] {
    const local: { userKey: string | undefined; entries: AwarenessEntry[] }[] = []
    for (const [owner, entries] of this.#table.presentByOwner()) {
      if (!(owner instanceof RemoteOwner)) local.push({ userKey: owner.userKey, entries })
    }
    return local
  }
}

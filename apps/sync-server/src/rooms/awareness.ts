import type { AwarenessEntry } from '@tandem/protocol'

interface ClientState<Owner> {
  clock: number
  /** JSON text of the state; `null` once the client has left. */
  state: string | null
  owner: Owner
  /** `Date.now()` when the client left (its state became `null`). */
  removedMs: number
}

/** How long a removed client is remembered: y-protocols' awareness timeout. */
export const TOMBSTONE_MS = 30_000

/**
 * The awareness (presence, cursors) of one room, kept as JSON text: the server relays states
 * without parsing them into objects. Follows y-protocols' rules: an entry is applied only if
 * its clock is newer, or equal with a removal. Bounded: at most `maxClients` present clients,
 * and a removed client is remembered (so that a late, older state cannot bring it back) for the
 * awareness timeout, and for at most `maxClients` removed clients.
 */
export class AwarenessTable<Owner> {
  readonly #clients = new Map<number, ClientState<Owner>>()
  /** Present clients, in all and by owner. */
  #present = 0
  readonly #owned = new Map<Owner, number>()
  /** Removed clients in the order they left (an id may be present again since). */
  #removed: number[] = []
  readonly #maxClients: number

  constructor(maxClients: number) {
    this.#maxClients = maxClients
  }

  /** The number of present clients. */
  get size(): number {
    return this.#present
  }

  /**
   * Applies `entries` sent by `owner` and returns those that changed something. A client id
   * belongs to the connection that sent it; another connection's entries for it are dropped
   * unless `mayTakeOver(currentOwner, entry, removedMs)` (the owner is gone, or it is the same
   * user reconnecting); `removedMs` is when the client left, `null` while it is present. A state that would make `owner` own more than `maxOwned` present clients,
   * or the room hold more than its `maxClients`, is dropped.
   */
  apply(
    entries: AwarenessEntry[],
    owner: Owner,
    mayTakeOver: (
      current: Owner,
      entry: AwarenessEntry,
      removedMs: number | null,
    ) => boolean = () => true,
    maxOwned = Number.POSITIVE_INFINITY,
  ): AwarenessEntry[] {
    this.#forgetRemoved(Date.now())
    const applied: AwarenessEntry[] = []
    for (const entry of entries) {
      const current = this.#clients.get(entry.clientId)
      if (
        current !== undefined &&
        current.owner !== owner &&
        !mayTakeOver(current.owner, entry, current.state === null ? current.removedMs : null)
      ) {
        continue
      }
      const newer =
        current === undefined ||
        current.clock < entry.clock ||
        (current.clock === entry.clock && entry.state === null && current.state !== null) ||
        // A client that comes back after its connection ended re-sends the state it had.
        (current.clock === entry.clock && current.state === null && entry.state !== null)
      // A removal of a client the room does not know changes nothing.
      if (!newer || (current === undefined && entry.state === null)) continue
      const arrives = entry.state !== null && (current?.state == null || current.owner !== owner)
      if (
        arrives &&
        (this.#present - (current?.state != null ? 1 : 0) >= this.#maxClients ||
          (this.#owned.get(owner) ?? 0) >= maxOwned)
      ) {
        continue
      }
      if (current?.state != null) this.#count(current.owner, -1)
      if (entry.state !== null) this.#count(owner, 1)
      else this.#removed.push(entry.clientId)
      this.#clients.set(entry.clientId, {
        clock: entry.clock,
        state: entry.state,
        owner,
        removedMs: entry.state === null ? Date.now() : 0,
      })
      applied.push(entry)
    }
    return applied
  }

  #count(owner: Owner, delta: number): void {
    this.#present += delta
    const owned = (this.#owned.get(owner) ?? 0) + delta
    if (owned > 0) this.#owned.set(owner, owned)
    else this.#owned.delete(owner)
  }

  #remove(clientId: number, client: ClientState<Owner>, nowMs: number): AwarenessEntry {
    this.#count(client.owner, -1)
    client.state = null
    client.removedMs = nowMs
    this.#removed.push(clientId)
    return { clientId, clock: client.clock, state: null }
  }

  /**
   * Forgets removed clients once their removal is older than the awareness timeout (every
   * peer has dropped them by then), or beyond the room's bound of `maxClients` removed ones.
   */
  #forgetRemoved(nowMs: number): void {
    let i = 0
    for (; i < this.#removed.length; i++) {
      const clientId = this.#removed[i] as number
      const client = this.#clients.get(clientId)
      const stale = client !== undefined && client.state === null
      if (
        stale &&
        nowMs - client.removedMs < TOMBSTONE_MS &&
        this.#removed.length - i <= this.#maxClients
      ) {
        break
      }
      if (stale) this.#clients.delete(clientId)
    }
    if (i > 0) this.#removed = this.#removed.slice(i)
  }

  /** Marks every client owned by `owner` as gone; returns the removal entries to broadcast. */
  removeOwner(owner: Owner): AwarenessEntry[] {
    if (!this.#owned.has(owner)) return []
    const nowMs = Date.now()
    const removed: AwarenessEntry[] = []
    for (const [clientId, client] of this.#clients) {
      if (client.owner !== owner || client.state === null) continue
      // Same clock: receivers apply a removal at an equal clock, and the client, reconnecting
      // with the state it had, is accepted again (a bumped clock would make peers drop it).
      removed.push(this.#remove(clientId, client, nowMs))
    }
    return removed
  }

  /** Marks every client whose owner passes `test` as gone; returns the removal entries. */
  removeWhere(test: (owner: Owner) => boolean): AwarenessEntry[] {
    const nowMs = Date.now()
    const removed: AwarenessEntry[] = []
    for (const [clientId, client] of this.#clients) {
      if (client.state === null || !test(client.owner)) continue
      removed.push(this.#remove(clientId, client, nowMs))
    }
    return removed
  }

  /** The present clients' entries, by owner. */
  presentByOwner(): Map<Owner, AwarenessEntry[]> {
    const byOwner = new Map<Owner, AwarenessEntry[]>()
    for (const [clientId, { clock, state, owner }] of this.#clients) {
      if (state === null) continue
      const entries = byOwner.get(owner) ?? []
      if (entries.length === 0) byOwner.set(owner, entries)
      entries.push({ clientId, clock, state })
    }
    return byOwner
  }

  /** The present clients' entries. */
  present(): AwarenessEntry[] {
    const entries: AwarenessEntry[] = []
    for (const [clientId, { clock, state }] of this.#clients) {
      if (state !== null) entries.push({ clientId, clock, state })
    }
    return entries
  }
}

import type { AwarenessEntry } from '@tandem/protocol'

interface ClientState<Owner> {
  clock: number
  /** JSON text of the state; `null` once the client has left. */
  state: string | null
  owner: Owner
}

/**
 * The awareness (presence, cursors) of one room, kept as JSON text: the server relays states
 * without parsing them into objects. Follows y-protocols' rules: an entry is applied only if
 * its clock is newer, or equal with a removal.
 */
export class AwarenessTable<Owner> {
  readonly #clients = new Map<number, ClientState<Owner>>()

  /**
   * Applies `entries` sent by `owner` and returns those that changed something. A client id
   * belongs to the connection that sent it; another connection's entries for it are dropped
   * unless `mayTakeOver(currentOwner, entry)` (the owner is gone, or it is the same user
   * reconnecting).
   */
  apply(
    entries: AwarenessEntry[],
    owner: Owner,
    mayTakeOver: (current: Owner, entry: AwarenessEntry) => boolean = () => true,
  ): AwarenessEntry[] {
    const applied: AwarenessEntry[] = []
    for (const entry of entries) {
      const current = this.#clients.get(entry.clientId)
      if (current !== undefined && current.owner !== owner && !mayTakeOver(current.owner, entry)) {
        continue
      }
      const newer =
        current === undefined ||
        current.clock < entry.clock ||
        (current.clock === entry.clock && entry.state === null && current.state !== null) ||
        // A client that comes back after its connection ended re-sends the state it had.
        (current.clock === entry.clock && current.state === null && entry.state !== null)
      if (!newer) continue
      this.#clients.set(entry.clientId, { clock: entry.clock, state: entry.state, owner })
      applied.push(entry)
    }
    return applied
  }

  /** Marks every client owned by `owner` as gone; returns the removal entries to broadcast. */
  removeOwner(owner: Owner): AwarenessEntry[] {
    const removed: AwarenessEntry[] = []
    for (const [clientId, client] of this.#clients) {
      if (client.owner !== owner || client.state === null) continue
      // Same clock: receivers apply a removal at an equal clock, and the client, reconnecting
      // with the state it had, is accepted again (a bumped clock would make peers drop it).
      client.state = null
      removed.push({ clientId, clock: client.clock, state: null })
    }
    return removed
  }

  /** Marks every client whose owner passes `test` as gone; returns the removal entries. */
  removeWhere(test: (owner: Owner) => boolean): AwarenessEntry[] {
    const removed: AwarenessEntry[] = []
    for (const [clientId, client] of this.#clients) {
      if (client.state === null || !test(client.owner)) continue
      client.state = null
      removed.push({ clientId, clock: client.clock, state: null })
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

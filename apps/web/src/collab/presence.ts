import type { Awareness } from 'y-protocols/awareness'
import { type HexColor, remoteUser } from './remote-user'

/** Someone with the document open, as the presence list shows them. */
export interface Person {
  readonly clientId: number
  /** Checked plain text (see `remoteDisplayName`). */
  readonly name: string
  /** Checked `#rrggbb` (see `remoteUser`). */
  readonly color: HexColor
  /** Whether the server vouches for the name (see `RemoteUser.verified`). */
  readonly verified: boolean
  readonly self: boolean
}

/** The most people the presence list shows by name; the rest are counted ("and 212 more"). */
export const MAX_LISTED_PEOPLE = 12

/** Who is present, as the page shows it. */
export interface PresenceSnapshot {
  /** Yourself first, then the others by name: at most the store's limit. */
  readonly listed: readonly Person[]
  /** How many people are present, listed or not. */
  readonly total: number
  /** Anyone present by awareness client id, listed or not. */
  readonly get: (clientId: number) => Person | undefined
}

const collator = new Intl.Collator()

/** The presence list's order: yourself first, then by name, then by client id. */
export function comparePeople(a: Person, b: Person): number {
  return (
    Number(b.self) - Number(a.self) || collator.compare(a.name, b.name) || a.clientId - b.clientId
  )
}

/** Someone's awareness `state` as a {@link Person}: every remote field checked. */
export function personOf(clientId: number, state: unknown, selfId: number): Person {
  const { name, color, verified } = remoteUser(clientId, state)
  return { clientId, name, color, verified, self: clientId === selfId }
}

/**
 * The first `limit` of `people` in {@link comparePeople} order, without sorting them all: one
 * pass, each person compared with the last of those kept so far.
 */
export function firstPeople(people: Iterable<Person>, limit: number): Person[] {
  const kept: Person[] = []
  if (limit <= 0) return kept
  for (const person of people) {
    const last = kept[kept.length - 1]
    if (kept.length === limit && last !== undefined && comparePeople(person, last) >= 0) continue
    let at = kept.length
    while (at > 0 && comparePeople(person, kept[at - 1] as Person) < 0) at--
    kept.splice(at, 0, person)
    if (kept.length > limit) kept.pop()
  }
  return kept
}

/**
 * A store of the people present, for `useSyncExternalStore`. It keeps one checked
 * {@link Person} per client and, on an awareness change, reads only the clients that changed; a
 * change that leaves every person as they were (a cursor move) keeps the snapshot. The snapshot
 * lists at most `limit` people.
 */
export function presenceStore(awareness: Awareness, limit = MAX_LISTED_PEOPLE) {
  const people = new Map<number, Person>()
  const listeners = new Set<() => void>()
  const get = (clientId: number) => people.get(clientId)
  let snapshot: PresenceSnapshot = { listed: [], total: 0, get }
  let attached = false

  const refresh = (force: boolean) => {
    const next = { listed: firstPeople(people.values(), limit), total: people.size, get }
    if (force || !sameSnapshot(snapshot, next)) snapshot = next
  }
  const rebuild = () => {
    people.clear()
    for (const [clientId, state] of awareness.getStates()) {
      people.set(clientId, personOf(clientId, state, awareness.clientID))
    }
    refresh(false)
  }
  const onChange = ({
    added,
    updated,
    removed,
  }: {
    added: number[]
    updated: number[]
    removed: number[]
  }) => {
    const states = awareness.getStates()
    let changed = false
    for (const clientId of removed) changed = people.delete(clientId) || changed
    for (const ids of [added, updated]) {
      for (const clientId of ids) {
        const state = states.get(clientId)
        if (state === undefined) continue
        const person = personOf(clientId, state, awareness.clientID)
        const known = people.get(clientId)
        if (known !== undefined && samePerson(known, person)) continue
        people.set(clientId, person)
        changed = true
      }
    }
    if (!changed) return
    refresh(true)
    for (const listener of listeners) listener()
  }

  return {
    subscribe(listener: () => void): () => void {
      listeners.add(listener)
      if (!attached) {
        attached = true
        awareness.on('change', onChange)
        rebuild()
      }
      return () => {
        listeners.delete(listener)
        if (listeners.size === 0 && attached) {
          attached = false
          awareness.off('change', onChange)
        }
      }
    },
    getSnapshot(): PresenceSnapshot {
      // Unsubscribed (the first render), nothing tells us about changes: read everything.
      if (!attached) rebuild()
      return snapshot
    },
  }
}

function samePerson(a: Person, b: Person): boolean {
  return (
    a.clientId === b.clientId &&
    a.name === b.name &&
    a.color === b.color &&
    a.verified === b.verified &&
    a.self === b.self
  )
}

function sameSnapshot(a: PresenceSnapshot, b: PresenceSnapshot): boolean {
  return (
    a.total === b.total &&
    a.listed.length === b.listed.length &&
    a.listed.every((person, i) => {
      const other = b.listed[i]
      return other !== undefined && samePerson(person, other)
    })
  )
}

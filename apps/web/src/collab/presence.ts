import type { Awareness } from 'y-protocols/awareness'

/** Someone with the document open, as the presence list shows them. */
export interface Person {
  readonly clientId: number
  readonly name: string
  readonly color: string
  readonly self: boolean
}

const FALLBACK_COLOR = '#6b7280'

/**
 * The people in awareness states that carry a `user` field: yourself first, then by name. A
 * client without `user` (a stock client that sets nothing) is listed as "Anonymous".
 */
export function peopleFromStates(
  states: ReadonlyMap<number, Record<string, unknown>>,
  selfId: number,
): Person[] {
  const people: Person[] = []
  for (const [clientId, state] of states) {
    const user =
      typeof state.user === 'object' && state.user !== null
        ? (state.user as Record<string, unknown>)
        : {}
    const name = typeof user.name === 'string' && user.name.trim() ? user.name : 'Anonymous'
    const color = typeof user.color === 'string' ? user.color : FALLBACK_COLOR
    people.push({ clientId, name, color, self: clientId === selfId })
  }
  return people.sort(
    (a, b) =>
      Number(b.self) - Number(a.self) || a.name.localeCompare(b.name) || a.clientId - b.clientId,
  )
}

/** A store of the people present, for `useSyncExternalStore`. */
export function presenceStore(awareness: Awareness) {
  let snapshot: readonly Person[] = []
  return {
    subscribe(listener: () => void): () => void {
      awareness.on('change', listener)
      return () => awareness.off('change', listener)
    },
    getSnapshot(): readonly Person[] {
      const next = peopleFromStates(awareness.getStates(), awareness.clientID)
      if (!samePeople(snapshot, next)) snapshot = next
      return snapshot
    },
  }
}

function samePeople(a: readonly Person[], b: readonly Person[]): boolean {
  return (
    a.length === b.length &&
    a.every((person, i) => {
      const other = b[i]
      return (
        other !== undefined &&
        person.clientId === other.clientId &&
        person.name === other.name &&
        person.color === other.color &&
        person.self === other.self
      )
    })
  )
}

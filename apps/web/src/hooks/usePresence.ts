import { useMemo, useSyncExternalStore } from 'react'
import type { Awareness } from 'y-protocols/awareness'
import { type Person, presenceStore } from '../collab/presence'

const nobody: readonly Person[] = []
const getNobody = () => nobody
const subscribeToNothing = () => () => {}

/**
 * Everyone in `awareness`, yourself first; re-renders only when someone joins, leaves or
 * changes. Empty while there is no awareness yet.
 */
export function usePresence(awareness: Awareness | null): readonly Person[] {
  const store = useMemo(() => (awareness ? presenceStore(awareness) : null), [awareness])
  return useSyncExternalStore(
    store?.subscribe ?? subscribeToNothing,
    store?.getSnapshot ?? getNobody,
  )
}

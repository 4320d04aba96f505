import { useMemo, useSyncExternalStore } from 'react'
import type { Awareness } from 'y-protocols/awareness'
import { type PresenceSnapshot, presenceStore } from '../collab/presence'

const nobody: PresenceSnapshot = { listed: [], total: 0, get: () => undefined }
const getNobody = () => nobody
const subscribeToNothing = () => () => {}

/**
 * Who is in `awareness`: the first few (yourself first), how many in all, and anyone by client
 * id; re-renders only when someone joins, leaves or changes. Nobody while there is no awareness.
 */
export function usePresence(awareness: Awareness | null): PresenceSnapshot {
  const store = useMemo(() => (awareness ? presenceStore(awareness) : null), [awareness])
  return useSyncExternalStore(
    store?.subscribe ?? subscribeToNothing,
    store?.getSnapshot ?? getNobody,
  )
}

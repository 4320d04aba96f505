import { useSyncExternalStore } from 'react'
import type { ConnectionSnapshot, ConnectionWatcher } from '../collab/connection'

const before: ConnectionSnapshot = { state: 'connecting', closed: null }
const getBefore = () => before
const subscribeToNothing = () => () => {}

/** The connection state of a session's provider; `connecting` while there is no session yet. */
export function useConnection(watcher: ConnectionWatcher | null): ConnectionSnapshot {
  return useSyncExternalStore(
    watcher?.subscribe ?? subscribeToNothing,
    watcher?.getSnapshot ?? getBefore,
  )
}

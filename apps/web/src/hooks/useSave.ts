import { useEffect, useSyncExternalStore } from 'react'
import type { SaveSnapshot, SaveStore } from '../collab/save-state'

const before: SaveSnapshot = { state: 'offline', unsavedEdits: false }
const getBefore = () => before
const subscribeToNothing = () => () => {}

/** Whether this client's edits are stored; `offline` with nothing unsaved before a session. */
export function useSave(store: SaveStore | null): SaveSnapshot {
  return useSyncExternalStore(
    store?.subscribe ?? subscribeToNothing,
    store?.getSnapshot ?? getBefore,
  )
}

/**
 * Asks the browser to confirm leaving the page while `store` has edits the server has not
 * acknowledged (they are kept in IndexedDB, but only this browser has them). The listener is
 * there only while it is needed, so it does not keep the page out of the back/forward cache.
 */
export function useUnsavedWarning(store: SaveStore | null): void {
  useEffect(() => {
    if (store === null) return
    const onBeforeUnload = (event: BeforeUnloadEvent) => event.preventDefault()
    let listening = false
    const follow = () => {
      const unsaved = store.getSnapshot().unsavedEdits
      if (unsaved === listening) return
      listening = unsaved
      if (unsaved) window.addEventListener('beforeunload', onBeforeUnload)
      else window.removeEventListener('beforeunload', onBeforeUnload)
    }
    follow()
    const unsubscribe = store.subscribe(follow)
    return () => {
      unsubscribe()
      window.removeEventListener('beforeunload', onBeforeUnload)
    }
  }, [store])
}

import { useCallback, useEffect, useSyncExternalStore } from 'react'
import { type SaveSnapshot, type SaveStore, whenSaved } from '../collab/save-state'

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

/** How long {@link useSavedFirst}'s check waits for this client's edits to be stored, in ms. */
const SAVED_FIRST_TIMEOUT_MS = 5_000

/**
 * A check to run before something that must include this client's latest edits (saving a
 * version): resolves `null` once `store` shows everything stored (waiting up to 5 s), or says
 * why not. `store` is `null` while the document is still opening.
 */
export function useSavedFirst(store: SaveStore | null): () => Promise<string | null> {
  return useCallback(async () => {
    if (store === null) return 'The document is still opening.'
    const saved = await whenSaved(store, SAVED_FIRST_TIMEOUT_MS)
    if (saved) return null
    return store.getSnapshot().state === 'saving'
      ? 'Your latest changes are not stored yet; try again in a moment.'
      : 'You are offline; versions can be saved once the connection returns.'
  }, [store])
}

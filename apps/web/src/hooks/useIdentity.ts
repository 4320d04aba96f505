import { useCallback, useSyncExternalStore } from 'react'
import { IDENTITY_KEY, type Identity, type IdentityStore } from '../lib/identity'

/** The current identity; follows changes made here and in other tabs. */
export function useIdentity(store: IdentityStore): Identity {
  const subscribe = useCallback(
    (listener: () => void) => {
      const onStorage = (event: StorageEvent) => {
        if (event.key === IDENTITY_KEY || event.key === null) store.reload()
      }
      window.addEventListener('storage', onStorage)
      const unsubscribe = store.subscribe(listener)
      return () => {
        window.removeEventListener('storage', onStorage)
        unsubscribe()
      }
    },
    [store],
  )
  return useSyncExternalStore(subscribe, store.get)
}

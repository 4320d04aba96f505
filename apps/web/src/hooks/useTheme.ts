import { useCallback, useSyncExternalStore } from 'react'
import { THEME_KEY, type ThemeSnapshot, type ThemeStore } from '../lib/theme'

/** The page's theme; follows the system, the toggle and changes made in other tabs. */
export function useTheme(store: ThemeStore): ThemeSnapshot {
  const subscribe = useCallback(
    (listener: () => void) => {
      const onStorage = (event: StorageEvent) => {
        if (event.key === THEME_KEY || event.key === null) store.reload()
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
  return useSyncExternalStore(subscribe, store.getSnapshot)
}

import { useSyncExternalStore } from 'react'
import { currentPath, subscribeToPath } from '../app/router'

/** `location.pathname`, kept current across in-app navigation and back/forward. */
export function usePath(): string {
  return useSyncExternalStore(subscribeToPath, currentPath)
}

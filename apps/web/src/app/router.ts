const NAVIGATE_EVENT = 'tandem:navigate'

/** Goes to `path` within the app, adding a history entry (or replacing the current one). */
export function navigate(path: string, { replace = false } = {}): void {
  if (path === location.pathname + location.search + location.hash) return
  if (replace) history.replaceState(null, '', path)
  else history.pushState(null, '', path)
  window.scrollTo(0, 0)
  window.dispatchEvent(new Event(NAVIGATE_EVENT))
}

/** The current path, as `parseRoute` expects it. */
export function currentPath(): string {
  return location.pathname
}

/** Calls `listener` whenever the path may have changed: `navigate`, back and forward. */
export function subscribeToPath(listener: () => void): () => void {
  window.addEventListener('popstate', listener)
  window.addEventListener(NAVIGATE_EVENT, listener)
  return () => {
    window.removeEventListener('popstate', listener)
    window.removeEventListener(NAVIGATE_EVENT, listener)
  }
}

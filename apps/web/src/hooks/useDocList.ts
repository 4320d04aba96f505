import { useCallback, useEffect, useRef, useState } from 'react'
import { ApiError } from '../lib/api'
import { type DocSummary, listDocs } from '../lib/docs-api'
import type { Loadable } from './useHistory'

/** How often the list is refreshed while the page is visible, in ms. */
const REFRESH_INTERVAL_MS = 15_000

/**
 * The server's documents, newest first: loaded on mounting, again every
 * {@link REFRESH_INTERVAL_MS} while the page is visible, and when it becomes visible again.
 */
export function useDocList(apiUrl: string): Loadable<readonly DocSummary[]> & { refresh(): void } {
  const [docs, setDocs] = useState<Loadable<readonly DocSummary[]>>({ status: 'loading' })
  const request = useRef<AbortController | null>(null)

  const refresh = useCallback(() => {
    request.current?.abort()
    const controller = new AbortController()
    request.current = controller
    listDocs(apiUrl, controller.signal).then(
      (value) => {
        if (!controller.signal.aborted) setDocs({ status: 'ready', value })
      },
      (err: unknown) => {
        if (controller.signal.aborted) return
        const message =
          err instanceof ApiError && (err.status === 401 || err.status === 403)
            ? 'This server does not list its documents to everyone.'
            : err instanceof Error
              ? err.message
              : String(err)
        // A failed refresh keeps the list it had.
        setDocs((current) => (current.status === 'ready' ? current : { status: 'error', message }))
      },
    )
  }, [apiUrl])

  useEffect(() => {
    refresh()
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') refresh()
    }, REFRESH_INTERVAL_MS)
    const onVisible = () => {
      if (document.visibilityState === 'visible') refresh()
    }
    document.addEventListener('visibilitychange', onVisible)
    return () => {
      clearInterval(timer)
      document.removeEventListener('visibilitychange', onVisible)
      request.current?.abort()
    }
  }, [refresh])

  return { ...docs, refresh }
}

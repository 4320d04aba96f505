import { useCallback, useEffect, useRef, useState } from 'react'
import { ApiError } from '../lib/api'
import { type DocListRead, type DocSummary, readDocs } from '../lib/docs-api'

/** How often the list is refreshed while the page is visible, in ms. */
const REFRESH_INTERVAL_MS = 15_000

/** Documents a page of the list holds: the first page, and each "Load more". */
export const DOC_PAGE_SIZE = 50

/** The most documents one request asks for (the server's bound). */
const MAX_LIMIT = 500

/** The server's documents matching a filter, a page at a time, by name. */
export interface DocList {
  /** `loading` while the first page of `query` is on its way (the rows are then an older filter's). */
  readonly status: 'loading' | 'ready' | 'error'
  /** The filter the rows answer. */
  readonly query: string
  /** By name (the server's order). */
  readonly docs: readonly DocSummary[]
  /** Whether the server has more after these (a filter may have read only part of the names). */
  readonly hasMore: boolean
  /** A further page is on its way. */
  readonly loadingMore: boolean
  /** Why the first page or the last "Load more" failed, as a sentence; `null` if it did not. */
  readonly error: string | null
  /** Reads the next page and adds it to the rows. */
  loadMore(): void
  /** Reads the rows shown again (as far as they went), or the first page if none are. */
  refresh(): void
}

interface State {
  status: DocList['status']
  query: string
  docs: readonly DocSummary[]
  nextCursor: string | null
  loadingMore: boolean
  error: string | null
}

function describeError(err: unknown): string {
  return err instanceof ApiError && (err.status === 401 || err.status === 403)
    ? 'This server does not list its documents to everyone.'
    : err instanceof Error
      ? err.message
      : String(err)
}

const isAbort = (err: unknown) => err instanceof DOMException && err.name === 'AbortError'

/**
 * The server's documents whose names match `query` (by name, a page at a time: nothing reads
 * them all): the first page on mounting and when `query` changes; the rows shown are read again
 * when the page becomes visible again, and, without a filter, every {@link REFRESH_INTERVAL_MS}
 * while it is visible.
 */
export function useDocList(apiUrl: string, query: string): DocList {
  const [state, setState] = useState<State>({
    status: 'loading',
    query,
    docs: [],
    nextCursor: null,
    loadingMore: false,
    error: null,
  })
  const current = useRef(state)
  const wanted = useRef(query)
  wanted.current = query
  /** The request that replaces the rows, and the one that adds a page. */
  const replacing = useRef<AbortController | null>(null)
  const adding = useRef<AbortController | null>(null)

  const update = useCallback((change: (s: State) => State) => {
    current.current = change(current.current)
    setState(current.current)
  }, [])

  /** Replaces the rows with what `read` finds for `q`. */
  const replace = useCallback(
    (q: string, read: Omit<DocListRead, 'query'>) => {
      replacing.current?.abort()
      adding.current?.abort()
      const controller = new AbortController()
      replacing.current = controller
      update((s) => ({
        ...s,
        loadingMore: false,
        ...(s.query === q && s.status !== 'error' ? {} : { status: 'loading' as const }),
      }))
      readDocs(apiUrl, { ...read, query: q }, controller.signal).then(
        (page) => {
          if (controller.signal.aborted) return
          // A page asked for meanwhile went on from the rows this replaces.
          adding.current?.abort()
          update(() => ({
            status: 'ready',
            query: q,
            docs: page.docs,
            nextCursor: page.nextCursor,
            loadingMore: false,
            error: null,
          }))
        },
        (err: unknown) => {
          if (controller.signal.aborted || isAbort(err)) return
          // A failed refresh keeps the rows it had, and says nothing: the next one may work.
          update((s) =>
            s.status === 'ready' && s.query === q
              ? s
              : {
                  ...s,
                  status: 'error',
                  query: q,
                  docs: [],
                  nextCursor: null,
                  error: describeError(err),
                },
          )
        },
      )
    },
    [apiUrl, update],
  )

  const first = useCallback(
    (q: string) =>
      replace(q, { cursor: null, until: { docs: DOC_PAGE_SIZE }, limit: DOC_PAGE_SIZE }),
    [replace],
  )

  const refresh = useCallback(() => {
    const s = current.current
    // A filter's first page on its way, or nothing shown: start again.
    if (s.status !== 'ready' || s.query !== wanted.current) {
      first(wanted.current)
      return
    }
    replace(s.query, {
      cursor: null,
      until: { through: s.nextCursor },
      limit: Math.min(MAX_LIMIT, Math.max(DOC_PAGE_SIZE, s.docs.length)),
    })
  }, [first, replace])

  const loadMore = useCallback(() => {
    const s = current.current
    if (s.status !== 'ready' || s.nextCursor === null || s.loadingMore) return
    const controller = new AbortController()
    adding.current = controller
    update((now) => ({ ...now, loadingMore: true, error: null }))
    readDocs(
      apiUrl,
      {
        query: s.query,
        cursor: s.nextCursor,
        until: { docs: DOC_PAGE_SIZE },
        limit: DOC_PAGE_SIZE,
      },
      controller.signal,
    ).then(
      (page) => {
        if (controller.signal.aborted) return
        update((now) => ({
          ...now,
          docs: [...now.docs, ...page.docs],
          nextCursor: page.nextCursor,
          loadingMore: false,
        }))
      },
      (err: unknown) => {
        if (controller.signal.aborted || isAbort(err)) return
        update((now) => ({ ...now, loadingMore: false, error: describeError(err) }))
      },
    )
  }, [apiUrl, update])

  useEffect(() => {
    first(query)
  }, [first, query])

  useEffect(() => {
    const refreshIfIdle = (event?: Event) => {
      const s = current.current
      if (document.visibilityState !== 'visible' || s.status !== 'ready' || s.loadingMore) return
      // Filtered rows may have taken many requests (each reads up to 5,000 names): the timer
      // leaves them be, and they are read again when the page becomes visible or they change.
      if (event === undefined && s.query !== '') return
      refresh()
    }
    const timer = setInterval(() => refreshIfIdle(), REFRESH_INTERVAL_MS)
    document.addEventListener('visibilitychange', refreshIfIdle)
    return () => {
      clearInterval(timer)
      document.removeEventListener('visibilitychange', refreshIfIdle)
      replacing.current?.abort()
      adding.current?.abort()
    }
  }, [refresh])

  return {
    status: state.status,
    query: state.query,
    docs: state.docs,
    hasMore: state.nextCursor !== null,
    loadingMore: state.loadingMore,
    error: state.error,
    loadMore,
    refresh,
  }
}

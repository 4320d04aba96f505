import { useCallback, useEffect, useRef, useState } from 'react'
import { ApiError } from '../lib/api'
import type { HistoryApi, Version } from '../lib/history-api'

export type Loadable<T> =
  | { readonly status: 'idle' }
  | { readonly status: 'loading' }
  | { readonly status: 'ready'; readonly value: T }
  | { readonly status: 'error'; readonly message: string }

export interface VersionText {
  readonly version: Version
  readonly text: string
}

export interface History {
  readonly versions: Loadable<readonly Version[]>
  /** The version being previewed, if any. */
  readonly selectedId: string | null
  readonly preview: Loadable<VersionText>
  refresh(): void
  select(id: string | null): void
  /** Saves a named version; resolves with an error message, or `null` on success. */
  save(label: string): Promise<string | null>
  /** Restores a version; resolves with an error message, or `null` on success. */
  restore(id: string): Promise<string | null>
}

const idle = { status: 'idle' } as const
const loading = { status: 'loading' } as const

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

const notFound = (err: unknown) => err instanceof ApiError && err.status === 404

const isAbort = (err: unknown) => err instanceof DOMException && err.name === 'AbortError'

/**
 * The version history of a document while `open`: the list (loaded on opening and after each
 * change), the previewed version's text, and the save and restore actions. `beforeSave` runs
 * before a version is saved, so that it includes this client's latest edits.
 */
export function useHistory(
  api: HistoryApi,
  open: boolean,
  beforeSave: () => Promise<string | null>,
): History {
  const [versions, setVersions] = useState<Loadable<readonly Version[]>>(idle)
  const [selectedId, setSelectedId] = useState<string | null>(null)
  const [preview, setPreview] = useState<Loadable<VersionText>>(idle)
  const listRequest = useRef<AbortController | null>(null)
  const previewRequest = useRef<AbortController | null>(null)

  const refresh = useCallback(() => {
    listRequest.current?.abort()
    const controller = new AbortController()
    listRequest.current = controller
    setVersions((current) => (current.status === 'ready' ? current : loading))
    api.list(controller.signal).then(
      (list) => {
        if (!controller.signal.aborted) setVersions({ status: 'ready', value: list })
      },
      (err: unknown) => {
        if (controller.signal.aborted || isAbort(err)) return
        // A document nothing was ever written to has no history yet.
        if (notFound(err)) setVersions({ status: 'ready', value: [] })
        else setVersions({ status: 'error', message: messageOf(err) })
      },
    )
  }, [api])

  const select = useCallback(
    (id: string | null) => {
      previewRequest.current?.abort()
      setSelectedId(id)
      if (id === null) {
        setPreview(idle)
        return
      }
      const controller = new AbortController()
      previewRequest.current = controller
      setPreview(loading)
      api.get(id, controller.signal).then(
        (value) => {
          if (!controller.signal.aborted) setPreview({ status: 'ready', value })
        },
        (err: unknown) => {
          if (!controller.signal.aborted && !isAbort(err)) {
            setPreview({ status: 'error', message: messageOf(err) })
          }
        },
      )
    },
    [api],
  )

  useEffect(() => {
    if (open) refresh()
    else {
      listRequest.current?.abort()
      select(null)
      setVersions(idle)
    }
  }, [open, refresh, select])

  useEffect(
    () => () => {
      listRequest.current?.abort()
      previewRequest.current?.abort()
    },
    [],
  )

  const save = useCallback(
    async (label: string) => {
      const problem = await beforeSave()
      if (problem !== null) return problem
      try {
        await api.create(label)
      } catch (err) {
        return notFound(err)
          ? 'There is nothing to save yet: write something first.'
          : messageOf(err)
      }
      refresh()
      return null
    },
    [api, beforeSave, refresh],
  )

  const restore = useCallback(
    async (id: string) => {
      try {
        await api.restore(id)
      } catch (err) {
        return messageOf(err)
      }
      select(null)
      refresh()
      return null
    },
    [api, refresh, select],
  )

  return { versions, selectedId, preview, refresh, select, save, restore }
}

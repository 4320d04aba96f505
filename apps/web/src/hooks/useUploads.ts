import type { EditorView } from '@codemirror/view'
import { type RefObject, useCallback, useEffect, useRef, useState } from 'react'
import type { CollabSession } from '../collab/session'
import { forgetUpload, keepUpload, keptUploads, type QueuedUpload } from '../lib/upload-queue'
import {
  findPlaceholder,
  placeholderId,
  placeholderMarkdown,
  UploadError,
  uploadFile,
} from '../lib/uploads'

/** How long a file whose upload failed on the network waits before it is tried again, in ms. */
const NETWORK_RETRY_MS = 15_000

/** A file on its way to the server. */
export interface Upload {
  readonly id: string
  readonly name: string
  /** Sent so far, from 0 to 1. */
  readonly progress: number
}

export interface Uploads {
  /** The uploads running, oldest first. */
  readonly running: readonly Upload[]
  /**
   * The files this browser keeps for placeholders of the text until they reach the server, as
   * object URLs by placeholder id: the preview shows them from here meanwhile.
   */
  readonly local: ReadonlyMap<string, string>
  /**
   * Uploads `files` into the text: a placeholder each goes into the shared text at once (at
   * `at`, else replacing the selection), and becomes the file's Markdown once it is stored.
   */
  readonly start: (files: readonly File[], at?: number) => void
}

/**
 * Uploads pasted, dropped or chosen files to the document. Everyone sees a placeholder at once;
 * this page shows the progress; a refusal says why (through `notify`) and takes the placeholder
 * out again, leaving nothing broken behind. A file is kept in this browser (IndexedDB) until
 * the server has it: offline, or when the network fails, it waits there, shown from the local
 * copy, and goes once the page is `online` again, 15 s after a network failure, or after a
 * reload.
 */
export function useUploads(
  session: CollabSession | null,
  viewRef: RefObject<EditorView | null>,
  {
    apiUrl,
    name,
    token,
    online,
    notify,
  }: {
    apiUrl: string
    name: string
    token: string | null
    /** Whether the page is connected to the server now. */
    online: boolean
    notify: (text: string, error?: boolean) => void
  },
): Uploads {
  const [running, setRunning] = useState<readonly Upload[]>([])
  const [local, setLocal] = useState<ReadonlyMap<string, string>>(() => new Map())
  const inFlight = useRef(new Map<string, AbortController>())
  const retries = useRef(new Set<ReturnType<typeof setTimeout>>())
  const sendNow = useRef<((item: QueuedUpload) => void) | null>(null)
  const onlineNow = useRef(online)
  onlineNow.current = online

  useEffect(() => {
    const pending = inFlight.current
    const timers = retries.current
    return () => {
      // Left unfinished, they stay kept and go when the document is open again.
      for (const abort of pending.values()) abort.abort()
      pending.clear()
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
    }
  }, [])
  // The object URLs go with the page.
  const localNow = useRef(local)
  localNow.current = local
  useEffect(
    () => () => {
      for (const url of localNow.current.values()) URL.revokeObjectURL(url)
    },
    [],
  )

  const showLocal = useCallback((id: string, blob: Blob) => {
    setLocal((map) => (map.has(id) ? map : new Map(map).set(id, URL.createObjectURL(blob))))
  }, [])
  const dropLocal = useCallback((id: string) => {
    setLocal((map) => {
      const url = map.get(id)
      if (url === undefined) return map
      URL.revokeObjectURL(url)
      const next = new Map(map)
      next.delete(id)
      return next
    })
  }, [])

  const send = useCallback(
    (item: QueuedUpload) => {
      if (session === null || inFlight.current.has(item.id)) return
      const text = session.text
      const abort = new AbortController()
      inFlight.current.set(item.id, abort)
      setRunning((list) => [...list, { id: item.id, name: item.name, progress: 0 }])
      const progress = (fraction: number) =>
        setRunning((list) => list.map((u) => (u.id === item.id ? { ...u, progress: fraction } : u)))
      const done = () => {
        void forgetUpload(item.id)
        dropLocal(item.id)
      }
      uploadFile({
        apiUrl,
        doc: name,
        file: item.blob,
        name: item.name,
        token,
        onProgress: progress,
        signal: abort.signal,
      })
        .then(
          (uploaded) => {
            const found = findPlaceholder(text.toString(), item.id, item.name)
            if (found !== null) {
              const { markdown, url } = uploaded
              session.edit(() => {
                text.delete(found.from, found.to - found.from)
                text.insert(found.from, found.whole ? markdown : url)
              })
            }
            done()
          },
          (err: unknown) => {
            if (abort.signal.aborted) return
            if (err instanceof UploadError && err.code === 'network') {
              notify(`${item.name} will be uploaded when the connection is back.`)
              // Kept; tried again after a while, and at once when the page reconnects.
              const timer = setTimeout(() => {
                retries.current.delete(timer)
                if (onlineNow.current) sendNow.current?.(item)
              }, NETWORK_RETRY_MS)
              retries.current.add(timer)
              return
            }
            // Refused: it never will be. Taken out whole, with the line break it came with.
            const found = findPlaceholder(text.toString(), item.id, item.name)
            if (found !== null) {
              const current = text.toString()
              const to = found.whole && current[found.to] === '\n' ? found.to + 1 : found.to
              session.edit(() => text.delete(found.from, to - found.from))
            }
            done()
            const why = err instanceof UploadError ? err.message : 'Something went wrong.'
            notify(`Could not upload ${item.name}: ${why}`, true)
          },
        )
        .finally(() => {
          if (inFlight.current.get(item.id) === abort) inFlight.current.delete(item.id)
          setRunning((list) => list.filter((u) => u.id !== item.id))
        })
    },
    [session, apiUrl, name, token, notify, dropLocal],
  )

  sendNow.current = send

  const start = useCallback(
    (files: readonly File[], at?: number) => {
      if (session === null || files.length === 0) return
      const items: QueuedUpload[] = files.map((file) => ({
        id: placeholderId(),
        doc: name,
        name: file.name.trim() || 'image',
        blob: file,
        queuedAtMs: Date.now(),
      }))
      for (const item of items) showLocal(item.id, item.blob)
      const inserted = items.map((i) => placeholderMarkdown(i.id, i.name)).join('\n')
      const view = viewRef.current
      if (view !== null) {
        const { from, to } = at === undefined ? view.state.selection.main : { from: at, to: at }
        view.dispatch({
          changes: { from, to, insert: inserted },
          selection: { anchor: from + inserted.length },
          userEvent: 'input.paste',
          scrollIntoView: true,
        })
      } else {
        const text = session.text
        session.edit(() => text.insert(text.length, inserted))
      }
      for (const item of items) {
        void keepUpload(item).then(() => {
          if (onlineNow.current) send(item)
          else notify(`${item.name} will be uploaded when the connection is back.`)
        })
      }
    },
    [session, viewRef, name, send, showLocal, notify],
  )

  // What this browser kept for the document: shown at once, sent once the page is online.
  useEffect(() => {
    if (session === null) return
    let cancelled = false
    void keptUploads(name).then((items) => {
      if (cancelled) return
      for (const item of items) {
        showLocal(item.id, item.blob)
        if (online) send(item)
      }
    })
    return () => {
      cancelled = true
    }
  }, [session, name, online, send, showLocal])

  return { running, local, start }
}

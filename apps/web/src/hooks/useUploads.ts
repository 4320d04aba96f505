import type { EditorView } from '@codemirror/view'
import { type RefObject, useCallback, useEffect, useRef, useState } from 'react'
import type { CollabSession } from '../collab/session'
import {
  findPlaceholder,
  placeholderId,
  placeholderMarkdown,
  UploadError,
  uploadFile,
} from '../lib/uploads'

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
   * Uploads `files` into the text: a placeholder each goes into the shared text at once (at
   * `at`, else replacing the selection), and becomes the file's Markdown once it is stored.
   */
  readonly start: (files: readonly File[], at?: number) => void
}

/**
 * Uploads pasted, dropped or chosen files to the document. Everyone sees a placeholder at once;
 * this page shows the progress; a failure says why (through `notify`) and takes the placeholder
 * out again, leaving nothing broken behind.
 */
export function useUploads(
  session: CollabSession | null,
  viewRef: RefObject<EditorView | null>,
  {
    apiUrl,
    name,
    token,
    notify,
  }: {
    apiUrl: string
    name: string
    token: string | null
    notify: (text: string, error?: boolean) => void
  },
): Uploads {
  const [running, setRunning] = useState<readonly Upload[]>([])
  const aborts = useRef(new Set<AbortController>())
  useEffect(() => {
    const pending = aborts.current
    return () => {
      for (const abort of pending) abort.abort()
    }
  }, [])

  const start = useCallback(
    (files: readonly File[], at?: number) => {
      if (session === null || files.length === 0) return
      const text = session.text
      const items = files.map((file) => {
        const fileName = file.name.trim() || 'image'
        return { file, fileName, id: placeholderId() }
      })
      const inserted = items.map((i) => placeholderMarkdown(i.id, i.fileName)).join('\n')
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
        session.edit(() => text.insert(text.length, inserted))
      }
      const replace = (id: string, fileName: string, markdown: string) => {
        const found = findPlaceholder(text.toString(), id, fileName)
        if (found === null) return
        const replacement = found.whole
          ? markdown
          : markdown.slice(markdown.lastIndexOf('(') + 1, -1)
        session.edit(() => {
          text.delete(found.from, found.to - found.from)
          text.insert(found.from, replacement)
        })
      }
      for (const { file, fileName, id } of items) {
        const abort = new AbortController()
        aborts.current.add(abort)
        setRunning((list) => [...list, { id, name: fileName, progress: 0 }])
        const progress = (fraction: number) =>
          setRunning((list) => list.map((u) => (u.id === id ? { ...u, progress: fraction } : u)))
        uploadFile({ apiUrl, doc: name, file, token, onProgress: progress, signal: abort.signal })
          .then(
            (uploaded) => replace(id, fileName, uploaded.markdown),
            (err: unknown) => {
              // Taken out whole, with the line break it came with if it was one of several.
              const found = findPlaceholder(text.toString(), id, fileName)
              if (found !== null) {
                const current = text.toString()
                const to = found.whole && current[found.to] === '\n' ? found.to + 1 : found.to
                session.edit(() => text.delete(found.from, to - found.from))
              }
              if (abort.signal.aborted) return
              const why = err instanceof UploadError ? err.message : 'Something went wrong.'
              notify(`Could not upload ${fileName}: ${why}`, true)
            },
          )
          .finally(() => {
            aborts.current.delete(abort)
            setRunning((list) => list.filter((u) => u.id !== id))
          })
      }
    },
    [session, viewRef, apiUrl, name, token, notify],
  )
  return { running, start }
}

import { type AttributionRecord, Playback, TEXT_NAME } from '@tandem/protocol'
import { useEffect, useState } from 'react'
import * as Y from 'yjs'
import type { AttributionApi, Author } from '../lib/attribution-api'
import type { Loadable } from './useHistory'

/** A document's history, ready to play back. */
export interface LoadedTimeline {
  readonly enabled: boolean
  /** Whether the server keeps deleted text: if not, earlier steps lack what was deleted since. */
  readonly keepsDeletedText: boolean
  readonly authors: readonly Author[]
  readonly records: readonly AttributionRecord[]
  /** The text after any record; `null` when the server records no attribution. */
  readonly playback: Playback | null
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err))
const isAbort = (err: unknown) => err instanceof DOMException && err.name === 'AbortError'

/**
 * The document's timeline while `needed`: fetched each time it becomes needed, its state
 * applied to a document that keeps deleted content (`gc: false`) and played back from there.
 */
export function useTimeline(api: AttributionApi, needed: boolean): Loadable<LoadedTimeline> {
  const [state, setState] = useState<Loadable<LoadedTimeline>>({ status: 'idle' })
  useEffect(() => {
    if (!needed) {
      setState({ status: 'idle' })
      return
    }
    const controller = new AbortController()
    setState({ status: 'loading' })
    api.timeline(controller.signal).then(
      (timeline) => {
        if (controller.signal.aborted) return
        if (!timeline.enabled) {
          setState({
            status: 'ready',
            value: {
              enabled: false,
              keepsDeletedText: timeline.keepsDeletedText,
              authors: [],
              records: [],
              playback: null,
            },
          })
          return
        }
        let playback: Playback
        try {
          const doc = new Y.Doc({ gc: false })
          Y.applyUpdate(doc, timeline.state)
          playback = Playback.of(doc.getText(TEXT_NAME), timeline.records)
          doc.destroy()
        } catch {
          setState({ status: 'error', message: 'The history could not be read.' })
          return
        }
        setState({
          status: 'ready',
          value: {
            enabled: true,
            keepsDeletedText: timeline.keepsDeletedText,
            authors: timeline.authors,
            records: timeline.records,
            playback,
          },
        })
      },
      (err: unknown) => {
        if (!controller.signal.aborted && !isAbort(err)) {
          setState({ status: 'error', message: messageOf(err) })
        }
      },
    )
    return () => controller.abort()
  }, [api, needed])
  return state
}

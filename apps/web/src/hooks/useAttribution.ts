import { useEffect, useState } from 'react'
import type * as Y from 'yjs'
import type { AttributionApi, AttributionIds } from '../lib/attribution-api'
import type { Loadable } from './useHistory'

/** How long after a change the attribution is asked for again, at the least, in ms. */
export const ATTRIBUTION_QUIET_MS = 2_000
/** How long a stream of changes may put that off, at the most, in ms. */
export const ATTRIBUTION_MAX_WAIT_MS = 6_000

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err))
const isAbort = (err: unknown) => err instanceof DOMException && err.name === 'AbortError'

/**
 * Who wrote the document's ids, while `on`: fetched at once, and again once the text (`text`:
 * the shared text, local or remote changes alike) has been still for
 * {@link ATTRIBUTION_QUIET_MS}, or after {@link ATTRIBUTION_MAX_WAIT_MS} of steady typing.
 * A failed fetch keeps the last answer (when there is one) and is tried again at the next change.
 */
export function useAttribution(
  api: AttributionApi,
  text: Y.Text | null,
  on: boolean,
): Loadable<AttributionIds> {
  const [state, setState] = useState<Loadable<AttributionIds>>({ status: 'idle' })

  useEffect(() => {
    if (!on) {
      setState({ status: 'idle' })
      return
    }
    let disposed = false
    let controller: AbortController | null = null
    let quietTimer: ReturnType<typeof setTimeout> | undefined
    let maxTimer: ReturnType<typeof setTimeout> | undefined
    // A change arrived while a fetch was under way: fetch again after it.
    let changedDuringFetch = false

    const fetchNow = () => {
      clearTimeout(quietTimer)
      clearTimeout(maxTimer)
      quietTimer = undefined
      maxTimer = undefined
      controller?.abort()
      const current = new AbortController()
      controller = current
      changedDuringFetch = false
      setState((previous) => (previous.status === 'ready' ? previous : { status: 'loading' }))
      api.ids(current.signal).then(
        (value) => {
          if (disposed || current.signal.aborted) return
          controller = null
          setState({ status: 'ready', value })
          if (changedDuringFetch) changed()
        },
        (err: unknown) => {
          if (disposed || current.signal.aborted || isAbort(err)) return
          controller = null
          setState((previous) =>
            previous.status === 'ready' ? previous : { status: 'error', message: messageOf(err) },
          )
        },
      )
    }
    const changed = () => {
      if (controller !== null) {
        changedDuringFetch = true
        return
      }
      clearTimeout(quietTimer)
      quietTimer = setTimeout(fetchNow, ATTRIBUTION_QUIET_MS)
      maxTimer ??= setTimeout(fetchNow, ATTRIBUTION_MAX_WAIT_MS)
    }

    fetchNow()
    text?.observe(changed)
    return () => {
      disposed = true
      controller?.abort()
      clearTimeout(quietTimer)
      clearTimeout(maxTimer)
      text?.unobserve(changed)
    }
  }, [api, text, on])

  return state
}

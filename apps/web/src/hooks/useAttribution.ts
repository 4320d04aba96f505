import { useEffect, useState } from 'react'
import type * as Y from 'yjs'
import type { AttributionApi, AttributionIds } from '../lib/attribution-api'
import { Refetcher } from '../lib/refetch'
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
 * A failed fetch keeps the last answer (when there is one) and is tried again at the next change
 * (see `Refetcher`).
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
    let controller: AbortController | null = null
    const refetch = new Refetcher(
      async () => {
        const current = new AbortController()
        controller = current
        setState((previous) => (previous.status === 'ready' ? previous : { status: 'loading' }))
        try {
          const value = await api.ids(current.signal)
          if (!current.signal.aborted) setState({ status: 'ready', value })
        } catch (err) {
          if (current.signal.aborted || isAbort(err)) return
          setState((previous) =>
            previous.status === 'ready' ? previous : { status: 'error', message: messageOf(err) },
          )
        }
      },
      ATTRIBUTION_QUIET_MS,
      ATTRIBUTION_MAX_WAIT_MS,
    )
    const changed = () => refetch.changed()
    refetch.now()
    text?.observe(changed)
    return () => {
      refetch.dispose()
      controller?.abort()
      text?.unobserve(changed)
    }
  }, [api, text, on])

  return state
}

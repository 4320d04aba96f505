import type { EditorView } from '@codemirror/view'
import { type RefObject, useCallback, useState } from 'react'
import type { CollabSession } from '../collab/session'
import { following as followingOf, scrollToPerson, setFollowing } from '../editor/follow'

export interface Follow {
  /** The awareness client id of the person the editor follows, if anyone. */
  readonly following: number | null
  /** For the editor's `onFollowChange`: following started or stopped, also by itself. */
  readonly changed: (clientId: number | null) => void
  /** Scrolls to someone's caret once; `onNoCaret` runs when they have none in the text. */
  readonly show: (clientId: number) => void
  /** Starts following someone (scrolling to them at once), or stops (`null`). */
  readonly follow: (clientId: number | null) => void
}

/**
 * Jumping to and following people's carets in the editor of `viewRef`. The editor holds whom
 * it follows (`editor/follow.ts`) and stops by itself when you type or the person leaves; this
 * mirrors that for the page.
 */
export function useFollow(
  viewRef: RefObject<EditorView | null>,
  session: CollabSession | null,
  onNoCaret: () => void,
): Follow {
  const [following, setFollowingState] = useState<number | null>(null)

  const show = useCallback(
    (clientId: number) => {
      const view = viewRef.current
      if (view === null || session === null) return
      if (!scrollToPerson(view, session, clientId)) onNoCaret()
    },
    [viewRef, session, onNoCaret],
  )

  const follow = useCallback(
    (clientId: number | null) => {
      const view = viewRef.current
      if (view === null) return
      if (followingOf(view) !== clientId) view.dispatch({ effects: setFollowing.of(clientId) })
      if (clientId !== null && session !== null) scrollToPerson(view, session, clientId)
    },
    [viewRef, session],
  )

  return { following, changed: setFollowingState, show, follow }
}

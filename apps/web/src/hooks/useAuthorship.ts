import type { EditorView } from '@codemirror/view'
import { type AttributedSpan, attributeText } from '@tandem/protocol'
import { type RefObject, useEffect, useMemo, useState } from 'react'
import type { Person } from '../collab/presence'
import type { HexColor } from '../collab/remote-user'
import type { CollabSession } from '../collab/session'
import { setAuthorship } from '../editor/authorship'
import { versionDeletions } from '../lib/attributed-diff'
import type { AttributionApi, AttributionIds, Author } from '../lib/attribution-api'
import { type AuthorStyle, authorColors, authorStyles } from '../lib/author-colors'
import type { KeyValueStore } from '../lib/storage'
import { useAttribution } from './useAttribution'
import type { Loadable, VersionText } from './useHistory'
import { useStoredFlag } from './useStoredFlag'
import { type LoadedTimeline, useTimeline } from './useTimeline'

/** Where it is remembered whether the text is coloured by author. */
export const AUTHORS_KEY = 'tandem:authors'

const noAuthors: readonly Author[] = []

export interface AuthorshipOptions {
  store: KeyValueStore
  api: AttributionApi
  session: CollabSession | null
  /** The editor, which the colours are shown in. */
  viewRef: RefObject<EditorView | null>
  /** The people present: an author's colour is theirs under the same name. */
  people: readonly Person[]
  notify: (text: string) => void
  /** Whether the timeline is wanted (the playback or a version's preview is open). */
  timelineNeeded: boolean
  previewing: boolean
  preview: Loadable<VersionText>
  /** The document's text now, while previewing (what the preview compares with). */
  current: string
}

/** Who wrote what on a document page. */
export interface Authorship {
  /** The Authors toggle, remembered. */
  readonly authorsOn: boolean
  toggleAuthors(): void
  /** The server said it records no attribution: the page offers none. */
  readonly attributionOff: boolean
  /** Whether the editor's text is coloured (and the legend shown). */
  readonly showAuthors: boolean
  readonly attribution: Loadable<AttributionIds>
  readonly liveAuthors: readonly Author[]
  readonly liveColors: ReadonlyMap<number, HexColor>
  readonly timeline: Loadable<LoadedTimeline>
  readonly present: ReadonlyMap<string, HexColor>
  /**
   * For the version preview: who wrote `current` and who deleted the version's text since (as
   * spans of each), and the authors they name.
   */
  readonly previewAttribution: {
    readonly currentSpans: readonly AttributedSpan[]
    readonly deletedSpans: readonly AttributedSpan[] | null
    readonly authors: ReadonlyMap<number, AuthorStyle>
  } | null
}

/**
 * The Authors view (the ids view fetched while it is on, its spans shown in the editor), the
 * timeline while it is needed, and what the version preview needs to colour its differences.
 */
export function useAuthorship({
  store,
  api,
  session,
  viewRef,
  people,
  notify,
  timelineNeeded,
  previewing,
  preview,
  current,
}: AuthorshipOptions): Authorship {
  const [authorsOn, toggleAuthors] = useStoredFlag(store, AUTHORS_KEY)
  const attribution = useAttribution(api, session?.text ?? null, authorsOn)
  const timeline = useTimeline(api, timelineNeeded)
  // Whether the server records who wrote what is known from its first answer; once it says no,
  // the page offers none of it (and forgets the Authors choice, so as not to ask again).
  const [attributionOff, setAttributionOff] = useState(false)
  const saysOff =
    (attribution.status === 'ready' && !attribution.value.enabled) ||
    (timeline.status === 'ready' && !timeline.value.enabled)
  if (saysOff && !attributionOff) setAttributionOff(true)
  useEffect(() => {
    if (!attributionOff || !authorsOn) return
    toggleAuthors()
    notify('This server does not record who wrote what.')
  }, [attributionOff, authorsOn, toggleAuthors, notify])
  const showAuthors = authorsOn && !attributionOff
  const present = useMemo(
    () => new Map(people.map((person) => [person.name, person.color])),
    [people],
  )
  const liveAuthors = attribution.status === 'ready' ? attribution.value.authors : noAuthors
  const liveColors = useMemo(() => authorColors(liveAuthors, present), [liveAuthors, present])
  useEffect(() => {
    const view = viewRef.current
    if (view === null || session === null) return
    if (!showAuthors || attribution.status !== 'ready') {
      view.dispatch({ effects: setAuthorship.of(null) })
      return
    }
    // Only once the editor shows the shared text (not the offline copy's, before it loads).
    if (!session.isLoaded() || view.state.doc.length !== session.text.length) return
    view.dispatch({
      effects: setAuthorship.of({
        spans: attributeText(session.text, attribution.value.records),
        authors: authorStyles(attribution.value.authors, liveColors),
      }),
    })
  }, [session, showAuthors, attribution, liveColors, viewRef])

  // The version's differences by author: its text found at a step of the played-back history,
  // what of it is gone since by who deleted it.
  const played = timeline.status === 'ready' ? timeline.value : null
  const versionValue = preview.status === 'ready' ? preview.value : null
  const deletedSpans = useMemo(() => {
    if (played?.playback == null || versionValue === null) return null
    return versionDeletions(
      played.playback,
      played.records,
      versionValue.version.createdAtMs,
      versionValue.text,
    )
  }, [played, versionValue])
  const playedColors = useMemo(
    () => authorColors(played?.authors ?? noAuthors, present),
    [played, present],
  )
  const previewAttribution = useMemo(() => {
    if (!previewing || played === null || !played.enabled || session === null) return null
    // `current` is the text these spans are of: keyed on it, they are made again as it changes.
    void current
    return {
      currentSpans: attributeText(session.text, played.records),
      deletedSpans,
      authors: authorStyles(played.authors, playedColors),
    }
  }, [previewing, played, session, deletedSpans, playedColors, current])
  return {
    authorsOn,
    toggleAuthors,
    attributionOff,
    showAuthors,
    attribution,
    liveAuthors,
    liveColors,
    timeline,
    present,
    previewAttribution,
  }
}

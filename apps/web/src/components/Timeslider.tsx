import { EditorState } from '@codemirror/state'
import { EditorView } from '@codemirror/view'
import { type KeyboardEvent, useCallback, useEffect, useId, useMemo, useRef, useState } from 'react'
import type { HexColor } from '../collab/remote-user'
import { authorship, setAuthorship } from '../editor/authorship'
import { editable } from '../editor/setup'
import { tandemTheme } from '../editor/theme'
import type { Loadable } from '../hooks/useHistory'
import type { LoadedTimeline } from '../hooks/useTimeline'
import { stepAt } from '../lib/attributed-diff'
import type { Author } from '../lib/attribution-api'
import { authorColors, authorStyles } from '../lib/author-colors'
import type { Version } from '../lib/history-api'
import { stepForKey } from '../lib/playback-keys'
import { describeTime, fullTime } from '../lib/time'
import { versionTitle } from '../lib/versions'
import { AuthorLegend } from './AuthorLegend'

export interface TimesliderProps {
  timeline: Loadable<LoadedTimeline>
  /** The document's versions, marked on the slider at the step each was kept at. */
  versions?: readonly Version[]
  /** Colours of the people present, by name (see `authorColors`). */
  present: ReadonlyMap<string, HexColor>
  onClose: () => void
}

/** How long playing the whole history takes at the least, in ms; short histories go slower. */
const PLAY_ALL_MS = 10_000
/** The fewest steps a second when playing. */
const MIN_STEPS_PER_SECOND = 4

/** The authors whose text shows at a step, in the order of the authors' list. */
function authorsAt(spans: readonly { author: number | null }[], authors: readonly Author[]) {
  const ids = new Set<number>()
  for (const span of spans) if (span.author !== null) ids.add(span.author)
  return authors.filter((author) => ids.has(author.id))
}

/**
 * The document played back: a slider over its recorded steps (each one stored change, the
 * start before them) and the text at the chosen step in a read-only editor, coloured by who
 * wrote it. The editor is moved from step to step with the changes between them, at most once
 * an animation frame, so dragging over a long history redraws only what changed.
 */
export function Timeslider({ timeline, present, onClose, versions = [] }: TimesliderProps) {
  const id = useId()
  const host = useRef<HTMLDivElement>(null)
  const view = useRef<EditorView | null>(null)
  /** The step the editor shows, and the one it should show at the next frame. */
  const shown = useRef(0)
  const target = useRef(0)
  const frame = useRef(0)
  const following = useRef(false)
  const loaded = timeline.status === 'ready' ? timeline.value : null
  const playback = loaded?.playback ?? null
  const records = loaded?.records ?? []
  const last = playback === null ? -1 : playback.steps - 1
  const [step, setStep] = useState(last)
  const [visibleAuthors, setVisibleAuthors] = useState<readonly Author[]>([])
  const [playing, setPlaying] = useState(false)

  const authors = loaded?.authors ?? noAuthors
  // Each version at the last step stored before it was kept (one mark per step).
  const versionSteps = useMemo(() => {
    const byStep = new Map<number, Version>()
    for (const version of versions) {
      const at = stepAt(records, version.createdAtMs)
      if (!byStep.has(at)) byStep.set(at, version)
    }
    return byStep
  }, [versions, records])
  const colors = useMemo(() => authorColors(authors, present), [authors, present])
  const styles = useMemo(() => authorStyles(authors, colors), [authors, colors])
  const stylesNow = useRef(styles)
  stylesNow.current = styles

  /** Moves the editor to `to`; `follow`: scroll the first change into view. */
  const show = useCallback(
    (to: number, follow: boolean) => {
      const current = view.current
      if (current === null || playback === null) return
      const from = shown.current
      const changes = from === to ? [] : playback.changes(from, to)
      const spans = playback.spansAt(to)
      const first = changes[0]
      // Scrolling asks for a layout; not needed where the change is in view already.
      const scroll =
        follow &&
        first !== undefined &&
        !current.visibleRanges.some((range) => range.from <= first.from && first.from < range.to)
      current.dispatch({
        changes,
        effects: [
          setAuthorship.of({ spans, authors: stylesNow.current }),
          ...(scroll ? [EditorView.scrollIntoView(first.from, { y: 'nearest' })] : []),
        ],
      })
      shown.current = to
      const visible = authorsAt(spans, authors)
      setVisibleAuthors((previous) =>
        previous.length === visible.length && previous.every((a, i) => a === visible[i])
          ? previous
          : visible,
      )
    },
    [playback, authors],
  )

  /**
   * Asks for `to` to be shown: the label at once, the text at the next animation frame.
   * `follow`: scroll the first change into view (keys and playing; not dragging, where the
   * text would jump about under the pointer).
   */
  const request = useCallback(
    (to: number, follow: boolean) => {
      target.current = to
      following.current = follow
      setStep(to)
      if (frame.current !== 0) return
      frame.current = requestAnimationFrame(() => {
        frame.current = 0
        show(target.current, following.current)
      })
    },
    [show],
  )

  // The read-only editor, made once the history is loaded, at its last step.
  useEffect(() => {
    if (playback === null || host.current === null) return
    const start = playback.steps - 1
    const created = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: playback.textAt(start),
        extensions: [
          editable(false),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ 'aria-label': 'The document at the chosen step' }),
          tandemTheme(),
          authorship(),
        ],
      }),
    })
    created.scrollDOM.tabIndex = 0
    view.current = created
    shown.current = start
    target.current = start
    setStep(start)
    show(start, false)
    return () => {
      cancelAnimationFrame(frame.current)
      frame.current = 0
      view.current = null
      created.destroy()
    }
  }, [playback, show])

  // New colours (someone joined under an author's name) apply to the step shown.
  useEffect(() => {
    const current = view.current
    if (playback === null || current === null) return
    const spans = playback.spansAt(shown.current)
    current.dispatch({ effects: setAuthorship.of({ spans, authors: styles }) })
  }, [styles, playback])

  // Playing: forward through the steps, in time with the clock, stopping at the end.
  useEffect(() => {
    if (!playing || last < 0) return
    const perMs = Math.max(MIN_STEPS_PER_SECOND / 1000, (last + 1) / PLAY_ALL_MS)
    let position = target.current >= last ? -1 : target.current
    if (target.current >= last) request(-1, true)
    let previous = performance.now()
    let handle = requestAnimationFrame(function tick(now) {
      position = Math.min(last, position + (now - previous) * perMs)
      previous = now
      const next = Math.floor(position)
      if (next !== target.current) request(next, true)
      if (next >= last) setPlaying(false)
      else handle = requestAnimationFrame(tick)
    })
    return () => cancelAnimationFrame(handle)
  }, [playing, last, request])

  useEffect(() => {
    const onKeyDown = (event: globalThis.KeyboardEvent) => {
      if (
        event.key === 'Escape' &&
        !event.defaultPrevented &&
        !document.querySelector('dialog[open]')
      ) {
        onClose()
      }
    }
    window.addEventListener('keydown', onKeyDown)
    return () => window.removeEventListener('keydown', onKeyDown)
  }, [onClose])

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    const next = stepForKey(event.key, step, last)
    if (next === null) return
    event.preventDefault()
    setPlaying(false)
    if (next !== step) request(next, true)
  }

  const record = step >= 0 ? records[step] : undefined
  const versionHere = versionSteps.get(step)
  const recordAuthor =
    record === undefined ? undefined : authors.find((author) => author.id === record.author)
  const stepText =
    step < 0
      ? 'The start, before any recorded change'
      : `Change ${step + 1} of ${last + 1}${recordAuthor ? ` by ${recordAuthor.name}` : ''}`
  const valueText =
    record === undefined ? stepText : `${stepText}, ${describeTime(record.timeMs, Date.now())}`

  return (
    <section className="timeslider" data-testid="timeslider" aria-labelledby={`${id}-title`}>
      <div className="preview-bar">
        <div className="preview-title">
          <strong id={`${id}-title`}>Playback of the history</strong>
        </div>
        <div className="preview-actions">
          <button
            type="button"
            className="button subtle"
            data-testid="timeslider-close"
            onClick={onClose}
          >
            Back to editing
          </button>
        </div>
      </div>
      {timeline.status === 'loading' && <p className="muted panel-note">Loading the history…</p>}
      {timeline.status === 'error' && (
        <p className="error-text panel-note" role="alert">
          {timeline.message}
        </p>
      )}
      {loaded !== null && playback === null && (
        <p className="muted panel-note">This server does not record who wrote what.</p>
      )}
      {playback !== null && loaded?.keepsDeletedText === false && (
        <p className="muted panel-note" data-testid="timeslider-no-deleted-text">
          This server does not keep deleted text, so earlier steps show only the text that still
          exists.
        </p>
      )}
      {playback !== null && (
        <div className="timeslider-controls">
          <button
            type="button"
            className="button subtle"
            data-testid="timeslider-play"
            aria-pressed={playing}
            disabled={last < 0}
            onClick={() => setPlaying((now) => !now)}
          >
            {playing ? 'Pause' : 'Play'}
          </button>
          <label className="visually-hidden" htmlFor={`${id}-slider`}>
            Step in the history
          </label>
          <input
            id={`${id}-slider`}
            type="range"
            data-testid="timeslider-slider"
            min={-1}
            max={last}
            step={1}
            value={step}
            aria-valuetext={
              versionHere === undefined ? valueText : `${valueText}, ${versionTitle(versionHere)}`
            }
            list={versionSteps.size > 0 ? `${id}-versions` : undefined}
            disabled={last < 0}
            onKeyDown={onKeyDown}
            onChange={(event) => {
              setPlaying(false)
              request(Number(event.target.value), false)
            }}
          />
          {versionSteps.size > 0 && (
            <datalist id={`${id}-versions`}>
              {[...versionSteps].map(([at, version]) => (
                <option key={version.id} value={at} label={versionTitle(version)} />
              ))}
            </datalist>
          )}
          <p className="timeslider-step" data-testid="timeslider-step">
            <span>{stepText}</span>
            {record !== undefined && (
              <>
                {' · '}
                <time
                  dateTime={new Date(record.timeMs).toISOString()}
                  title={fullTime(record.timeMs)}
                >
                  {describeTime(record.timeMs, Date.now())}
                </time>
                {recordAuthor !== undefined && !recordAuthor.verified && (
                  <span className="unverified"> unverified</span>
                )}
              </>
            )}
            {versionHere !== undefined && (
              <span className="timeslider-version" data-testid="timeslider-version">
                {' · '}
                {versionTitle(versionHere)}
              </span>
            )}
          </p>
        </div>
      )}
      {playback !== null && (
        <AuthorLegend
          authors={visibleAuthors}
          colors={colors}
          label="Authors of the text at this step"
        />
      )}
      <div className="editor timeslider-text" data-testid="timeslider-text" ref={host} />
    </section>
  )
}

const noAuthors: readonly Author[] = []

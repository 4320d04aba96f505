import type { AttributedSpan } from '@tandem/protocol'
import { useDeferredValue, useEffect, useMemo, useRef } from 'react'
import type { AuthorStyle } from '../editor/authorship'
import type { Loadable, VersionText } from '../hooks/useHistory'
import { type AttributedSegment, attributeDiff } from '../lib/attributed-diff'
import { countChangedWords, diffText } from '../lib/diff'
import { lightColor } from '../lib/identity'
import { describeTime, fullTime } from '../lib/time'
import { versionTitle } from '../lib/versions'

export interface VersionPreviewProps {
  preview: Loadable<VersionText>
  /** The document's text now, which the version is compared with. */
  current: string
  /** Whether restoring is possible now. */
  canRestore: boolean
  /** A view-only page: no restoring at all. */
  readOnly?: boolean
  onRestore: () => void
  onClose: () => void
  /**
   * Who made the differences, when known: who wrote `current` and who deleted the version's
   * text since (spans of each), and the authors they name. Without it (or with `deletedSpans`
   * null) the differences are not attributed.
   */
  attribution?: {
    readonly currentSpans: readonly AttributedSpan[]
    readonly deletedSpans: readonly AttributedSpan[] | null
    readonly authors: ReadonlyMap<number, AuthorStyle>
  } | null
}

const ONLY_IN_VERSION = 'In this version, not in the current text'
const ONLY_IN_CURRENT = 'In the current text, not in this version'

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/**
 * A version's text with its differences from the current text marked: what restoring it would
 * bring back is underlined in green, what it would remove is struck through in red. With
 * `attribution`, each difference is coloured by the person who made it instead: what restoring
 * would remove by who wrote it, what it would bring back by who deleted it.
 */
export function VersionPreview({
  preview,
  current,
  canRestore,
  readOnly = false,
  onRestore,
  onClose,
  attribution = null,
}: VersionPreviewProps) {
  const body = useRef<HTMLDivElement>(null)
  // Typing elsewhere should not wait for the comparison of a long text; the current text's
  // spans are deferred with it, so that the two always match.
  const compared = useDeferredValue(
    useMemo(() => ({ text: current, attribution }), [current, attribution]),
  )
  const versionText = preview.status === 'ready' ? preview.value.text : null
  const segments = useMemo(
    () => (versionText === null ? [] : diffText(compared.text, versionText)),
    [compared.text, versionText],
  )
  const attributed = useMemo((): readonly AttributedSegment[] | null => {
    const known = compared.attribution
    if (known === null || known.deletedSpans === null) return null
    return attributeDiff(segments, known.currentSpans, known.deletedSpans)
  }, [segments, compared.attribution])
  const authors = compared.attribution?.authors ?? null
  const changedBy = useMemo(() => {
    if (attributed === null || authors === null) return []
    const ids = new Set<number>()
    for (const piece of attributed) if (piece.author !== null) ids.add(piece.author)
    return [...ids].flatMap((id) => {
      const author = authors.get(id)
      return author === undefined ? [] : [author]
    })
  }, [attributed, authors])
  const counts = useMemo(() => countChangedWords(segments), [segments])
  const identical = versionText !== null && segments.every((segment) => segment.kind === 'same')

  // Show the first difference when a version opens.
  useEffect(() => {
    if (versionText === null) return
    body.current?.querySelector('ins, del')?.scrollIntoView({ block: 'center' })
  }, [versionText])

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
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

  const version = preview.status === 'ready' ? preview.value.version : null

  return (
    <section
      className="version-preview"
      data-testid="history-preview"
      aria-label={version ? `Preview of ${versionTitle(version)}` : 'Version preview'}
      aria-busy={preview.status === 'loading'}
    >
      <div className="preview-bar">
        <div className="preview-title">
          {version ? (
            <>
              <strong>{versionTitle(version)}</strong>
              <span className="muted">
                {' · '}
                <time title={fullTime(version.createdAtMs)}>
                  {describeTime(version.createdAtMs, Date.now())}
                </time>
              </span>
            </>
          ) : (
            <strong>Version preview</strong>
          )}
        </div>
        <div className="preview-actions">
          <button type="button" className="button subtle" onClick={onClose}>
            Back to editing
          </button>
          {!readOnly && (
            <button
              type="button"
              className="button primary small"
              data-testid="history-restore"
              disabled={!canRestore || version === null || identical}
              onClick={onRestore}
            >
              Restore this version
            </button>
          )}
        </div>
      </div>
      {version && (
        <p className="preview-summary">
          {identical ? (
            'Same as the current text.'
          ) : (
            <>
              {readOnly ? 'Compared with the current text, it has' : 'Restoring it'}{' '}
              {counts.added > 0 && (
                <>
                  adds <span className="count-added">{plural(counts.added, 'word')}</span>
                </>
              )}
              {counts.added > 0 && counts.removed > 0 && ' and '}
              {counts.removed > 0 && (
                <>
                  removes <span className="count-removed">{plural(counts.removed, 'word')}</span>
                </>
              )}
              {counts.added === 0 && counts.removed === 0 && 'changes only spacing or punctuation'}.
            </>
          )}
        </p>
      )}
      {changedBy.length > 0 && (
        <p className="preview-authors" data-testid="history-preview-authors">
          Differences made by{' '}
          {changedBy.map((author, i) => (
            <span key={author.name + String(i)} className="preview-author">
              {i > 0 && ', '}
              <span
                className="author-swatch"
                aria-hidden="true"
                style={{ backgroundColor: author.color }}
              />
              <bdi>{author.name}</bdi>
              {!author.verified && <span className="unverified"> (unverified)</span>}
            </span>
          ))}
        </p>
      )}
      <div className="preview-body" ref={body}>
        {preview.status === 'loading' && <p className="muted">Loading the version…</p>}
        {preview.status === 'error' && (
          <p className="error-text" role="alert">
            {preview.message}
          </p>
        )}
        {preview.status === 'ready' && (
          <div className="preview-text">
            {versionText === '' && <span className="muted">This version is empty.</span>}
            {(attributed ?? segments).map((segment, index) =>
              segment.kind === 'same' ? (
                // biome-ignore lint/suspicious/noArrayIndexKey: segments have no identity but their place.
                <span key={index}>{segment.text}</span>
              ) : segment.kind === 'added' ? (
                // biome-ignore lint/suspicious/noArrayIndexKey: as above.
                <ins key={index} {...marked(segment, authors, ONLY_IN_VERSION, 'deleted')}>
                  {segment.text}
                </ins>
              ) : (
                // biome-ignore lint/suspicious/noArrayIndexKey: as above.
                <del key={index} {...marked(segment, authors, ONLY_IN_CURRENT, 'written')}>
                  {segment.text}
                </del>
              ),
            )}
          </div>
        )}
      </div>
    </section>
  )
}

/**
 * The attributes of a difference: its explanation, and the colour and name of who made it (who
 * `wrote` or `deleted` its text) if known.
 */
function marked(
  segment: { readonly text: string; readonly author?: number | null },
  authors: ReadonlyMap<number, AuthorStyle> | null,
  title: string,
  made: 'written' | 'deleted',
): {
  title: string
  style?: { backgroundColor: string; textDecorationColor: string }
  'data-author'?: string
} {
  const author =
    segment.author === undefined || segment.author === null
      ? undefined
      : authors?.get(segment.author)
  if (author === undefined) return { title }
  return {
    title: `${title}; ${made} by ${author.name}${author.verified ? '' : ' (unverified)'}`,
    style: { backgroundColor: lightColor(author.color), textDecorationColor: author.color },
    'data-author': author.name,
  }
}

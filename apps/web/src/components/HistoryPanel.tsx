import { type FormEvent, Fragment, type ReactNode, useEffect, useId, useRef, useState } from 'react'
import { remoteDisplayName } from '../collab/remote-user'
import type { History } from '../hooks/useHistory'
import type { Author } from '../lib/attribution-api'
import { describeTime, fullTime } from '../lib/time'
import { kindLabels, versionTitle } from '../lib/versions'

/** Who wrote a version: up to three names, each isolated (`<bdi>`) and cleaned like presence. */
function describeAuthors(authors: readonly string[]): ReactNode {
  if (authors.length === 0) return 'No one named'
  const shown = authors.length <= 3 ? authors : authors.slice(0, 2)
  return (
    <>
      {shown.map((author, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the list is fixed for a version.
        <Fragment key={i}>
          {i > 0 && ', '}
          <bdi>{remoteDisplayName(author)}</bdi>
        </Fragment>
      ))}
      {authors.length > shown.length && ` and ${authors.length - shown.length} more`}
    </>
  )
}

/** Who changed a version since the one before, as the server attests it. */
function ChangedBy({ authors }: { authors: readonly Author[] }) {
  const shown = authors.length <= 3 ? authors : authors.slice(0, 2)
  return (
    <span className="history-item-authors" data-testid="history-item-changed-by">
      Changed by{' '}
      {shown.map((author, i) => (
        <Fragment key={author.id}>
          {i > 0 && ', '}
          {author.color !== null && (
            <span
              className="author-swatch"
              aria-hidden="true"
              style={{ backgroundColor: author.color }}
            />
          )}
          <bdi>{author.name}</bdi>
          {!author.verified && <span className="unverified"> (unverified)</span>}
        </Fragment>
      ))}
      {authors.length > shown.length && ` and ${authors.length - shown.length} more`}
    </span>
  )
}

export interface HistoryPanelProps {
  history: History
  /** Whether versions can be saved now (not while the document is closed by the server). */
  canSave: boolean
  /** A view-only page: the list only, no saving. */
  readOnly?: boolean
  onClose: () => void
  /** Opens the playback of the history; absent where the server records no attribution. */
  onPlayback?: (() => void) | null
}

/** The side panel: save a named version, and the list of versions, newest first. */
export function HistoryPanel({
  history,
  canSave,
  readOnly = false,
  onClose,
  onPlayback = null,
}: HistoryPanelProps) {
  const { versions, selectedId } = history
  const id = useId()
  const heading = useRef<HTMLHeadingElement>(null)
  const [label, setLabel] = useState('')
  const [saving, setSaving] = useState(false)
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null)
  const now = Date.now()

  useEffect(() => {
    heading.current?.focus()
  }, [])

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const name = label.trim()
    if (name === '') {
      setMessage({ text: 'Give the version a name.', error: true })
      return
    }
    setSaving(true)
    setMessage({ text: 'Saving the version…', error: false })
    const problem = await history.save(name)
    setSaving(false)
    if (problem === null) {
      setLabel('')
      setMessage({ text: `Saved “${name}”.`, error: false })
    } else {
      setMessage({ text: problem, error: true })
    }
  }

  return (
    <aside className="history-panel" data-testid="history-panel" aria-labelledby={`${id}-title`}>
      <div className="panel-header">
        <h2 id={`${id}-title`} ref={heading} tabIndex={-1}>
          Version history
        </h2>
        <button
          type="button"
          className="icon-button"
          aria-label="Refresh the list"
          title="Refresh"
          onClick={history.refresh}
        >
          ↻
        </button>
        <button
          type="button"
          className="icon-button"
          aria-label="Close version history"
          title="Close"
          onClick={onClose}
        >
          ×
        </button>
      </div>

      {onPlayback !== null && (
        <div className="playback-row">
          <button
            type="button"
            className="button subtle"
            data-testid="timeslider-button"
            onClick={onPlayback}
          >
            Play back the history
          </button>
        </div>
      )}

      <form className="save-version" onSubmit={submit} noValidate hidden={readOnly}>
        <label htmlFor={`${id}-label`}>Name the current text</label>
        <div className="field-row">
          <input
            id={`${id}-label`}
            type="text"
            value={label}
            maxLength={200}
            placeholder="e.g. First draft"
            autoComplete="off"
            onChange={(event) => setLabel(event.target.value)}
            aria-describedby={`${id}-message`}
            disabled={!canSave}
          />
          <button
            type="submit"
            className="button primary small"
            data-testid="save-version"
            disabled={!canSave || saving}
          >
            Save version
          </button>
        </div>
        <p
          id={`${id}-message`}
          className={message?.error ? 'field-help error' : 'field-help'}
          aria-live="polite"
        >
          {message?.text ?? ''}
        </p>
      </form>

      <div className="history-list-area">
        {versions.status === 'loading' && <p className="muted panel-note">Loading versions…</p>}
        {versions.status === 'error' && (
          <div className="panel-note" role="alert">
            <p className="error-text">{versions.message}</p>
            <button type="button" className="button subtle" onClick={history.refresh}>
              Try again
            </button>
          </div>
        )}
        {versions.status === 'ready' && versions.value.length === 0 && (
          <p className="muted panel-note">
            No versions yet. Versions are kept as you write, and whenever you save one by name.
          </p>
        )}
        {versions.status === 'ready' && versions.value.length > 0 && (
          <ul className="history-list" aria-label="Versions, newest first">
            {versions.value.map((version) => {
              const selected = version.id === selectedId
              return (
                <li key={version.id}>
                  <button
                    type="button"
                    className="history-item"
                    data-testid="history-item"
                    data-version-id={version.id}
                    aria-current={selected ? 'true' : undefined}
                    onClick={() => history.select(selected ? null : version.id)}
                  >
                    <span className="history-item-title">
                      <span className="history-item-name">{versionTitle(version)}</span>
                      {version.label !== null && version.kind !== 'named' && (
                        <span className={`kind-badge kind-${version.kind}`}>
                          {kindLabels[version.kind]}
                        </span>
                      )}
                    </span>
                    <time
                      className="history-item-time"
                      dateTime={new Date(version.createdAtMs).toISOString()}
                      title={fullTime(version.createdAtMs)}
                    >
                      {describeTime(version.createdAtMs, now)}
                    </time>
                    {version.changedBy.length > 0 ? (
                      <ChangedBy authors={version.changedBy} />
                    ) : (
                      <span className="history-item-authors">
                        {describeAuthors(version.authors)}
                      </span>
                    )}
                  </button>
                </li>
              )
            })}
          </ul>
        )}
      </div>
    </aside>
  )
}

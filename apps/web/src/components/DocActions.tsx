import { validateDocName } from '@tandem/protocol'
import { useEffect, useId, useRef, useState } from 'react'
import { describeDocNameProblem } from '../lib/doc-names'
import {
  type DeletedDoc,
  deleteDoc,
  describeDocChangeError,
  renameDoc,
  restoreDoc,
} from '../lib/docs-api'
import { forgetOfflineCopy } from '../lib/offline-copy'
import { ConfirmDialog } from './ConfirmDialog'

/** What the home page tells the user after a change to its list. */
export type DocNotice =
  | { kind: 'deleted'; doc: DeletedDoc }
  | { kind: 'done'; text: string }
  | { kind: 'error'; text: string }

/** A question about one document of the list, open while not `null`. */
export type DocQuestion = { kind: 'delete' | 'rename'; name: string } | null

interface DocDialogsProps {
  apiUrl: string
  question: DocQuestion
  onClose: () => void
  /** The server moved `name` away (deleted, or renamed to `to`). */
  onChanged: (name: string, notice: DocNotice) => void
}

/** The confirmations of Delete and Rename on the home page's list. */
export function DocDialogs({ apiUrl, question, onClose, onChanged }: DocDialogsProps) {
  // Keyed by the question, so that each one starts with a fresh state.
  if (question?.kind === 'delete') {
    return (
      <DeleteDialog
        key={`delete:${question.name}`}
        apiUrl={apiUrl}
        name={question.name}
        onClose={onClose}
        onChanged={onChanged}
      />
    )
  }
  if (question?.kind === 'rename') {
    return (
      <RenameDialog
        key={`rename:${question.name}`}
        apiUrl={apiUrl}
        name={question.name}
        onClose={onClose}
        onChanged={onChanged}
      />
    )
  }
  return null
}

interface OneDialogProps extends Omit<DocDialogsProps, 'question'> {
  name: string
}

function DeleteDialog({ apiUrl, name, onClose, onChanged }: OneDialogProps) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  const confirm = async () => {
    if (busy) return
    setBusy(true)
    setError(null)
    try {
      const deleted = await deleteDoc(apiUrl, name)
      forgetOfflineCopy(name)
      onChanged(name, { kind: 'deleted', doc: deleted })
    } catch (err) {
      setError(describeDocChangeError(err, { kind: 'delete', name }))
      setBusy(false)
    }
  }

  return (
    <ConfirmDialog
      open
      title={`Delete “${name}”?`}
      confirmLabel={busy ? 'Deleting…' : 'Delete'}
      onConfirm={() => void confirm()}
      onCancel={onClose}
    >
      <p>
        It disappears from the list for everyone, and its name is free for a new document. The
        server keeps it in its trash for a while, so it can be restored.
      </p>
      {error && (
        <p className="dialog-error" role="alert" data-testid="doc-action-error">
          {error}
        </p>
      )}
    </ConfirmDialog>
  )
}

function RenameDialog({ apiUrl, name, onClose, onChanged }: OneDialogProps) {
  const [input, setInput] = useState(name)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const id = useId()

  /** Why `value` cannot be the new name, or `null`. */
  const problem = (value: string): string | null => {
    const checked = validateDocName(value.trim())
    if (!checked.ok) return describeDocNameProblem(checked.problem)
    return checked.name === name ? 'That is its name already.' : null
  }

  const confirm = async () => {
    if (busy) return
    const to = input.trim()
    const invalid = problem(to)
    setError(invalid)
    if (invalid !== null) return
    setBusy(true)
    try {
      await renameDoc(apiUrl, name, to)
      forgetOfflineCopy(name)
      onChanged(name, { kind: 'done', text: `Renamed “${name}” to “${to}”.` })
    } catch (err) {
      setError(describeDocChangeError(err, { kind: 'rename', name, to }))
      setBusy(false)
    }
  }

  return (
    <ConfirmDialog
      open
      title={`Rename “${name}”`}
      confirmLabel={busy ? 'Renaming…' : 'Rename'}
      onConfirm={() => void confirm()}
      onCancel={onClose}
    >
      <label htmlFor={`${id}-input`} className="dialog-label">
        New name
      </label>
      <input
        id={`${id}-input`}
        type="text"
        data-testid="rename-input"
        value={input}
        autoComplete="off"
        spellCheck={false}
        aria-invalid={error !== null}
        aria-describedby={`${id}-help`}
        onChange={(event) => {
          setInput(event.target.value)
          // Check as the user types; a refusal of the server is shown until the name changes.
          setError(problem(event.target.value))
        }}
      />
      <p
        id={`${id}-help`}
        className={error ? 'field-help error' : 'field-help'}
        role={error ? 'alert' : undefined}
        data-testid={error ? 'doc-action-error' : undefined}
      >
        {error ??
          'Links to the old name will open a new, empty document. Close it everywhere first.'}
      </p>
    </ConfirmDialog>
  )
}

/** The outcome of the last change, with Restore after a deletion. */
export function DocNoticeBar({
  apiUrl,
  notice,
  onRestored,
  onDismiss,
}: {
  apiUrl: string
  notice: DocNotice
  onRestored: (name: string) => void
  onDismiss: () => void
}) {
  const [restoring, setRestoring] = useState(false)
  const [failure, setFailure] = useState<string | null>(null)
  const bar = useRef<HTMLDivElement>(null)

  // The row whose button opened the dialog may be gone: the focus goes to the outcome (to
  // Restore after a deletion), so that keyboard users carry on from there.
  useEffect(() => {
    const element = bar.current
    if (!element) return
    const target = element.querySelector<HTMLElement>('[data-testid="restore-doc"]') ?? element
    target.focus()
  }, [])

  if (notice.kind !== 'deleted') {
    return (
      <div
        ref={bar}
        tabIndex={-1}
        className={notice.kind === 'error' ? 'doc-notice error' : 'doc-notice'}
        role={notice.kind === 'error' ? 'alert' : 'status'}
        data-testid="doc-notice"
      >
        <span>{notice.text}</span>
        <DismissButton onDismiss={onDismiss} />
      </div>
    )
  }

  const { name, retentionDays } = notice.doc
  const restore = async () => {
    setRestoring(true)
    setFailure(null)
    try {
      await restoreDoc(apiUrl, name)
      onRestored(name)
    } catch (err) {
      setFailure(describeDocChangeError(err, { kind: 'restore', name }))
      setRestoring(false)
    }
  }
  return (
    <div
      ref={bar}
      tabIndex={-1}
      className={failure ? 'doc-notice error' : 'doc-notice'}
      role={failure ? 'alert' : 'status'}
      data-testid="doc-notice"
    >
      <span>
        {failure ??
          `Deleted “${name}”. It can be restored for ${retentionDays} ${retentionDays === 1 ? 'day' : 'days'}.`}
      </span>
      <span className="doc-notice-actions">
        <button
          type="button"
          className="button small secondary"
          data-testid="restore-doc"
          disabled={restoring}
          onClick={() => void restore()}
        >
          {restoring ? 'Restoring…' : 'Restore'}
        </button>
        <DismissButton onDismiss={onDismiss} />
      </span>
    </div>
  )
}

function DismissButton({ onDismiss }: { onDismiss: () => void }) {
  return (
    <button
      type="button"
      className="icon-button"
      aria-label="Dismiss this message"
      title="Dismiss"
      onClick={onDismiss}
    >
      ×
    </button>
  )
}

import { useCallback, useEffect, useId, useRef, useState } from 'react'
import { useModalDialog } from '../hooks/useModalDialog'
import {
  createViewLink,
  docUrl,
  listLinks,
  revokeLink,
  type ShareLink,
  type ViewLink,
} from '../lib/share'
import { fullTime } from '../lib/time'
import { ConfirmDialog } from './ConfirmDialog'

export interface ShareDialogProps {
  open: boolean
  onClose: () => void
  /** The document's name. */
  name: string
  /** The page's own access token, if it was opened with one. */
  token: string | null
  /** Whether this page may only read the document. */
  viewOnly: boolean
  /** The HTTP API's base URL ('' for the page's own origin). */
  apiUrl: string
}

type Loadable =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'ready'; link: ViewLink }
  | { status: 'error'; message: string }

type Links =
  | { status: 'idle' | 'loading' }
  | { status: 'ready'; links: readonly ShareLink[] }
  | { status: 'error'; message: string }

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err))

/**
 * "Share": the link to edit (the page's address: in open mode anyone with it may edit), a
 * view-only link the server signs on request, and the document's active links, each of which
 * can be revoked (its holders are disconnected at once). A view-only page offers only its own
 * address.
 */
export function ShareDialog({ open, onClose, name, token, viewOnly, apiUrl }: ShareDialogProps) {
  const dialog = useModalDialog(open, onClose)
  const id = useId()
  const [view, setView] = useState<Loadable>({ status: 'idle' })
  const [links, setLinks] = useState<Links>({ status: 'idle' })
  const [revoking, setRevoking] = useState<ShareLink | null>(null)
  const origin = location.origin
  const editUrl = docUrl(origin, name, token)

  const loadLinks = useCallback(() => {
    setLinks((current) => (current.status === 'ready' ? current : { status: 'loading' }))
    listLinks(apiUrl, name, token).then(
      (list) => setLinks({ status: 'ready', links: list }),
      (err: unknown) => setLinks({ status: 'error', message: messageOf(err) }),
    )
  }, [apiUrl, name, token])

  const confirmRevoke = useCallback(() => {
    const link = revoking
    setRevoking(null)
    if (!link) return
    revokeLink(apiUrl, name, link.id, token).then(
      () => {
        // The view-only link shown above is the one revoked: make a new one.
        if (view.status === 'ready' && view.link.id === link.id) setView({ status: 'idle' })
        loadLinks()
      },
      (err: unknown) => setLinks({ status: 'error', message: messageOf(err) }),
    )
  }, [revoking, apiUrl, name, token, view, loadLinks])

  const requestViewLink = useCallback(() => {
    setView({ status: 'loading' })
    createViewLink(apiUrl, name, token).then(
      (link) => setView({ status: 'ready', link }),
      (err: unknown) =>
        setView({ status: 'error', message: err instanceof Error ? err.message : String(err) }),
    )
  }, [apiUrl, name, token])

  // A link is made when the dialog first opens, and again only once it is about to expire.
  useEffect(() => {
    if (!open || viewOnly) return
    const stale = view.status === 'ready' && view.link.expiresAtMs < Date.now() + 60_000
    if (view.status === 'idle' || stale) requestViewLink()
  }, [open, viewOnly, view, requestViewLink])

  // The list is read when the dialog opens, and again once a new link is made.
  const viewLinkId = view.status === 'ready' ? view.link.id : null
  useEffect(() => {
    if (open && !viewOnly && viewLinkId !== undefined) loadLinks()
  }, [open, viewOnly, viewLinkId, loadLinks])

  const viewUrl = viewOnly
    ? editUrl
    : view.status === 'ready'
      ? docUrl(origin, name, view.link.token)
      : ''

  return (
    <dialog
      {...dialog}
      className="dialog share-dialog"
      data-testid="share-dialog"
      aria-labelledby={`${id}-title`}
    >
      <div className="dialog-body">
        <h2 id={`${id}-title`}>Share “{name}”</h2>
        {!viewOnly && (
          <LinkField
            label="Link to edit"
            help={
              token
                ? 'Opens the document with the same access as this page.'
                : 'Anyone with this link can read and edit the document.'
            }
            url={editUrl}
            testId="share-edit-link"
          />
        )}
        <LinkField
          label="View-only link"
          help={
            viewOnly
              ? 'This page is view-only: this link lets others read along, not edit.'
              : view.status === 'ready'
                ? `Lets others read along and see who is here, not edit. Works until ${fullTime(view.link.expiresAtMs)}.`
                : view.status === 'error'
                  ? `No view-only link: ${view.message}`
                  : 'Making a view-only link…'
          }
          helpIsError={!viewOnly && view.status === 'error'}
          url={viewUrl}
          testId="share-view-link"
          onRetry={!viewOnly && view.status === 'error' ? requestViewLink : undefined}
        />
        {!viewOnly && <ActiveLinks links={links} onRevoke={setRevoking} onRetry={loadLinks} />}
        <div className="dialog-actions">
          <button type="button" className="button secondary" onClick={onClose}>
            Done
          </button>
        </div>
      </div>
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this link?"
        confirmLabel="Revoke"
        onConfirm={confirmRevoke}
        onCancel={() => setRevoking(null)}
      >
        <p>
          {revoking
            ? `Whoever has the ${revoking.mode === 'edit' ? 'edit' : 'view-only'} link “${revoking.name}” loses access now, and is disconnected if the document is open. This cannot be undone.`
            : ''}
        </p>
      </ConfirmDialog>
    </dialog>
  )
}

/** The document's links that work now, with when each stops and a button to revoke it. */
function ActiveLinks({
  links,
  onRevoke,
  onRetry,
}: {
  links: Links
  onRevoke: (link: ShareLink) => void
  onRetry: () => void
}) {
  const id = useId()
  return (
    <section className="share-field" aria-labelledby={`${id}-title`} data-testid="share-links">
      <h3 id={`${id}-title`} className="dialog-label">
        Active links
      </h3>
      {links.status === 'error' ? (
        <p className="field-help error">
          Cannot list the links: {links.message}{' '}
          <button type="button" className="button secondary small" onClick={onRetry}>
            Try again
          </button>
        </p>
      ) : links.status !== 'ready' ? (
        <p className="field-help">Listing the links…</p>
      ) : links.links.length === 0 ? (
        <p className="field-help">No links work now.</p>
      ) : (
        <ul className="share-links">
          {links.links.map((link) => (
            <li key={link.id} className="field-row" data-testid="share-link-row">
              <span>
                <strong>{link.name}</strong> · {link.mode === 'edit' ? 'can edit' : 'view only'} ·
                until {fullTime(link.expiresAtMs)}
              </span>
              <button
                type="button"
                className="button secondary small"
                data-testid="share-link-revoke"
                aria-label={`Revoke the link “${link.name}”`}
                onClick={() => onRevoke(link)}
              >
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

type CopyState = 'idle' | 'copied' | 'failed'

function LinkField({
  label,
  help,
  helpIsError = false,
  url,
  testId,
  onRetry,
}: {
  label: string
  help: string
  helpIsError?: boolean
  url: string
  testId: string
  onRetry?: (() => void) | undefined
}) {
  const id = useId()
  const input = useRef<HTMLInputElement>(null)
  const [copy, setCopy] = useState<CopyState>('idle')

  useEffect(() => {
    if (copy === 'idle') return
    const timer = setTimeout(() => setCopy('idle'), 2_500)
    return () => clearTimeout(timer)
  }, [copy])

  const copyLink = async () => {
    try {
      await navigator.clipboard.writeText(url)
      setCopy('copied')
    } catch {
      // No clipboard access: select the link so that the keyboard shortcut copies it.
      input.current?.select()
      setCopy('failed')
    }
  }

  return (
    <div className="share-field">
      <label htmlFor={`${id}-input`}>{label}</label>
      <div className="field-row">
        <input
          ref={input}
          id={`${id}-input`}
          type="text"
          readOnly
          value={url}
          placeholder={url === '' ? '…' : undefined}
          data-testid={testId}
          aria-describedby={`${id}-help`}
          onFocus={(event) => event.currentTarget.select()}
        />
        {onRetry ? (
          <button type="button" className="button secondary small" onClick={onRetry}>
            Try again
          </button>
        ) : (
          <button
            type="button"
            className="button primary small copy-button"
            data-testid={`${testId}-copy`}
            disabled={url === ''}
            onClick={() => void copyLink()}
          >
            {copy === 'copied' ? 'Copied' : 'Copy'}
          </button>
        )}
      </div>
      <p id={`${id}-help`} className={helpIsError ? 'field-help error' : 'field-help'}>
        {help}
      </p>
      <p className="visually-hidden" aria-live="polite">
        {copy === 'copied'
          ? `${label} copied.`
          : copy === 'failed'
            ? `Could not copy; the link is selected, press ${/Mac|iPhone|iPad/.test(navigator.platform) ? '⌘C' : 'Ctrl+C'} to copy it.`
            : ''}
      </p>
    </div>
  )
}

import type { EditorView } from '@codemirror/view'
import {
  type DragEvent,
  lazy,
  Suspense,
  useCallback,
  useEffect,
  useId,
  useMemo,
  useRef,
  useState,
} from 'react'
import { useServices } from '../app/services'
import { describeClose } from '../collab/connection'
import { type SaveSnapshot, whenSaved } from '../collab/save-state'
import { useCollabSession } from '../collab/useCollabSession'
import { following as followingOf, scrollToPerson, setFollowing } from '../editor/follow'
import { useConnection } from '../hooks/useConnection'
import { useHistory } from '../hooks/useHistory'
import { usePresence } from '../hooks/usePresence'
import { useSave, useUnsavedWarning } from '../hooks/useSave'
import { useSharedText } from '../hooks/useSharedText'
import {
  decodeImport,
  downloadText,
  type ExportFormat,
  exportFileName,
  importSizeProblem,
  looksLikeText,
} from '../lib/files'
import { historyApi } from '../lib/history-api'
import { rememberDoc } from '../lib/recent-docs'
import { readJson, writeJson } from '../lib/storage'
import { describeTime } from '../lib/time'
import { docTitle } from '../lib/title'
import { readToken } from '../lib/token'
import { ConfirmDialog } from './ConfirmDialog'
import { ConnectionStatus } from './ConnectionStatus'
import { DisplayNameInput } from './DisplayNameInput'
import { Editor } from './Editor'
import { FileMenu } from './FileMenu'
import { HistoryPanel, versionTitle } from './HistoryPanel'
import { Link } from './Link'
import { Presence } from './Presence'
import { ShareDialog } from './ShareDialog'
import { ThemeToggle } from './ThemeToggle'
import { VersionPreview } from './VersionPreview'

// Markdown and its sanitiser load when the preview is first shown.
const MarkdownPreview = lazy(() => import('./MarkdownPreview'))

/** Where the preview's open or closed state is remembered. */
const PREVIEW_KEY = 'tandem:preview'

/** How long saving a named version waits for this client's edits to be stored, in ms. */
const SAVE_BEFORE_VERSION_TIMEOUT_MS = 5_000

interface Notice {
  readonly text: string
  readonly error: boolean
}

const undoKey = () =>
  /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent) ? '⌘Z' : 'Ctrl+Z'

const hasFiles = (event: DragEvent) => event.dataTransfer.types.includes('Files')

const upToDate: SaveSnapshot = { state: 'saved', unsavedEdits: false }
const notUpToDate: SaveSnapshot = { state: 'offline', unsavedEdits: false }

/**
 * A document: the header with people, status, sharing, preview, history and file actions; the
 * editor filling the rest (or the preview of a version), the Markdown preview and the history
 * panel beside it. `token` is the access token of a shared link the page was opened with; a
 * view-only one makes the page read-only (the server enforces it; the page only follows).
 */
export function DocumentPage({ name, token = null }: { name: string; token?: string | null }) {
  const { store, identity, serverUrl, apiUrl } = useServices()
  const viewOnly = useMemo(() => (token ? readToken(token)?.mode === 'view' : false), [token])
  const session = useCollabSession(name, serverUrl, identity, token)
  const connection = useConnection(session?.connection ?? null)
  const trackedSave = useSave(session?.saveIndicator ?? null)
  // A view-only connection's frames are never stored, so its indicator says "up to date".
  const save = viewOnly ? (connection.state === 'connected' ? upToDate : notUpToDate) : trackedSave
  const presence = usePresence(session?.awareness ?? null)
  const viewRef = useRef<EditorView | null>(null)
  const [following, setFollowingState] = useState<number | null>(null)
  const [shareOpen, setShareOpen] = useState(false)
  const [previewOpen, setPreviewOpen] = useState(() => readJson(store, PREVIEW_KEY) === true)
  const previewId = useId()
  const [historyOpen, setHistoryOpen] = useState(false)
  const [confirmRestore, setConfirmRestore] = useState(false)
  const [pendingImport, setPendingImport] = useState<{ name: string; text: string } | null>(null)
  const [dragging, setDragging] = useState(false)
  const [notice, setNotice] = useState<Notice | null>(null)
  const closed = connection.closed !== null

  useUnsavedWarning(viewOnly ? null : (session?.save ?? null))

  useEffect(() => {
    rememberDoc(store, name, Date.now(), token)
  }, [store, name, token])

  useEffect(() => {
    document.title = docTitle(name, presence.total)
  }, [name, presence.total])

  const togglePreview = () => {
    writeJson(store, PREVIEW_KEY, !previewOpen)
    setPreviewOpen(!previewOpen)
  }

  const showPerson = useCallback(
    (clientId: number) => {
      const view = viewRef.current
      if (view === null || session === null) return
      if (!scrollToPerson(view, session, clientId)) {
        setNotice({ text: 'They have not placed their cursor in the text yet.', error: false })
      }
    },
    [session],
  )

  const follow = useCallback(
    (clientId: number | null) => {
      const view = viewRef.current
      if (view === null) return
      if (followingOf(view) !== clientId) view.dispatch({ effects: setFollowing.of(clientId) })
      if (clientId !== null && session !== null) scrollToPerson(view, session, clientId)
    },
    [session],
  )
  const followedPerson = following === null ? null : (presence.get(following) ?? null)

  // A file dropped anywhere else on the page would make the browser open it instead of the app.
  useEffect(() => {
    const refuse = (event: globalThis.DragEvent) => {
      if (event.dataTransfer?.types.includes('Files')) event.preventDefault()
    }
    window.addEventListener('dragover', refuse)
    window.addEventListener('drop', refuse)
    return () => {
      window.removeEventListener('dragover', refuse)
      window.removeEventListener('drop', refuse)
    }
  }, [])

  useEffect(() => {
    if (notice === null || notice.error) return
    const timer = setTimeout(() => setNotice(null), 8_000)
    return () => clearTimeout(timer)
  }, [notice])

  const api = useMemo(() => historyApi(apiUrl, name, fetch, token), [apiUrl, name, token])
  const beforeSave = useCallback(async () => {
    if (session === null) return 'The document is still opening.'
    const saved = await whenSaved(session.save, SAVE_BEFORE_VERSION_TIMEOUT_MS)
    if (saved) return null
    return session.save.getSnapshot().state === 'saving'
      ? 'Your latest changes are not stored yet; try again in a moment.'
      : 'You are offline; versions can be saved once the connection returns.'
  }, [session])
  const history = useHistory(api, historyOpen, beforeSave)
  const previewing = historyOpen && history.selectedId !== null
  const current = useSharedText(previewing ? (session?.text ?? null) : null)

  const focusEditor = () => viewRef.current?.focus()

  const closePreview = useCallback(() => {
    history.select(null)
    requestAnimationFrame(() => viewRef.current?.focus())
  }, [history.select])

  const exportText = (format: ExportFormat) => {
    if (session === null) return
    downloadText(session.text.toString(), exportFileName(name, format), format)
  }

  const chooseImport = async (file: File) => {
    if (!looksLikeText(file)) {
      setNotice({
        text: `“${file.name}” is not a text file; import a .md or .txt file.`,
        error: true,
      })
      return
    }
    // Refused before it is read: a huge file should not be loaded into memory first.
    const tooBig = importSizeProblem(file.size)
    const read = tooBig
      ? ({ ok: false, problem: tooBig } as const)
      : decodeImport(new Uint8Array(await file.arrayBuffer()))
    if (!read.ok) {
      setNotice({ text: `Cannot import “${file.name}”: ${read.problem}`, error: true })
      return
    }
    setPendingImport({ name: file.name, text: read.text })
  }

  const doImport = () => {
    if (session === null || pendingImport === null) return
    session.replaceText(pendingImport.text)
    setNotice({
      text: `Imported “${pendingImport.name}”. Press ${undoKey()} in the text to undo.`,
      error: false,
    })
    setPendingImport(null)
    if (history.selectedId !== null) history.select(null)
    requestAnimationFrame(focusEditor)
  }

  const restoreVersion = async () => {
    const id = history.selectedId
    const version = history.preview.status === 'ready' ? history.preview.value.version : null
    setConfirmRestore(false)
    if (id === null) return
    const problem = await history.restore(id)
    if (problem === null) {
      const what = version
        ? `${versionTitle(version)} (${describeTime(version.createdAtMs, Date.now())})`
        : 'the version'
      setNotice({ text: `Restored ${what}.`, error: false })
      requestAnimationFrame(focusEditor)
    } else {
      setNotice({ text: `Could not restore: ${problem}`, error: true })
    }
  }

  const selectedVersion = history.preview.status === 'ready' ? history.preview.value.version : null
  const canEdit = session !== null && !closed && !viewOnly

  return (
    <div className="doc-page">
      <header className="topbar">
        <div className="topbar-start">
          <Link href="/" className="brand" aria-label="Tandem home">
            <span className="brand-mark" aria-hidden="true" />
            Tandem
          </Link>
          <span className="divider" aria-hidden="true">
            /
          </span>
          <h1 className="doc-name" title={name}>
            {name}
          </h1>
          {viewOnly && (
            <span
              className="view-only-badge"
              data-testid="view-only-badge"
              title="You can read this document and see who is here, but not change it."
            >
              View only
            </span>
          )}
          <ConnectionStatus connection={connection} save={save} viewOnly={viewOnly} />
        </div>
        <div className="topbar-end">
          <Presence
            people={presence.listed}
            total={presence.total}
            following={following}
            onShow={showPerson}
            onFollow={follow}
          />
          <DisplayNameInput />
          <div className="topbar-actions">
            <button
              type="button"
              className="button primary small"
              data-testid="share-button"
              aria-haspopup="dialog"
              onClick={() => setShareOpen(true)}
            >
              Share
            </button>
            <button
              type="button"
              className="button subtle"
              data-testid="preview-toggle"
              aria-pressed={previewOpen}
              aria-controls={previewOpen ? previewId : undefined}
              onClick={togglePreview}
            >
              Preview
            </button>
            <button
              type="button"
              className="button subtle"
              data-testid="history-button"
              aria-expanded={historyOpen}
              aria-pressed={historyOpen}
              onClick={() => setHistoryOpen((open) => !open)}
            >
              History
            </button>
            <FileMenu
              onExport={exportText}
              onImport={(file) => void chooseImport(file)}
              canImport={canEdit}
              showImport={!viewOnly}
            />
            <ThemeToggle />
          </div>
        </div>
      </header>
      {connection.state === 'offline' && !connection.closed && (
        <div className="banner offline-banner" data-testid="offline-banner" role="status">
          {viewOnly
            ? 'You are offline. The text may be out of date until the connection returns.'
            : 'You are offline. Keep writing: your changes are kept in this browser and sync when the connection returns.'}
        </div>
      )}
      {followedPerson && (
        <div className="follow-bar" data-testid="follow-status" role="status">
          <span
            className="avatar small"
            style={{ backgroundColor: followedPerson.color }}
            aria-hidden="true"
          />
          Following <bdi>{followedPerson.name}</bdi>
          <button
            type="button"
            className="button subtle"
            data-testid="stop-following"
            onClick={() => follow(null)}
          >
            Stop following
          </button>
        </div>
      )}
      {connection.closed && (
        <div className="banner" role="alert">
          {describeClose(connection.closed)} Your copy stays on this device but no longer syncs.
        </div>
      )}
      {notice && (
        <div
          className={notice.error ? 'notice error' : 'notice'}
          role={notice.error ? 'alert' : 'status'}
        >
          <span>{notice.text}</span>
          <button
            type="button"
            className="icon-button"
            aria-label="Dismiss"
            onClick={() => setNotice(null)}
          >
            ×
          </button>
        </div>
      )}
      <div className={previewOpen && !previewing ? 'doc-body with-preview' : 'doc-body'}>
        <main
          className={dragging ? 'editor-host dragging' : 'editor-host'}
          data-testid="editor"
          hidden={previewing}
          onDragOverCapture={(event) => {
            if (!hasFiles(event)) return
            event.preventDefault()
            event.dataTransfer.dropEffect = canEdit ? 'copy' : 'none'
            if (!dragging) setDragging(true)
          }}
          onDragLeave={(event) => {
            if (!event.currentTarget.contains(event.relatedTarget as Node | null))
              setDragging(false)
          }}
          onDropCapture={(event) => {
            if (!hasFiles(event)) return
            // The file replaces the text after a confirmation; CodeMirror must not insert it.
            event.preventDefault()
            event.stopPropagation()
            setDragging(false)
            const file = event.dataTransfer.files[0]
            if (file && canEdit) void chooseImport(file)
          }}
        >
          {session && (
            <Editor
              session={session}
              readOnly={closed || viewOnly}
              viewRef={viewRef}
              onFollowChange={setFollowingState}
            />
          )}
          {dragging && canEdit && (
            <div className="drop-overlay" aria-hidden="true">
              Drop a text file to replace the document
            </div>
          )}
        </main>
        {previewOpen && !previewing && session && (
          <section
            id={previewId}
            className="markdown-preview"
            data-testid="markdown-preview"
            aria-label="Preview"
            // biome-ignore lint/a11y/noNoninteractiveTabindex: the preview scrolls; the keyboard must reach it.
            tabIndex={0}
          >
            <Suspense fallback={<p className="muted preview-loading">Loading the preview…</p>}>
              <MarkdownPreview text={session.text} />
            </Suspense>
          </section>
        )}
        {previewing && (
          <VersionPreview
            preview={history.preview}
            current={current}
            canRestore={canEdit}
            readOnly={viewOnly}
            onRestore={() => setConfirmRestore(true)}
            onClose={closePreview}
          />
        )}
        {historyOpen && (
          <HistoryPanel
            history={history}
            canSave={canEdit}
            readOnly={viewOnly}
            onClose={() => {
              setHistoryOpen(false)
              requestAnimationFrame(focusEditor)
            }}
          />
        )}
      </div>
      <ShareDialog
        open={shareOpen}
        onClose={() => setShareOpen(false)}
        name={name}
        token={token}
        viewOnly={viewOnly}
        apiUrl={apiUrl}
      />
      <ConfirmDialog
        open={pendingImport !== null || confirmRestore}
        title={pendingImport ? 'Replace the text with this file?' : 'Restore this version?'}
        confirmLabel={pendingImport ? 'Replace text' : 'Restore'}
        onConfirm={pendingImport ? doImport : () => void restoreVersion()}
        onCancel={() => {
          setPendingImport(null)
          setConfirmRestore(false)
        }}
      >
        {pendingImport ? (
          <p>
            The whole document is replaced by “{pendingImport.name}” (
            {pendingImport.text.length.toLocaleString()} characters), for everyone editing it. You
            can undo it with {undoKey()}.
          </p>
        ) : (
          <p>
            The text becomes{' '}
            {selectedVersion
              ? `“${versionTitle(selectedVersion)}” of ${describeTime(selectedVersion.createdAtMs, Date.now())}`
              : 'this version'}{' '}
            for everyone editing it. The restore is a new change: the version history keeps the text
            as it is now.
          </p>
        )}
      </ConfirmDialog>
    </div>
  )
}

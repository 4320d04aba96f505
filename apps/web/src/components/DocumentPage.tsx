import type { EditorView } from '@codemirror/view'
import { lazy, Suspense, useCallback, useEffect, useId, useMemo, useRef, useState } from 'react'
import { useServices } from '../app/services'
import { useCollabSession } from '../collab/useCollabSession'
import { useAuthorship } from '../hooks/useAuthorship'
import { useConnection } from '../hooks/useConnection'
import { useFileDropGuard } from '../hooks/useFileDropGuard'
import { useFileImport } from '../hooks/useFileImport'
import { useFollow } from '../hooks/useFollow'
import { useHistory } from '../hooks/useHistory'
import { useNotice } from '../hooks/useNotice'
import { usePresence } from '../hooks/usePresence'
import { useRestore } from '../hooks/useRestore'
import { useSave, useSavedFirst, useUnsavedWarning } from '../hooks/useSave'
import { useSharedText } from '../hooks/useSharedText'
import { useStoredFlag } from '../hooks/useStoredFlag'
import { attributionApi } from '../lib/attribution-api'
import { downloadText, type ExportFormat, exportFileName } from '../lib/files'
import { historyApi, type Version } from '../lib/history-api'
import { rememberDoc } from '../lib/recent-docs'
import { docTitle } from '../lib/title'
import { readToken } from '../lib/token'
import { AuthorLegend } from './AuthorLegend'
import { ConnectionStatus } from './ConnectionStatus'
import { DisplayNameInput } from './DisplayNameInput'
import { ClosedBanner, FollowBar, NoticeBanner, OfflineBanner } from './DocBanners'
import { DocHeader } from './DocHeader'
import { DocToolbar } from './DocToolbar'
import { Editor } from './Editor'
import { FileDropZone } from './FileDropZone'
import { Presence } from './Presence'
import { PreviewPane } from './PreviewPane'

// Loaded when first used, so that the editor shows without them.
const HistoryPanel = lazy(() =>
  import('./HistoryPanel').then((module) => ({ default: module.HistoryPanel })),
)
const VersionPreview = lazy(() =>
  import('./VersionPreview').then((module) => ({ default: module.VersionPreview })),
)
const Timeslider = lazy(() =>
  import('./Timeslider').then((module) => ({ default: module.Timeslider })),
)
const ShareDialog = lazy(() =>
  import('./ShareDialog').then((module) => ({ default: module.ShareDialog })),
)
const ReplaceTextDialog = lazy(() =>
  import('./ReplaceTextDialog').then((module) => ({ default: module.ReplaceTextDialog })),
)

/** Where the preview's open or closed state is remembered. */
const PREVIEW_KEY = 'tandem:preview'

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
  // What the server has acknowledged, for a view-only page too: its sync step 2 with nothing
  // new counts as stored, an edit it cannot make never does.
  const save = useSave(session?.saveIndicator ?? null)
  const presence = usePresence(session?.awareness ?? null)
  const notices = useNotice()
  const viewRef = useRef<EditorView | null>(null)
  const focusEditorSoon = useCallback(() => {
    requestAnimationFrame(() => viewRef.current?.focus())
  }, [])
  const closed = connection.closed !== null
  const canEdit = session !== null && !closed && !viewOnly

  const [shareOpen, setShareOpen] = useState(false)
  // The dialogs are mounted once first needed, and then stay (closed) like any other.
  const shareUsed = useUsed(shareOpen)
  const [previewOpen, togglePreview] = useStoredFlag(store, PREVIEW_KEY)
  const previewId = useId()
  const [historyOpen, setHistoryOpen] = useState(false)

  useUnsavedWarning(viewOnly ? null : (session?.save ?? null))
  useFileDropGuard()
  useEffect(() => {
    rememberDoc(store, name, Date.now(), token)
  }, [store, name, token])
  useEffect(() => {
    document.title = docTitle(name, presence.total)
  }, [name, presence.total])

  const noCaret = useCallback(
    () => notices.show('They have not placed their cursor in the text yet.'),
    [notices.show],
  )
  const follow = useFollow(viewRef, session, noCaret)
  const followedPerson = follow.following === null ? null : presence.get(follow.following)

  const api = useMemo(() => historyApi(apiUrl, name, fetch, token), [apiUrl, name, token])
  // A version is saved only once this client's edits are stored, so that it includes them.
  const savedFirst = useSavedFirst(session?.save ?? null)
  const history = useHistory(api, historyOpen, savedFirst)
  const [timesliderOpen, setTimesliderOpen] = useState(false)
  const attrApi = useMemo(() => attributionApi(apiUrl, name, fetch, token), [apiUrl, name, token])
  const previewing = historyOpen && history.selectedId !== null && !timesliderOpen
  const current = useSharedText(previewing ? (session?.text ?? null) : null)

  // Who wrote what: the colours in the editor, the playback, the authors of a version's changes.
  const authorship = useAuthorship({
    store,
    api: attrApi,
    session,
    viewRef,
    people: presence.listed,
    notify: notices.show,
    timelineNeeded: timesliderOpen || previewing,
    previewing,
    preview: history.preview,
    current,
  })
  const { attribution, attributionOff, showAuthors, liveAuthors, liveColors } = authorship

  // A version chosen in the list replaces the playback.
  useEffect(() => {
    if (history.selectedId !== null) setTimesliderOpen(false)
  }, [history.selectedId])
  const openTimeslider = useCallback(() => {
    history.select(null)
    setTimesliderOpen(true)
  }, [history.select])
  const closeTimeslider = useCallback(() => {
    setTimesliderOpen(false)
    focusEditorSoon()
  }, [focusEditorSoon])

  const selectedVersion = history.preview.status === 'ready' ? history.preview.value.version : null
  const closeVersionPreview = useCallback(() => {
    history.select(null)
    focusEditorSoon()
  }, [history.select, focusEditorSoon])

  const fileImport = useFileImport(session, {
    notify: notices.show,
    onImported: () => {
      if (history.selectedId !== null) history.select(null)
      focusEditorSoon()
    },
  })
  const restore = useRestore(history, { notify: notices.show, onRestored: focusEditorSoon })
  const replaceUsed = useUsed(fileImport.pending !== null || restore.asking)

  const exportText = (format: ExportFormat) => {
    if (session === null) return
    downloadText(session.text.toString(), exportFileName(name, format), format)
  }

  return (
    <div className="doc-page">
      <DocHeader
        name={name}
        viewOnly={viewOnly}
        status={<ConnectionStatus connection={connection} save={save} viewOnly={viewOnly} />}
      >
        <Presence
          people={presence.listed}
          total={presence.total}
          following={follow.following}
          onShow={follow.show}
          onFollow={follow.follow}
        />
        <DisplayNameInput />
        <DocToolbar
          onShare={() => setShareOpen(true)}
          previewOpen={previewOpen}
          previewId={previewId}
          onTogglePreview={togglePreview}
          historyOpen={historyOpen}
          onToggleHistory={() => setHistoryOpen((open) => !open)}
          authorsOn={authorship.authorsOn}
          onToggleAuthors={authorship.toggleAuthors}
          showAuthors={!attributionOff}
          onExport={exportText}
          onImport={(file) => void fileImport.choose(file)}
          canImport={canEdit}
          showImport={!viewOnly}
        />
      </DocHeader>
      {connection.state === 'offline' && !connection.closed && (
        <OfflineBanner viewOnly={viewOnly} />
      )}
      {followedPerson && <FollowBar person={followedPerson} onStop={() => follow.follow(null)} />}
      {connection.closed && <ClosedBanner closed={connection.closed} />}
      {notices.notice && <NoticeBanner notice={notices.notice} onDismiss={notices.dismiss} />}
      {showAuthors && !previewing && !timesliderOpen && (
        <AuthorLegend
          authors={liveAuthors}
          colors={liveColors}
          note={
            attribution.status === 'error'
              ? `Who wrote what cannot be shown: ${attribution.message}`
              : attribution.status === 'ready'
                ? null
                : 'Finding out who wrote what…'
          }
        />
      )}
      <div
        className={
          previewOpen && !previewing && !timesliderOpen ? 'doc-body with-preview' : 'doc-body'
        }
      >
        <FileDropZone
          canDrop={canEdit}
          onFile={(file) => void fileImport.choose(file)}
          hidden={previewing || timesliderOpen}
        >
          {session && (
            <Editor
              session={session}
              readOnly={closed || viewOnly}
              viewRef={viewRef}
              onFollowChange={follow.changed}
            />
          )}
        </FileDropZone>
        {previewOpen && !previewing && !timesliderOpen && session && (
          <PreviewPane id={previewId} text={session.text} />
        )}
        {/* One boundary each: the version preview loading must not hide the panel. */}
        <Suspense fallback={null}>
          {previewing && (
            <VersionPreview
              preview={history.preview}
              current={current}
              canRestore={canEdit}
              readOnly={viewOnly}
              onRestore={restore.ask}
              onClose={closeVersionPreview}
              attribution={authorship.previewAttribution}
            />
          )}
        </Suspense>
        <Suspense fallback={null}>
          {timesliderOpen && (
            <Timeslider
              timeline={authorship.timeline}
              present={authorship.present}
              onClose={closeTimeslider}
              versions={history.versions.status === 'ready' ? history.versions.value : noVersions}
            />
          )}
        </Suspense>
        <Suspense fallback={null}>
          {historyOpen && (
            <HistoryPanel
              history={history}
              canSave={canEdit}
              readOnly={viewOnly}
              onClose={() => {
                setHistoryOpen(false)
                focusEditorSoon()
              }}
              onPlayback={attributionOff ? null : openTimeslider}
            />
          )}
        </Suspense>
      </div>
      <Suspense fallback={null}>
        {shareUsed && (
          <ShareDialog
            open={shareOpen}
            onClose={() => setShareOpen(false)}
            name={name}
            token={token}
            viewOnly={viewOnly}
            apiUrl={apiUrl}
          />
        )}
      </Suspense>
      <Suspense fallback={null}>
        {replaceUsed && (
          <ReplaceTextDialog
            pendingImport={fileImport.pending}
            restoring={restore.asking}
            version={selectedVersion}
            onConfirmImport={fileImport.confirm}
            onConfirmRestore={() => void restore.confirm()}
            onCancel={() => {
              fileImport.cancel()
              restore.cancel()
            }}
          />
        )}
      </Suspense>
    </div>
  )
}

const noVersions: readonly Version[] = []

/** Whether `needed` has been true since the component mounted. */
function useUsed(needed: boolean): boolean {
  const [used, setUsed] = useState(needed)
  if (needed && !used) setUsed(true)
  return used || needed
}

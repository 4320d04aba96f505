import { encodeDocName, replaceText, TEXT_NAME } from '@tandem/protocol'
import { IndexeddbPersistence } from 'y-indexeddb'
import { type Awareness, removeAwarenessStates } from 'y-protocols/awareness'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import type { Identity } from '../lib/identity'
import { offlineCopyName } from '../lib/offline-copy'
import { type ConnectionWatcher, shouldReconnect, watchConnection } from './connection'
import { holdSaving, type SaveStore, SaveTracker } from './save-state'
import { savedAckSocket, trackSaved } from './saved-socket'

/** The shared text that the editor binds to; the name stock y-codemirror demos use. */
export { TEXT_NAME }

/** Everything one open document needs, created together and destroyed together. */
export interface CollabSession {
  readonly name: string
  readonly doc: Y.Doc
  readonly text: Y.Text
  readonly provider: WebsocketProvider
  readonly awareness: Awareness
  /** Undoes only this client's own edits. */
  readonly undoManager: Y.UndoManager
  readonly connection: ConnectionWatcher
  /** Whether this client's edits are stored on the server (the truth, for leave warnings). */
  readonly save: SaveStore
  /** The same, with `saving` shown long enough not to flicker (for the indicator). */
  readonly saveIndicator: SaveStore
  /**
   * Replaces the whole text with `next` as one edit of this client that undo reverts (an
   * import). Only the part that differs is rewritten.
   */
  replaceText(next: string): void
  destroy(): void
}

/** How long the indicator shows "Saving…" at least, in milliseconds. */
const MIN_SAVING_SHOWN_MS = 400

export interface SessionOptions {
  /** The document name (decoded). */
  name: string
  /** The sync server's WebSocket base URL; the provider appends `/<encoded name>`. */
  serverUrl: string
  /** Who this client is; the session follows its changes (e.g. a new display name). */
  identity: IdentitySource
  /** An access token (a shared link's), sent as the `token` query parameter. */
  token?: string | null
}

/** A readable, observable identity, such as `IdentityStore`. */
export interface IdentitySource {
  get(): Identity
  subscribe(listener: () => void): () => void
}

/**
 * Opens a document: a Y.Doc kept in IndexedDB (`tandem:<name>`) so it loads without the server
 * and keeps offline edits, and a WebSocket provider that syncs it and shares awareness. The
 * socket opens on the next task, so a session destroyed straight away (React's strict-mode
 * double mount) never starts one.
 */
export function openSession({
  name,
  serverUrl,
  identity,
  token = null,
}: SessionOptions): CollabSession {
  const doc = new Y.Doc()
  const text = doc.getText(TEXT_NAME)
  const persistence = new IndexeddbPersistence(offlineCopyName(name), doc)
  const save = new SaveTracker()
  const provider = new WebsocketProvider(serverUrl, encodeDocName(name), doc, {
    connect: false,
    params: token ? { token } : {},
    shouldReconnect,
    WebSocketPolyfill: savedAckSocket(WebSocket, save),
  })
  const untrackSaved = trackSaved(provider, doc, save)
  const saveIndicator = holdSaving(save, MIN_SAVING_SHOWN_MS)
  const awareness = provider.awareness
  const undoManager = new Y.UndoManager(text)
  // Imports are this client's edits too: Mod-z undoes them like typing.
  const importOrigin = { edit: 'import' }
  undoManager.addTrackedOrigin(importOrigin)
  const connection = watchConnection(provider)
  const stopRelaying = sendOwnAwarenessOnly(provider, doc.clientID)

  const publishIdentity = () => {
    const user = identity.get()
    awareness.setLocalStateField('user', {
      name: user.name,
      color: user.color,
      colorLight: user.colorLight,
    })
  }
  publishIdentity()
  const unsubscribeIdentity = identity.subscribe(publishIdentity)

  // Tell the others at once when the tab goes away, instead of after the awareness timeout.
  const onPageHide = () => removeAwarenessStates(awareness, [doc.clientID], 'page hidden')
  const onPageShow = (event: PageTransitionEvent) => {
    if (event.persisted) publishIdentity()
  }
  window.addEventListener('pagehide', onPageHide)
  window.addEventListener('pageshow', onPageShow)

  // y-protocols takes a presence state only with a newer clock. After a reconnect the others
  // (and the server) still hold this tab's last clock, and this tab still holds theirs though
  // it dropped their states, so re-sent states would be ignored until the next renewal (up to
  // 30 s without cursors): forget the clocks of clients that are gone, and publish our own
  // state again with a new clock.
  const onStatus = ({ status }: { status: string }) => {
    if (status !== 'connected') return
    for (const clientId of [...awareness.meta.keys()]) {
      if (clientId !== doc.clientID && !awareness.states.has(clientId))
        awareness.meta.delete(clientId)
    }
    const state = awareness.getLocalState()
    if (state !== null) awareness.setLocalState({ ...state })
  }
  provider.on('status', onStatus)

  const connectTimer = setTimeout(() => provider.connect(), 0)
  let destroyed = false

  return {
    name,
    doc,
    text,
    provider,
    awareness,
    undoManager,
    connection,
    save,
    saveIndicator,
    replaceText(next) {
      // Its own undo step, not merged with typing just before or after it.
      undoManager.stopCapturing()
      doc.transact(() => replaceText(text, next), importOrigin)
      undoManager.stopCapturing()
    },
    destroy() {
      if (destroyed) return
      destroyed = true
      clearTimeout(connectTimer)
      unsubscribeIdentity()
      window.removeEventListener('pagehide', onPageHide)
      window.removeEventListener('pageshow', onPageShow)
      connection.destroy()
      saveIndicator.destroy()
      untrackSaved()
      provider.off('status', onStatus)
      stopRelaying()
      provider.destroy()
      awareness.destroy()
      undoManager.destroy()
      void persistence.destroy()
      doc.destroy()
    },
  }
}

type AwarenessChange = { added: number[]; updated: number[]; removed: number[] }

/**
 * y-websocket sends every awareness change it sees, other people's included, back to the server
 * (and other tabs): one frame of 20,000 foreign states would make every open tab encode and send
 * all of them again. This keeps the provider's sender but hands it this client's own id only;
 * the server relays everyone else's. Returns the function that undoes it.
 */
function sendOwnAwarenessOnly(provider: WebsocketProvider, clientId: number): () => void {
  const send = provider._awarenessUpdateHandler
  if (typeof send !== 'function') {
    throw new Error('y-websocket no longer has _awarenessUpdateHandler; revisit collab/session.ts')
  }
  const own = (ids: number[]) => (ids.includes(clientId) ? [clientId] : [])
  const sendOwn = (change: AwarenessChange, origin: unknown) => {
    const mine = {
      added: own(change.added),
      updated: own(change.updated),
      removed: own(change.removed),
    }
    if (mine.added.length + mine.updated.length + mine.removed.length > 0) send(mine, origin)
  }
  provider.awareness.off('update', send)
  provider.awareness.on('update', sendOwn)
  return () => provider.awareness.off('update', sendOwn)
}

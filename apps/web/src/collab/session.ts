import { encodeDocName, MessageType, replaceText, SyncStep, TEXT_NAME } from '@tandem/protocol'
import * as decoding from 'lib0/decoding'
import { type Awareness, removeAwarenessStates } from 'y-protocols/awareness'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import type { Identity } from '../lib/identity'
import { offlineCopyName } from '../lib/offline-copy'
import { type ConnectionWatcher, shouldReconnect, watchConnection } from './connection'
import { OfflineStore } from './offline-store'
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
   * The text of this browser's offline copy, read before the copy is applied to `doc`, so that
   * it can be shown at once (`null`: no copy, or none whose text is known to be current).
   */
  readonly storedText: Promise<string | null>
  /**
   * Resolves once the offline copy is applied to `doc`; only then does the session connect, so
   * that the server sends only what the copy lacks.
   */
  readonly loaded: Promise<void>
  isLoaded(): boolean
  /** Makes `change` to the shared text as one edit of this client, which undo reverts. */
  edit(change: () => void): void
  /**
   * Replaces the whole text with `next` as one edit of this client that undo reverts (an
   * import). Only the part that differs is rewritten.
   */
  replaceText(next: string): void
  destroy(): void
}

/** How long the indicator shows "Saving…" at least, in milliseconds. */
const MIN_SAVING_SHOWN_MS = 400

/** How long the connection waits for the offline copy at most, in milliseconds. */
const MAX_COPY_WAIT_MS = 10_000

/** Stored updates beyond which the offline copy is folded into one once it is loaded. */
const COMPACT_AFTER_UPDATES = 500

/** A sync message from the server this large is stored in the offline copy as it came. */
const LARGE_SYNC_BYTES = 64 * 1024

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
 * Opens a document: a Y.Doc kept in IndexedDB (`tandem:<name>`, `offline-store.ts`) so it loads
 * without the server and keeps offline edits, and a WebSocket provider that syncs it and shares
 * awareness. The copy's text is read first (`storedText`), then its updates are applied
 * (`loaded`), and only then does the socket open: the server then sends what the copy lacks
 * instead of the whole document, and the copy is not sent back to it. A session destroyed
 * straight away (React's strict-mode double mount) never starts a socket.
 */
export function openSession({
  name,
  serverUrl,
  identity,
  token = null,
}: SessionOptions): CollabSession {
  const doc = new Y.Doc()
  const text = doc.getText(TEXT_NAME)
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

  const edit = (change: () => void) => {
    // Its own undo step, not merged with typing just before or after it.
    undoManager.stopCapturing()
    doc.transact(change, importOrigin)
    undoManager.stopCapturing()
  }

  let destroyed = false
  let loaded = false

  // The offline copy. What the copy brings has `copyOrigin`; everything else that changes the
  // document is stored in it, and makes its kept text out of date.
  const copyOrigin = { offlineCopy: name }
  let store: OfflineStore | null = null
  let textChanged = false
  const storeUpdate = (update: Uint8Array, origin: unknown) => {
    if (origin === copyOrigin) return
    store?.add(update)
    textChanged = true
  }
  doc.on('update', storeUpdate)
  const keepText = () => {
    if (store === null || !textChanged || !loaded) return
    textChanged = false
    store.keepText(text.toString())
  }
  let keepTimer: ReturnType<typeof setTimeout> | null = null
  const keepTextSoon = () => {
    if (keepTimer !== null || destroyed) return
    keepTimer = setTimeout(() => {
      keepTimer = null
      keepText()
    }, 1000)
  }
  const onHidden = () => {
    if (document.visibilityState === 'hidden') keepText()
  }
  document.addEventListener('visibilitychange', onHidden)
  window.addEventListener('pagehide', keepText)
  // Once in sync with the server (a first visit: the whole document), for the next visit.
  const onSynced = (synced: boolean) => {
    if (synced) keepTextSoon()
  }
  provider.on('sync', onSynced)

  // A large update from the server (a first visit's whole document) is stored as it came,
  // without Yjs encoding it again for the `update` listeners, none of which needs it: the
  // provider and the save tracker ignore what the provider applied.
  const syncHandler = provider.messageHandlers[MessageType.Sync]
  if (typeof syncHandler !== 'function') {
    throw new Error('y-websocket no longer has a sync message handler; revisit collab/session.ts')
  }
  provider.messageHandlers[MessageType.Sync] = (encoder, decoder, ...rest) => {
    if (decoder.arr.length - decoder.pos < LARGE_SYNC_BYTES) {
      syncHandler(encoder, decoder, ...rest)
      return
    }
    const peek = decoding.clone(decoder)
    const step = decoding.readVarUint(peek)
    if (step !== SyncStep.Step2 && step !== SyncStep.Update) {
      syncHandler(encoder, decoder, ...rest)
      return
    }
    const update = decoding.readVarUint8Array(peek)
    applyWithoutUpdateEvents(doc, () => syncHandler(encoder, decoder, ...rest))
    store?.add(update.slice())
    textChanged = true
  }

  const copy = OfflineStore.open(offlineCopyName(name)).then((opened) => {
    if (destroyed) {
      opened.close()
      return null
    }
    store = opened
    return opened.read()
  })
  const storedText = copy.then((read) => read?.text ?? null)
  const loadedCopy = copy.then(async (read) => {
    if (read === null) return
    // The text first, and a frame for the page to show it, before the long part.
    await read.text
    await new Promise((resolve) => setTimeout(resolve, 0))
    const { updates, lastKey } = await read.updates
    if (destroyed || updates.length === 0) return
    applyWithoutUpdateEvents(doc, () => {
      Y.transact(
        doc,
        () => {
          for (const update of updates) Y.applyUpdate(doc, update)
        },
        copyOrigin,
        false,
      )
    })
    // The copy may hold edits made offline: they are unsaved until the server has them.
    save.localEdit(null)
    if (updates.length > COMPACT_AFTER_UPDATES && lastKey !== null) {
      setTimeout(() => {
        if (!destroyed) store?.compact(doc, text, lastKey)
      }, 2000)
    }
  })
  const loadedPromise = loadedCopy.then(
    () => {
      loaded = true
    },
    () => {
      loaded = true
    },
  )
  let connectStarted = false
  const connect = () => {
    if (destroyed || connectStarted) return
    connectStarted = true
    provider.connect()
  }
  // In a task of its own: connecting encodes the whole document for the other tabs
  // (y-websocket's BroadcastChannel sync step 2), which need not lengthen the copy's task.
  void loadedPromise.then(() => setTimeout(connect, 0))
  const connectTimer = setTimeout(connect, MAX_COPY_WAIT_MS)

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
    storedText,
    loaded: loadedPromise,
    isLoaded: () => loaded,
    edit,
    replaceText: (next) => edit(() => replaceText(text, next)),
    destroy() {
      if (destroyed) return
      keepText()
      destroyed = true
      clearTimeout(connectTimer)
      if (keepTimer !== null) clearTimeout(keepTimer)
      document.removeEventListener('visibilitychange', onHidden)
      window.removeEventListener('pagehide', keepText)
      provider.off('sync', onSynced)
      doc.off('update', storeUpdate)
      store?.close()
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
      doc.destroy()
    },
  }
}

/**
 * Runs `apply` with the document's `update` listeners set aside. Yjs encodes every transaction
 * for its `update` listeners, which for the offline copy of a large document is a second pass
 * over megabytes that none of them needs: the provider is not connected yet (it sends what the
 * server lacks once it is), and the copy does not store what it holds already.
 */
function applyWithoutUpdateEvents(doc: Y.Doc, apply: () => void): void {
  const observers = (
    doc as unknown as { _observers?: Map<string, Set<(...args: never[]) => void>> }
  )._observers
  const listeners = observers?.get('update')
  if (listeners === undefined) {
    apply()
    return
  }
  const setAside = [...listeners]
  observers?.delete('update')
  try {
    apply()
  } finally {
    const now = observers?.get('update')
    observers?.set('update', new Set([...setAside, ...(now ?? [])]))
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

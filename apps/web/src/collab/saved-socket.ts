import { encodeSavedRequest, isUpdateFrame, MessageType, SyncStep } from '@tandem/protocol'
import * as decoding from 'lib0/decoding'
import type { WebsocketProvider } from 'y-websocket'
import type * as Y from 'yjs'
import type { SaveTracker, UpdateFrameKind } from './save-state'

/** What a socket made by {@link savedAckSocket} reports, about itself. */
export interface SocketEvents {
  opened(socket: WebSocket): void
  sent(socket: WebSocket, kind: UpdateFrameKind): void
  closed(socket: WebSocket): void
}

function frameBytes(data: unknown): Uint8Array | null {
  if (data instanceof Uint8Array) return data
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  return null
}

/**
 * A `WebSocket` class for the provider's `WebSocketPolyfill` option that opts into Tandem's
 * `saved` acknowledgements: it sends `saved-request` as soon as it opens and reports every
 * update frame it sends (sync step 2 and sync update, the frames the server counts).
 */
export function savedAckSocket(Base: typeof WebSocket, events: SocketEvents): typeof WebSocket {
  return class SavedAckSocket extends Base {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols)
      // Registered before the provider sets `onopen`, so this runs first: the counts start
      // before the provider's first frame.
      this.addEventListener('open', () => {
        events.opened(this)
        super.send(encodeSavedRequest() as Uint8Array<ArrayBuffer>)
      })
      this.addEventListener('close', () => events.closed(this))
    }

    override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      super.send(data as Parameters<WebSocket['send']>[0])
      const bytes = frameBytes(data)
      if (bytes !== null && isUpdateFrame(bytes)) {
        events.sent(this, bytes[1] === SyncStep.Step2 ? 'sync-step-2' : 'sync-update')
      }
    }
  }
}

/**
 * Connects `tracker` to a provider whose sockets come from {@link savedAckSocket}`(…, tracker)`:
 * reads the server's `saved` messages and reports the document's local edits. Call it after
 * the provider is created, so that the provider has sent an edit before the tracker hears of
 * it. Returns a function that disconnects them.
 */
export function trackSaved(
  provider: WebsocketProvider,
  doc: Y.Doc,
  tracker: SaveTracker,
): () => void {
  provider.messageHandlers[MessageType.Saved] = (_encoder, decoder, from, viaSocket) => {
    const frames = decoding.readVarUint(decoder)
    // `viaSocket` is false for messages from other tabs (BroadcastChannel); `saved` never is one.
    if (viaSocket && from.ws !== null) tracker.acknowledged(from.ws, frames)
  }
  const onConnectionClose = () => {
    // Emitted before the provider lets go of the socket, also when it closes the socket itself
    // (disconnect, or no message for 30 s), which the socket reports only later.
    if (provider.ws !== null) tracker.closed(provider.ws)
  }
  const onUpdate = (_update: Uint8Array, origin: unknown) => {
    // Changes from the server or other tabs arrive with the provider as origin; everything else
    // (typing, undo, imports, the IndexedDB copy) is this client's to save.
    if (origin === provider) return
    const ws = provider.ws
    // The provider sends an update exactly under this condition, in its own 'update' listener,
    // which runs before this one.
    const sentOn = provider.wsconnected && ws !== null && ws.readyState === ws.OPEN ? ws : null
    tracker.localEdit(sentOn)
  }
  provider.on('connection-close', onConnectionClose)
  doc.on('update', onUpdate)
  return () => {
    provider.off('connection-close', onConnectionClose)
    doc.off('update', onUpdate)
    // The message handler stays: a `saved` still in flight is not an unknown message.
  }
}

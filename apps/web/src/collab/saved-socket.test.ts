import {
  decodeMessage,
  encodeSaved,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
  type Message,
} from '@tandem/protocol'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { SaveTracker } from './save-state'
import { savedAckSocket, trackSaved } from './saved-socket'

/**
 * A WebSocket whose other end the test plays, with `addEventListener` like a browser's: event
 * listeners run in the order they were added, the `on…` handler (set later by the provider)
 * after them.
 */
class ScriptedSocket extends EventTarget {
  static readonly CONNECTING = 0
  static readonly OPEN = 1
  static readonly CLOSING = 2
  static readonly CLOSED = 3
  static all: ScriptedSocket[] = []
  readonly CONNECTING = 0
  readonly OPEN = 1
  readonly CLOSING = 2
  readonly CLOSED = 3
  readyState = 0
  binaryType = 'blob'
  onopen: (() => void) | null = null
  onclose: ((event: { code: number; reason: string }) => void) | null = null
  onmessage: ((event: { data: ArrayBuffer }) => void) | null = null
  onerror: ((event: unknown) => void) | null = null
  /** Every frame the client sent, decoded. */
  readonly sent: Message[] = []

  constructor(readonly url: string) {
    super()
    ScriptedSocket.all.push(this)
  }

  send(data: Uint8Array): void {
    if (this.readyState !== this.OPEN) throw new Error('send on a socket that is not open')
    this.sent.push(decodeMessage(data))
  }

  close(): void {
    if (this.readyState === this.CLOSED) return
    this.readyState = this.CLOSED
    queueMicrotask(() => this.dispatchEvent(new Event('close')))
  }

  accept(): void {
    this.readyState = this.OPEN
    this.dispatchEvent(new Event('open'))
    this.onopen?.()
  }

  receive(frame: Uint8Array): void {
    const data = frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength)
    this.onmessage?.({ data: data as ArrayBuffer })
  }

  /** The server closes the connection (or it breaks). */
  end(code = 1006): void {
    this.readyState = this.CLOSED
    this.dispatchEvent(new Event('close'))
    this.onclose?.({ code, reason: '' })
  }

  /** The update frames sent so far, as the server counts them. */
  updateFrames(): Uint8Array[] {
    return this.sent.flatMap((message) =>
      message.type === 'sync-step-2' || message.type === 'sync-update' ? [message.update] : [],
    )
  }
}

const latest = (): ScriptedSocket => {
  const socket = ScriptedSocket.all.at(-1)
  if (!socket) throw new Error('no socket yet')
  return socket
}

describe('savedAckSocket with the y-websocket provider', () => {
  let doc: Y.Doc
  let server: Y.Doc
  let provider: WebsocketProvider
  let tracker: SaveTracker
  let untrack: () => void

  /** Plays the server's side of a connection's sync: step 1 and step 2 both ways. */
  const sync = (socket: ScriptedSocket) => {
    socket.accept()
    socket.receive(encodeSyncStep1(Y.encodeStateVector(server)))
    const fromClient = socket.sent.filter((message) => message.type === 'sync-step-1')
    const clientVector = fromClient.at(-1)
    if (clientVector?.type !== 'sync-step-1') throw new Error('the client sent no step 1')
    socket.receive(encodeSyncStep2(Y.encodeStateAsUpdate(server, clientVector.stateVector)))
  }
  /** The server stores what the client sent and acknowledges all of it. */
  const storeAll = (socket: ScriptedSocket) => {
    const frames = socket.updateFrames()
    for (const update of frames) Y.applyUpdate(server, update)
    socket.receive(encodeSaved(frames.length))
  }

  beforeEach(() => {
    vi.useFakeTimers()
    ScriptedSocket.all = []
    doc = new Y.Doc()
    server = new Y.Doc()
    tracker = new SaveTracker()
    provider = new WebsocketProvider('ws://sync.test', 'notes', doc, {
      connect: false,
      disableBc: true,
      WebSocketPolyfill: savedAckSocket(ScriptedSocket as unknown as typeof WebSocket, tracker),
    })
    untrack = trackSaved(provider, doc, tracker)
  })

  afterEach(() => {
    untrack()
    provider.destroy()
    doc.destroy()
    server.destroy()
    vi.useRealTimers()
  })

  it('asks for acknowledgements before anything else', () => {
    provider.connect()
    latest().accept()
    expect(
      latest()
        .sent.map((message) => message.type)
        .slice(0, 2),
    ).toEqual(['saved-request', 'sync-step-1'])
  })

  it('goes saving when the user types and saved when the server has stored it', () => {
    provider.connect()
    const socket = latest()
    sync(socket)
    socket.receive(encodeSaved(0))
    expect(tracker.getSnapshot().state).toBe('saving') // the step 2 is not acknowledged yet
    storeAll(socket)
    expect(tracker.getSnapshot().state).toBe('saved')

    doc.getText('t').insert(0, 'hello')
    expect(socket.updateFrames()).toHaveLength(2)
    expect(tracker.getSnapshot()).toEqual({ state: 'saving', unsavedEdits: true })
    storeAll(socket)
    expect(tracker.getSnapshot().state).toBe('saved')
    expect(server.getText('t').toString()).toBe('hello')
  })

  it('does not count changes from the server as unsaved', () => {
    provider.connect()
    const socket = latest()
    sync(socket)
    storeAll(socket)
    const remote = new Y.Doc()
    remote.getText('t').insert(0, 'from someone else')
    socket.receive(encodeSyncUpdate(Y.encodeStateAsUpdate(remote)))
    expect(doc.getText('t').toString()).toBe('from someone else')
    expect(tracker.getSnapshot().state).toBe('saved')
    remote.destroy()
  })

  it('keeps an edit made offline unsaved until the next connection stores its step 2', () => {
    provider.connect()
    const first = latest()
    sync(first)
    storeAll(first)
    first.end(1006)
    expect(tracker.getSnapshot().state).toBe('offline')

    doc.getText('t').insert(0, 'written offline')
    expect(tracker.getSnapshot().state).toBe('offline-unsaved')

    vi.advanceTimersByTime(5_000) // the provider reconnects
    const second = latest()
    expect(second).not.toBe(first)
    second.accept()
    second.receive(encodeSaved(0))
    expect(tracker.getSnapshot()).toEqual({ state: 'saving', unsavedEdits: true })
    sync(second)
    // The step 2 carries the offline edit; once it is stored, everything is.
    expect(second.updateFrames()).toHaveLength(1)
    storeAll(second)
    expect(server.getText('t').toString()).toBe('written offline')
    expect(tracker.getSnapshot().state).toBe('saved')
  })

  it('V3: on a view-only link, saved once the server acknowledges the empty step 2; an edit it drops stays unsaved', () => {
    // The server's side (SPEC V3): a read-only peer's frames are never stored; an empty one
    // (the step 2 of a copy that is up to date) counts as stored, a non-empty one never does,
    // nor any after it.
    const storedFor = (socket: ScriptedSocket) => {
      const frames = socket.updateFrames()
      const firstChange = frames.findIndex((update) => !isEmpty(update))
      return firstChange === -1 ? frames.length : firstChange
    }
    // As the server judges it: no structs and no deletions, the two bytes of an empty update.
    const isEmpty = (update: Uint8Array) =>
      update.length === 2 && update[0] === 0 && update[1] === 0
    server.getText('t').insert(0, 'the document')
    provider.connect()
    const socket = latest()
    sync(socket)
    expect(tracker.getSnapshot().state).toBe('saving') // not "up to date" before the server says so
    socket.receive(encodeSaved(storedFor(socket)))
    expect(tracker.getSnapshot()).toEqual({ state: 'saved', unsavedEdits: false })

    // An edit the page should not make (a view-only editor refuses typing) is never confirmed.
    doc.getText('t').insert(0, 'not allowed ')
    expect(socket.updateFrames()).toHaveLength(2)
    socket.receive(encodeSaved(storedFor(socket)))
    expect(tracker.getSnapshot()).toEqual({ state: 'saving', unsavedEdits: true })
  })

  it('is unsaved at once when the provider drops the connection with an edit in flight', () => {
    provider.connect()
    const socket = latest()
    sync(socket)
    storeAll(socket)
    doc.getText('t').insert(0, 'in flight')
    provider.disconnect() // the socket reports its close only later
    expect(tracker.getSnapshot().state).toBe('offline-unsaved')
    socket.receive(encodeSaved(2)) // too late: the provider has let go of this socket
    expect(tracker.getSnapshot().state).toBe('offline-unsaved')
  })
})

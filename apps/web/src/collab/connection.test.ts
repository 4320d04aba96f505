import * as encoding from 'lib0/encoding'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import * as syncProtocol from 'y-protocols/sync'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import {
  type ConnectionWatcher,
  describeClose,
  shouldReconnect,
  watchConnection,
} from './connection'

/**
 * A WebSocket whose other end the test plays: the real provider runs against it, so the states
 * follow the events the provider really emits, in its order.
 */
class ScriptedSocket {
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

  constructor(readonly url: string) {
    ScriptedSocket.all.push(this)
  }

  send(): void {}

  close(): void {
    this.readyState = this.CLOSED
  }

  /** The server accepts the connection. */
  accept(): void {
    this.readyState = this.OPEN
    this.onopen?.()
  }

  /** The server sends its state (sync step 2), which marks the provider synced. */
  sendSyncStep2(serverDoc: Y.Doc): void {
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, 0)
    syncProtocol.writeSyncStep2(encoder, serverDoc)
    const bytes = encoding.toUint8Array(encoder)
    this.onmessage?.({
      data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    })
  }

  /** The connection ends from the server's side (or fails to open). */
  end(code: number, reason = ''): void {
    this.readyState = this.CLOSED
    this.onclose?.({ code, reason })
  }
}

const latestSocket = (): ScriptedSocket => {
  const socket = ScriptedSocket.all.at(-1)
  if (!socket) throw new Error('the provider has not opened a socket')
  return socket
}

describe('watchConnection', () => {
  let doc: Y.Doc
  let provider: WebsocketProvider
  let watcher: ConnectionWatcher
  let seen: string[]

  beforeEach(() => {
    vi.useFakeTimers()
    ScriptedSocket.all = []
    doc = new Y.Doc()
    provider = new WebsocketProvider('ws://sync.test', 'notes', doc, {
      connect: false,
      disableBc: true,
      shouldReconnect,
      WebSocketPolyfill: ScriptedSocket as unknown as typeof WebSocket,
    })
    watcher = watchConnection(provider)
    seen = []
    watcher.subscribe(() => seen.push(watcher.getSnapshot().state))
  })

  afterEach(() => {
    watcher.destroy()
    provider.destroy()
    doc.destroy()
    vi.useRealTimers()
  })

  it('is connecting until the first sync, then connected', () => {
    expect(watcher.getSnapshot()).toEqual({ state: 'connecting', closed: null })
    provider.connect()
    expect(latestSocket().url).toBe('ws://sync.test/notes')
    latestSocket().accept()
    expect(watcher.getSnapshot().state).toBe('connecting')
    latestSocket().sendSyncStep2(new Y.Doc())
    expect(watcher.getSnapshot()).toEqual({ state: 'connected', closed: null })
    expect(seen).toEqual(['connected'])
  })

  it('is offline when the server cannot be reached, and stays so while retrying', () => {
    provider.connect()
    latestSocket().end(1006)
    expect(watcher.getSnapshot().state).toBe('offline')

    vi.advanceTimersByTime(5_000) // the provider's backoff opens a new socket
    expect(ScriptedSocket.all).toHaveLength(2)
    expect(watcher.getSnapshot().state).toBe('offline')

    latestSocket().accept()
    latestSocket().sendSyncStep2(new Y.Doc())
    expect(watcher.getSnapshot().state).toBe('connected')
    expect(seen).toEqual(['offline', 'connecting', 'connected'])
  })

  it('goes offline when a synced connection drops, and back when it returns', () => {
    provider.connect()
    latestSocket().accept()
    latestSocket().sendSyncStep2(new Y.Doc())
    latestSocket().end(1001, 'going away')
    expect(watcher.getSnapshot()).toEqual({ state: 'offline', closed: null })

    vi.advanceTimersByTime(5_000)
    latestSocket().accept()
    latestSocket().sendSyncStep2(new Y.Doc())
    expect(watcher.getSnapshot().state).toBe('connected')
  })

  it('stops for good on a permanent close code and keeps the reason', () => {
    provider.connect()
    latestSocket().accept()
    latestSocket().sendSyncStep2(new Y.Doc())
    latestSocket().end(4422, 'document is quarantined')

    expect(watcher.getSnapshot()).toEqual({
      state: 'offline',
      closed: { code: 4422, reason: 'document is quarantined' },
    })
    expect(provider.shouldConnect).toBe(false)
    vi.advanceTimersByTime(60_000)
    expect(ScriptedSocket.all).toHaveLength(1)
  })

  it('keeps retrying after a transient close code', () => {
    provider.connect()
    latestSocket().end(4503, 'storage unavailable')
    expect(watcher.getSnapshot()).toEqual({ state: 'offline', closed: null })
    vi.advanceTimersByTime(5_000)
    expect(ScriptedSocket.all).toHaveLength(2)
  })
})

describe('shouldReconnect', () => {
  it('refuses only the 4400-4499 band', () => {
    const close = (code: number) => ({ code }) as CloseEvent
    expect(shouldReconnect(close(1006))).toBe(true)
    expect(shouldReconnect(close(1013))).toBe(true)
    expect(shouldReconnect(close(4503))).toBe(true)
    expect(shouldReconnect(close(4400))).toBe(false)
    expect(shouldReconnect(close(4499))).toBe(false)
  })
})

describe('describeClose', () => {
  it('uses the server reason, or the known reason for the code', () => {
    expect(describeClose({ code: 4401, reason: 'token expired' })).toContain('token expired')
    expect(describeClose({ code: 4401, reason: 'token expired' })).toContain('4401')
    expect(describeClose({ code: 4499, reason: '' })).toContain('no reason given')
    expect(describeClose({ code: 4422, reason: '' })).toMatch(/damaged/)
  })
})

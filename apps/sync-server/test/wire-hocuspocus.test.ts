// The Hocuspocus wire protocol driven with hand-made frames through a real server on port 0
// (the stock providers are tested elsewhere). Rules: SPEC Y.
import {
  decodeHocuspocusFrame,
  encodeHocuspocusClose,
  encodeHocuspocusStateless,
  encodeHocuspocusToken,
  encodeHocuspocusYjs,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
  type HocuspocusFrame,
} from '@tandem/protocol'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import type { Tandem } from '../src/app.js'
import { TokenSigner } from '../src/auth/tokens.js'
import { SqliteStore } from '../src/persistence/sqlite.js'
import { type Client, connectClient, startServer, synced, tempDir, wsUrl } from './helpers.js'
import { openRaw, type RawSocket, upgradeStatus } from './raw.js'

const SECRET = 'a test secret that is long enough for HS256'
const signer = new TokenSigner(new TextEncoder().encode(SECRET))

type DocFrame = Extract<HocuspocusFrame, { kind: 'document' }>

/** What `raw` received for `address`, decoded. */
function framesOf(raw: RawSocket, address: string): DocFrame['message'][] {
  return raw.received
    .map((f) => decodeHocuspocusFrame(f))
    .filter((f): f is DocFrame => f.kind === 'document' && f.address === address)
    .map((f) => f.message)
}

/** The sync statuses `raw` received for `address`. */
const statuses = (raw: RawSocket, address: string) =>
  framesOf(raw, address).flatMap((m) => (m.type === 'sync-status' ? [m.applied] : []))

/** The y-websocket messages `raw` received for `address`, by their decoded type. */
const yjsTypes = (raw: RawSocket, address: string) =>
  framesOf(raw, address).flatMap((m) => (m.type === 'yjs' ? [m.message.type] : []))

/** An update inserting `text` at the start of a fresh document of client `clientId`. */
function edit(text: string, clientId: number): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = clientId
  doc.getText('codemirror').insert(0, text)
  return Y.encodeStateAsUpdate(doc)
}

const EMPTY_SV = Uint8Array.of(0)
const EMPTY_UPDATE = Uint8Array.of(0, 0)

describe('Hocuspocus wire protocol', () => {
  let dir: ReturnType<typeof tempDir> | undefined
  let server: Tandem | undefined
  const sockets: RawSocket[] = []
  const clients: Client[] = []
  const start = async (env: Record<string, string> = {}, store?: SqliteStore) => {
    dir ??= tempDir()
    server = await startServer(dir.path, { AUTH_SECRET: SECRET, ...env }, store)
    return server
  }
  const open = async (s: Tandem) => {
    const raw = await openRaw(`${wsUrl(s)}/`)
    sockets.push(raw)
    return raw
  }
  /** Authenticates `address` with `token` and sends sync step 1 of an empty document. */
  const openDoc = (raw: RawSocket, address: string, token = '') => {
    raw.ws.send(encodeHocuspocusToken(address, token, '4.7.0'))
    raw.ws.send(encodeHocuspocusYjs(address, encodeSyncStep1(EMPTY_SV)))
  }
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy()
    for (const raw of sockets.splice(0)) raw.ws.terminate()
    await server?.close()
    dir?.remove()
    dir = undefined
    server = undefined
  })

  it('Y1: the path / speaks Hocuspocus; the upgrade there still checks the origin', async () => {
    const s = await start()
    expect(await upgradeStatus(`${wsUrl(s)}/`)).toBe(101)
    const raw = await open(s)
    openDoc(raw, 'notes')
    await vi.waitFor(() =>
      expect(framesOf(raw, 'notes')[0]).toEqual({ type: 'authenticated', scope: 'read-write' }),
    )
    const { upgrade } = await import('./raw.js')
    expect((await upgrade(`${wsUrl(s)}/`, { Origin: 'http://evil.example' })).status).toBe(403)
  })

  it('Y2, Y6: frames sent before the auth message wait for it; the server sends step 2 before its step 1', async () => {
    const s = await start()
    const raw = await open(s)
    // Sync step 1 and an edit first, then the token.
    raw.ws.send(encodeHocuspocusYjs('notes', encodeSyncStep1(EMPTY_SV)))
    raw.ws.send(encodeHocuspocusYjs('notes', encodeSyncUpdate(edit('queued', 1))))
    raw.ws.send(encodeHocuspocusToken('notes', '', '4.7.0'))
    await vi.waitFor(() => expect(statuses(raw, 'notes')).toEqual([true]))
    expect(framesOf(raw, 'notes')[0]).toEqual({ type: 'authenticated', scope: 'read-write' })
    const types = yjsTypes(raw, 'notes')
    expect(types.indexOf('sync-step-2')).toBeGreaterThanOrEqual(0)
    expect(types.indexOf('sync-step-1')).toBeGreaterThan(types.indexOf('sync-step-2'))
    const reader = connectClient(wsUrl(s), 'notes')
    clients.push(reader)
    await vi.waitFor(() => expect(reader.text.toString()).toBe('queued'))
  })

  it('Y3: a bad token refuses that document only; a view token gets "readonly"', async () => {
    const s = await start({ AUTH_MODE: 'token' })
    const raw = await open(s)
    const good = await signer.sign({ doc: 'good', mode: 'edit' }, 60)
    const view = await signer.sign({ doc: 'viewed', mode: 'view' }, 60)
    openDoc(raw, 'bad', 'not a token')
    openDoc(raw, 'good', good)
    openDoc(raw, 'viewed', view)
    openDoc(raw, 'none', '')
    await vi.waitFor(() => {
      expect(framesOf(raw, 'bad')).toEqual([{ type: 'permission-denied', reason: 'token_invalid' }])
      expect(framesOf(raw, 'none')).toEqual([
        { type: 'permission-denied', reason: 'token_required' },
      ])
      expect(framesOf(raw, 'good')[0]).toEqual({ type: 'authenticated', scope: 'read-write' })
      expect(framesOf(raw, 'viewed')[0]).toEqual({ type: 'authenticated', scope: 'readonly' })
    })
    // The refused documents' sync step 1 went nowhere; the good one goes on.
    raw.ws.send(encodeHocuspocusYjs('good', encodeSyncUpdate(edit('ok', 2))))
    await vi.waitFor(() => expect(statuses(raw, 'good')).toContain(true))
    expect(raw.ws.readyState).toBe(raw.ws.OPEN)
  })

  it("Y3: in open mode an empty token and an application's own token edit; an expired Tandem token is still refused", async () => {
    const s = await start()
    const raw = await open(s)
    const expired = await signer.signUntil({ doc: 'c', mode: 'edit' }, Date.now() - 60_000)
    openDoc(raw, 'a', '')
    openDoc(raw, 'b', 'an application session token')
    openDoc(raw, 'c', expired)
    await vi.waitFor(() => {
      expect(framesOf(raw, 'a')[0]).toEqual({ type: 'authenticated', scope: 'read-write' })
      expect(framesOf(raw, 'b')[0]).toEqual({ type: 'authenticated', scope: 'read-write' })
      expect(framesOf(raw, 'c')).toEqual([{ type: 'permission-denied', reason: 'token_expired' }])
    })
  })

  it('Y7: a read-only document gets sync status 0 for an edit at once, and nothing is stored', async () => {
    const s = await start({ AUTH_MODE: 'token' })
    const raw = await open(s)
    const view = await signer.sign({ doc: 'viewed', mode: 'view' }, 60)
    openDoc(raw, 'viewed', view)
    await vi.waitFor(() => expect(yjsTypes(raw, 'viewed')).toContain('sync-step-1'))
    raw.ws.send(encodeHocuspocusYjs('viewed', encodeSyncStep2(EMPTY_UPDATE)))
    raw.ws.send(encodeHocuspocusYjs('viewed', encodeSyncUpdate(edit('nope', 3))))
    await vi.waitFor(() => expect(statuses(raw, 'viewed')).toEqual([true, false]))
    const reader = connectClient(wsUrl(s), 'viewed', new Y.Doc(), {
      token: await signer.sign({ doc: 'viewed', mode: 'view' }, 60),
    })
    clients.push(reader)
    await synced(reader)
    expect(reader.text.toString()).toBe('')
    expect(await s.store.load('viewed')).toBeNull()
  })

  it('Y5: sync status 1 only once the edit is committed', async () => {
    dir = tempDir()
    const sqlite = SqliteStore.open(dir.path)
    let release = () => {}
    const latch = new Promise<void>((resolve) => {
      release = resolve
    })
    let appends = 0
    const store = new Proxy(sqlite, {
      get(target, key) {
        if (key === 'append') {
          return async (name: string, update: Uint8Array) => {
            appends++
            await latch
            return target.append(name, update)
          }
        }
        const value = Reflect.get(target, key, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    try {
      const s = await start({}, store)
      const raw = await open(s)
      openDoc(raw, 'doc')
      await vi.waitFor(() => expect(yjsTypes(raw, 'doc')).toContain('sync-step-1'))
      raw.ws.send(encodeHocuspocusYjs('doc', encodeSyncStep2(EMPTY_UPDATE)))
      raw.ws.send(encodeHocuspocusYjs('doc', encodeSyncUpdate(edit('one', 4))))
      raw.ws.send(encodeHocuspocusYjs('doc', encodeSyncUpdate(edit('two', 5))))
      await vi.waitFor(() => expect(appends).toBe(2))
      // The empty step 2 came first and is acknowledged; the edits wait for their commit.
      await vi.waitFor(() => expect(statuses(raw, 'doc')).toEqual([true]))
      release()
      await vi.waitFor(() => expect(statuses(raw, 'doc')).toEqual([true, true, true]))
      expect(await sqlite.load('doc')).not.toBeNull()
    } finally {
      release()
    }
  })

  it('Y3: three documents over one socket, each its own room', async () => {
    const s = await start()
    const raw = await open(s)
    for (const name of ['one', 'two', 'three']) openDoc(raw, name)
    for (const [i, name] of ['one', 'two', 'three'].entries()) {
      raw.ws.send(encodeHocuspocusYjs(name, encodeSyncUpdate(edit(`text of ${name}`, 10 + i))))
    }
    const readers = ['one', 'two', 'three'].map((name) => connectClient(wsUrl(s), name))
    clients.push(...readers)
    await vi.waitFor(() =>
      expect(readers.map((r) => r.text.toString())).toEqual([
        'text of one',
        'text of two',
        'text of three',
      ]),
    )
    // And back: the y-websocket client's edit reaches the Hocuspocus socket, addressed.
    readers[1]!.text.insert(0, '>')
    await vi.waitFor(() => expect(yjsTypes(raw, 'two')).toContain('sync-update'))
    expect(yjsTypes(raw, 'one')).not.toContain('sync-update')
  })

  it('Y9: a close message ends that document only; a later token opens it again', async () => {
    const s = await start()
    const raw = await open(s)
    openDoc(raw, 'a')
    openDoc(raw, 'b')
    await vi.waitFor(() => expect(s.rooms.size).toBe(2))
    raw.ws.send(encodeHocuspocusClose('a'))
    const reader = connectClient(wsUrl(s), 'b')
    clients.push(reader)
    raw.ws.send(encodeHocuspocusYjs('a', encodeSyncUpdate(edit('unauthenticated', 6))))
    raw.ws.send(encodeHocuspocusYjs('b', encodeSyncUpdate(edit('still here', 7))))
    await vi.waitFor(() => expect(reader.text.toString()).toBe('still here'))
    // `a`'s edit waits for a new auth message, then is applied.
    expect(statuses(raw, 'a')).toEqual([])
    raw.ws.send(encodeHocuspocusToken('a', ''))
    await vi.waitFor(() => expect(statuses(raw, 'a')).toEqual([true]))
  })

  it('Y9: a malformed update closes that document with a close message; the socket goes on', async () => {
    const s = await start()
    const raw = await open(s)
    openDoc(raw, 'a')
    openDoc(raw, 'b')
    await vi.waitFor(() => expect(yjsTypes(raw, 'b')).toContain('sync-step-1'))
    raw.ws.send(encodeHocuspocusYjs('a', encodeSyncUpdate(Uint8Array.of(1, 2, 3))))
    await vi.waitFor(() =>
      expect(framesOf(raw, 'a')).toContainEqual({ type: 'close', reason: 'malformed message' }),
    )
    raw.ws.send(encodeHocuspocusYjs('b', encodeSyncUpdate(edit('fine', 8))))
    await vi.waitFor(() => expect(statuses(raw, 'b')).toEqual([true]))
  })

  it('Y9: a frame that is not a Hocuspocus message closes the socket with 1007', async () => {
    const s = await start()
    const raw = await open(s)
    raw.ws.send(Uint8Array.of(1, 0x61, 42))
    expect((await raw.closed).code).toBe(1007)
  })

  it('Y10: a bare ping is answered with a bare pong', async () => {
    const s = await start()
    const raw = await open(s)
    raw.ws.send(Uint8Array.of(9))
    await vi.waitFor(() => expect(raw.received).toContainEqual(Uint8Array.of(10)))
  })

  it('Y8: a stateless message reaches the other Hocuspocus peers of its document only', async () => {
    const s = await start()
    const [a, b, c] = await Promise.all([open(s), open(s), open(s)])
    openDoc(a!, 'doc')
    openDoc(b!, 'doc')
    openDoc(c!, 'other')
    await vi.waitFor(() => {
      for (const [raw, name] of [
        [a!, 'doc'],
        [b!, 'doc'],
        [c!, 'other'],
      ] as const) {
        expect(yjsTypes(raw, name)).toContain('sync-step-2')
      }
    })
    a!.ws.send(encodeHocuspocusStateless('doc', 'hello'))
    await vi.waitFor(() =>
      expect(framesOf(b!, 'doc')).toContainEqual({ type: 'stateless', payload: 'hello' }),
    )
    expect(framesOf(a!, 'doc')).not.toContainEqual({ type: 'stateless', payload: 'hello' })
    expect(framesOf(c!, 'other')).not.toContainEqual({ type: 'stateless', payload: 'hello' })
  })

  it('Y11: a session-aware address is the reply address; two sessions of one document are two peers', async () => {
    const s = await start()
    const raw = await open(s)
    openDoc(raw, 'doc\0s1')
    openDoc(raw, 'doc\0s2')
    await vi.waitFor(() => {
      expect(yjsTypes(raw, 'doc\0s1')).toContain('sync-step-2')
      expect(yjsTypes(raw, 'doc\0s2')).toContain('sync-step-2')
    })
    raw.ws.send(encodeHocuspocusYjs('doc\0s1', encodeSyncUpdate(edit('x', 9))))
    await vi.waitFor(() => expect(yjsTypes(raw, 'doc\0s2')).toContain('sync-update'))
    expect(framesOf(raw, 'doc')).toEqual([])
  })

  it('Y4: more than 100 documents waiting for authentication close the socket with 1008', async () => {
    const s = await start()
    const raw = await open(s)
    for (let i = 0; i <= 100; i++) {
      raw.ws.send(encodeHocuspocusYjs(`d${i}`, encodeSyncStep1(EMPTY_SV)))
    }
    expect((await raw.closed).code).toBe(1008)
    expect(s.rooms.size).toBe(0)
  })

  it('Y4: more than 1,000 messages queued before authentication close the socket with 1008', async () => {
    const s = await start({
      MAX_MESSAGES_PER_SECOND: '10000',
      MAX_MESSAGES_PER_IP_PER_SECOND: '10000',
    })
    const raw = await open(s)
    for (let i = 0; i <= 1_000; i++) {
      raw.ws.send(encodeHocuspocusYjs('doc', encodeSyncStep1(EMPTY_SV)))
    }
    expect((await raw.closed).code).toBe(1008)
  })

  it('Y4: more than 5 MiB queued before authentication close the socket with 1008', async () => {
    const s = await start({
      MAX_BYTES_PER_SECOND: '100000000',
      MAX_BYTES_PER_IP_PER_SECOND: '100000000',
    })
    const raw = await open(s)
    const big = encodeHocuspocusStateless('doc', 'x'.repeat(1024 * 1024))
    for (let i = 0; i < 6; i++) raw.ws.send(big)
    expect((await raw.closed).code).toBe(1008)
  })
})

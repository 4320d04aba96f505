import {
  encodeAwareness,
  encodeAwarenessUpdate,
  encodeSavedRequest,
  encodeSyncUpdate,
  MessageType,
} from '@tandem/protocol'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import type { Tandem } from '../src/app.js'
import { TokenSigner } from '../src/auth/tokens.js'
import { SqliteStore } from '../src/persistence/sqlite.js'
import { type Client, connectClient, startServer, synced, tempDir, wsUrl } from './helpers.js'
import { encodeFrame, openRaw, openTcpWebSocket, upgrade, upgradeStatus } from './raw.js'

const SECRET = 'a test secret that is long enough for HS256'
const signer = new TokenSigner(new TextEncoder().encode(SECRET))

describe('security', () => {
  let dir: ReturnType<typeof tempDir> | undefined
  let server: Tandem | undefined
  const clients: Client[] = []
  const start = async (env: Record<string, string> = {}) => {
    dir = tempDir()
    server = await startServer(dir.path, { AUTH_SECRET: SECRET, ...env })
    return server
  }
  const connect = (s: Tandem, name: string, params?: Record<string, string>) => {
    const c = connectClient(wsUrl(s), name, new Y.Doc(), params)
    clients.push(c)
    return c
  }
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy()
    await server?.close()
    dir?.remove()
    server = undefined
  })

  describe('origin', () => {
    it('T1: a browser page of another origin is refused with 403; the own origin passes', async () => {
      const s = await start()
      const url = `${wsUrl(s)}/doc`
      expect((await upgrade(url, { Origin: 'http://evil.example' })).status).toBe(403)
      expect((await upgrade(url, { Origin: `http://${s.url.host}` })).status).toBe(101)
      expect((await upgrade(url)).status).toBe(101)
      expect(s.rooms.size).toBeLessThanOrEqual(1)
    })

    it('T2: with ALLOWED_ORIGINS only the listed origins pass', async () => {
      const s = await start({ ALLOWED_ORIGINS: 'https://app.example, https://other.example' })
      const url = `${wsUrl(s)}/doc`
      expect((await upgrade(url, { Origin: 'https://app.example' })).status).toBe(101)
      expect((await upgrade(url, { Origin: `http://${s.url.host}` })).status).toBe(403)
    })
  })

  describe('token mode', () => {
    it('T3: no token 401, bad signature 401, expired 401, another document 403, valid 101', async () => {
      const s = await start({ AUTH_MODE: 'token' })
      const base = `${wsUrl(s)}/secret-doc`
      const other = new TokenSigner(new TextEncoder().encode('x'.repeat(40)))
      expect(await upgradeStatus(base)).toBe(401)
      expect(await upgradeStatus(`${base}?token=not.a.jwt`)).toBe(401)
      const forged = await other.sign({ doc: 'secret-doc', mode: 'edit' }, 60)
      expect(await upgradeStatus(`${base}?token=${forged}`)).toBe(401)
      const wrongDoc = await signer.sign({ doc: 'elsewhere', mode: 'edit' }, 60)
      expect(await upgradeStatus(`${base}?token=${wrongDoc}`)).toBe(403)
      const prefix = await signer.sign({ prefix: 'secret-doc', mode: 'edit' }, 60)
      expect(await upgradeStatus(`${base}?token=${prefix}`)).toBe(101)
      const rawPrefix = await signer.sign({ prefix: 'secret-', mode: 'edit' }, 60)
      expect(await upgradeStatus(`${base}?token=${rawPrefix}`)).toBe(403)
      const valid = await signer.sign({ doc: 'secret-doc', mode: 'edit' }, 60)
      expect(await upgradeStatus(`${base}?token=${valid}`)).toBe(101)
      expect((await s.store.list()).length).toBe(0)
    })

    it('T4: a view token receives everything but can never change the document', async () => {
      const s = await start({ AUTH_MODE: 'token' })
      const edit = await signer.sign({ doc: 'doc', mode: 'edit', name: 'Ada' }, 60)
      const view = await signer.sign({ doc: 'doc', mode: 'view', name: 'Viewer' }, 60)
      const writer = connect(s, 'doc', { token: edit })
      const viewer = connect(s, 'doc', { token: view })
      await Promise.all([synced(writer), synced(viewer)])
      writer.text.insert(0, 'from the editor')
      await vi.waitFor(() => expect(viewer.text.toString()).toBe('from the editor'))
      viewer.text.insert(0, 'VANDALISM ')
      // A fresh reader sees only the editor's text; so do the store and the editor.
      const reader = connect(s, 'doc', { token: edit })
      await synced(reader)
      writer.text.insert(writer.text.length, '!')
      await vi.waitFor(() => expect(reader.text.toString()).toBe('from the editor!'))
      expect(writer.text.toString()).toBe('from the editor!')
      const room = await s.rooms.get('doc')
      const doc = new Y.Doc()
      Y.applyUpdate(doc, room!.update)
      expect(doc.getText('codemirror').toString()).toBe('from the editor!')
    })

    it('T5: the token stamps its name into presence; nobody can pose as someone else', async () => {
      const s = await start({ AUTH_MODE: 'token' })
      const mallory = await signer.sign(
        { doc: 'doc', mode: 'edit', name: 'Mallory', color: '#111111' },
        60,
      )
      const ada = await signer.sign({ doc: 'doc', mode: 'edit', name: 'Ada' }, 60)
      const m = connect(s, 'doc', { token: mallory })
      const a = connect(s, 'doc', { token: ada })
      await Promise.all([synced(m), synced(a)])
      m.provider.awareness.setLocalStateField('user', { name: 'Ada', color: '#ff0000' })
      await vi.waitFor(() => {
        const state = a.provider.awareness.getStates().get(m.doc.clientID)
        expect(state?.user).toEqual({
          name: 'Mallory',
          verified: true,
          color: '#111111',
          colorLight: '#11111133',
        })
      })
      // Mallory cannot write presence for Ada's client id either.
      const raw = await openRaw(`${wsUrl(s)}/doc?token=${mallory}`)
      const forged = JSON.stringify({ user: { name: 'Ada', color: '#000000' }, cursor: null })
      raw.ws.send(
        encodeAwareness(
          encodeAwarenessUpdate([{ clientId: a.doc.clientID, clock: 1e6, state: forged }]),
        ),
      )
      m.provider.awareness.setLocalStateField('marker', 1)
      await vi.waitFor(() =>
        expect(a.provider.awareness.getStates().get(m.doc.clientID)?.marker).toBe(1),
      )
      expect(m.provider.awareness.getStates().get(a.doc.clientID)?.user?.color).not.toBe('#000000')
      raw.ws.close()
    })

    it('T6: a connection whose token expires is closed with 4401', async () => {
      const s = await start({ AUTH_MODE: 'token' })
      const short = await signer.sign({ doc: 'doc', mode: 'edit' }, 1)
      const raw = await openRaw(`${wsUrl(s)}/doc?token=${short}`)
      const { code } = await raw.closed
      expect(code).toBe(4401)
    })
  })

  describe('limits', () => {
    it('T7: too many upgrades from one address get 429 with Retry-After', async () => {
      // 18 a minute allows a burst of 3 (ten seconds' worth).
      const s = await start({ MAX_UPGRADES_PER_IP_PER_MINUTE: '18' })
      const url = `${wsUrl(s)}/doc`
      const results = []
      for (let i = 0; i < 4; i++) results.push(await upgrade(url))
      expect(results.map((r) => r.status)).toEqual([101, 101, 101, 429])
      expect(Number(results[3]?.retryAfter)).toBeGreaterThan(0)
    })

    it('T8: connection caps per address and per document answer 429; loaded documents 503', async () => {
      const s = await start({ MAX_CONNECTIONS_PER_IP: '2', MAX_LOADED_DOCS: '1' })
      const a = await openRaw(`${wsUrl(s)}/one`)
      const b = await openRaw(`${wsUrl(s)}/one`)
      expect((await upgrade(`${wsUrl(s)}/one`)).status).toBe(429)
      a.ws.close()
      await a.closed
      await vi.waitFor(async () => expect((await upgrade(`${wsUrl(s)}/two`)).status).toBe(503))
      b.ws.close()
    })

    it('T9: a connection over its message rate is held back, not closed; every frame is handled; others carry on', async () => {
      // A burst of 4, then 2 a second; rate-limit.test.ts has the rest of T9.
      const s = await start({ MAX_MESSAGES_PER_SECOND: '2' })
      const calm = connect(s, 'doc')
      const other = connect(s, 'doc')
      await Promise.all([synced(calm), synced(other)])
      const raw = await openRaw(`${wsUrl(s)}/doc`)
      let closed = false
      raw.ws.on('close', () => {
        closed = true
      })
      // Saved-requests: each is answered (a sync step 1 beyond a few would wait for its own
      // allowance, SPEC U6, which is not what this measures).
      for (let i = 0; i < 12; i++) raw.ws.send(encodeSavedRequest())
      calm.text.insert(0, 'still here')
      await vi.waitFor(() => expect(other.text.toString()).toBe('still here'))
      // Each saved-request is answered with a saved message, in time.
      const answers = () => raw.received.filter((m) => m[0] === MessageType.Saved).length
      await vi.waitFor(() => expect(answers()).toBe(12), { timeout: 20_000, interval: 50 })
      expect(closed).toBe(false)
      raw.ws.close()
    })

    it('T10: a message in too many fragments is refused with 1008', async () => {
      const s = await start()
      const { socket, closeCode } = await openTcpWebSocket('127.0.0.1', Number(s.url.port), '/doc')
      const frames = [encodeFrame(0x2, new Uint8Array([0]), false)]
      for (let i = 0; i < 100; i++) frames.push(encodeFrame(0x0, new Uint8Array([0]), false))
      socket.write(Buffer.concat(frames))
      expect(await closeCode).toBe(1008)
      socket.destroy()
    })

    it('T11: a never-finished fragmented message is dropped by the idle timeout', async () => {
      const s = await start({ IDLE_TIMEOUT_MS: '200', HEARTBEAT_INTERVAL_MS: '50' })
      const { socket, closeCode } = await openTcpWebSocket('127.0.0.1', Number(s.url.port), '/doc')
      socket.write(encodeFrame(0x2, new Uint8Array([0, 2]), false))
      expect(await closeCode).toBe(1008)
      socket.destroy()
    })

    it('T12: a client that never reads is dropped once its outgoing buffer is full', async () => {
      const s = await start({
        MAX_BUFFERED_BYTES: String(256 * 1024),
        MAX_BYTES_PER_SECOND: String(64 * 1024 * 1024),
      })
      const { socket, closeCode } = await openTcpWebSocket('127.0.0.1', Number(s.url.port), '/doc')
      socket.pause()
      const writer = connect(s, 'doc')
      const watcher = connect(s, 'doc')
      await Promise.all([synced(writer), synced(watcher)])
      const chunk = 'x'.repeat(60 * 1024)
      let sent = 0
      while (sent < 200) {
        writer.text.insert(writer.text.length, chunk)
        sent++
        if (
          socket.destroyed ||
          (await Promise.race([closeCode.then(() => true), Promise.resolve(false)]))
        )
          break
        await new Promise((resolve) => setImmediate(resolve))
      }
      socket.resume()
      expect(await closeCode).toBe(1006)
      await vi.waitFor(() => expect(watcher.text.length).toBe(writer.text.length))
    })

    it('T13: a huge awareness state closes with 1007 and leaves presence untouched', async () => {
      const s = await start()
      const watcher = connect(s, 'doc')
      await synced(watcher)
      const raw = await openRaw(`${wsUrl(s)}/doc`)
      const huge = JSON.stringify({ user: { name: 'x'.repeat(20_000) } })
      raw.ws.send(encodeAwareness(encodeAwarenessUpdate([{ clientId: 99, clock: 1, state: huge }])))
      expect((await raw.closed).code).toBe(1007)
      expect(watcher.provider.awareness.getStates().has(99)).toBe(false)
    })
  })

  describe('frames before the stored state is loaded', () => {
    /** A SQLite store whose `load` of `doc` waits until `release()`; the rest goes straight through. */
    const latched = (path: string) => {
      const sqlite = SqliteStore.open(path)
      let release = () => {}
      const latch = new Promise<void>((resolve) => {
        release = resolve
      })
      let loads = 0
      const store = new Proxy(sqlite, {
        get(target, key) {
          if (key === 'load') {
            return async (name: string) => {
              if (name === 'doc') {
                loads++
                await latch
              }
              return target.load(name)
            }
          }
          const value = Reflect.get(target, key, target)
          return typeof value === 'function' ? value.bind(target) : value
        },
      })
      return { sqlite, store, release, loads: () => loads }
    }
    /** `tandem_received_bytes_total` of the server's `/metrics`. */
    const receivedBytes = async (s: Tandem) => {
      const text = await (await fetch(new URL('/metrics', s.url))).text()
      return Number(/^tandem_received_bytes_total (\d+)$/m.exec(text)?.[1] ?? 0)
    }
    /** The stored text `hello`, and an update of another client that appends to it. */
    const stored = () => {
      const doc = new Y.Doc()
      doc.getText('codemirror').insert(0, 'hello')
      const base = Y.encodeStateAsUpdate(doc)
      const other = new Y.Doc()
      Y.applyUpdate(other, base)
      const append = (text: string) => {
        const sv = Y.encodeStateVector(other)
        other.getText('codemirror').insert(other.getText('codemirror').length, text)
        return Y.encodeStateAsUpdate(other, sv)
      }
      return { base, append }
    }

    it('T14: they wait, in order, until the state is loaded, and are applied on top of it; nothing is sent before it', async () => {
      dir = tempDir()
      const { sqlite, store, release, loads } = latched(dir.path)
      const { base, append } = stored()
      await sqlite.append('doc', base)
      try {
        server = await startServer(dir.path, {}, store)
        const raw = await openRaw(`${wsUrl(server)}/doc`)
        const frames = [append(' wor'), append('ld')].map((u) => encodeSyncUpdate(u))
        for (const frame of frames) raw.ws.send(frame)
        const bytes = frames.reduce((n, f) => n + f.length, 0)
        // The server has read both frames, and the document is still loading.
        await vi.waitFor(async () => expect(await receivedBytes(server!)).toBe(bytes))
        expect(loads()).toBe(1)
        expect(raw.received).toEqual([])
        release()
        const reader = connect(server, 'doc')
        await vi.waitFor(() => expect(reader.text.toString()).toBe('hello world'))
        raw.ws.close()
      } finally {
        release()
      }
    })

    it('T14: more than one maximum-size message of them closes the connection with 1008; none is stored', async () => {
      dir = tempDir()
      const { sqlite, store, release, loads } = latched(dir.path)
      const { base, append } = stored()
      await sqlite.append('doc', base)
      try {
        server = await startServer(dir.path, { MAX_MESSAGE_BYTES: '8192' }, store)
        const raw = await openRaw(`${wsUrl(server)}/doc`)
        const first = encodeSyncUpdate(append('a'.repeat(5000)))
        raw.ws.send(first)
        await vi.waitFor(async () => expect(await receivedBytes(server!)).toBe(first.length))
        let code: number | undefined
        void raw.closed.then((c) => {
          code = c.code
        })
        raw.ws.send(encodeSyncUpdate(append('b'.repeat(5000))))
        await vi.waitFor(() => expect(code).toBe(1008), { timeout: 5_000 })
        expect(loads()).toBe(1)
        release()
        const reader = connect(server, 'doc')
        await synced(reader)
        expect(reader.text.toString()).toBe('hello')
      } finally {
        release()
      }
    })
  })
})

describe('share links', () => {
  it('T16: an editor gets a view-only link; its token opens the document read-only', async () => {
    const dir = tempDir()
    const server = await startServer(dir.path, { AUTH_SECRET: SECRET, AUTH_MODE: 'token' })
    const edit = await signer.sign({ doc: 'shared', mode: 'edit' }, 60)
    const view = await signer.sign({ doc: 'shared', mode: 'view' }, 60)
    const links = (token: string) =>
      fetch(new URL('/api/docs/shared/links', server.url), {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}` },
      })
    try {
      expect((await links(view)).status).toBe(403)
      const res = await links(edit)
      expect(res.status).toBe(201)
      const { view: link } = (await res.json()) as { view: { token: string } }
      const writer = connectClient(wsUrl(server), 'shared', new Y.Doc(), { token: edit })
      const reader = connectClient(wsUrl(server), 'shared', new Y.Doc(), { token: link.token })
      await Promise.all([synced(writer), synced(reader)])
      writer.text.insert(0, 'read me')
      await vi.waitFor(() => expect(reader.text.toString()).toBe('read me'))
      reader.text.insert(0, 'no: ')
      const check = connectClient(wsUrl(server), 'shared', new Y.Doc(), { token: edit })
      writer.text.insert(7, '!')
      await vi.waitFor(() => expect(check.text.toString()).toBe('read me!'))
      for (const c of [writer, reader, check]) c.destroy()
    } finally {
      await server.close()
      dir.remove()
    }
  })
})

describe('behind a reverse proxy', () => {
  it('T17: with TRUSTED_PROXY_HOPS=1 per-address limits count the address the proxy forwards', async () => {
    const dir = tempDir()
    const server = await startServer(dir.path, {
      MAX_CONNECTIONS_PER_IP: '1',
      TRUSTED_PROXY_HOPS: '1',
    })
    const url = `${wsUrl(server)}/doc`
    const open: WebSocket[] = []
    const connectAs = (address: string, claimed?: string) =>
      new Promise<number>((resolve) => {
        // What nginx sends: the client's own header (if any), then the address it saw.
        const forwarded = claimed ? `${claimed}, ${address}` : address
        const ws = new WebSocket(url, { headers: { 'X-Forwarded-For': forwarded } })
        ws.once('open', () => {
          open.push(ws)
          resolve(101)
        })
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
        ws.once('error', () => {})
      })
    try {
      expect(await connectAs('203.0.113.1')).toBe(101)
      expect(await connectAs('203.0.113.2')).toBe(101)
      // A client cannot dodge its limit by claiming another address in its own header.
      expect(await connectAs('203.0.113.1', '198.51.100.7')).toBe(429)
    } finally {
      for (const ws of open) ws.terminate()
      await server.close()
      dir.remove()
    }
  })
})

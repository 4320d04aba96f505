import { encodeSyncStep1, encodeSyncUpdate } from '@tandem/protocol'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import type { Tandem } from '../src/app.js'
import {
  type AckingClient,
  type Client,
  connectAckingClient,
  connectClient,
  random,
  startServer,
  synced,
  tempDir,
  wsUrl,
} from './helpers.js'
import { spawnServer } from './process.js'
import { openRaw } from './raw.js'

describe('saved acknowledgements (Tandem extension)', () => {
  let dir: ReturnType<typeof tempDir>
  const clients: Client[] = []
  beforeEach(() => {
    dir = tempDir()
  })
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy()
    dir.remove()
  })

  describe('against one server', () => {
    let server: Tandem
    beforeEach(async () => {
      server = await startServer(dir.path)
    })
    afterEach(async () => {
      await server.close()
    })

    it('V1: a client that asks is told when all its update frames are stored', async () => {
      const client = connectAckingClient(wsUrl(server), 'doc')
      clients.push(client)
      await synced(client)
      for (let i = 0; i < 20; i++) client.text.insert(client.text.length, `${i} `)
      await vi.waitFor(() => expect(client.savedFrames()).toBe(client.sentFrames()))
      expect(client.sentFrames()).toBeGreaterThanOrEqual(20)
      const stored = await server.store.load('doc')
      const doc = new Y.Doc()
      for (const u of stored!.updates) Y.applyUpdate(doc, u)
      expect(doc.getText('codemirror').toString()).toBe(client.text.toString())
    })

    it('V2: a client that did not ask never receives a Tandem message', async () => {
      const raw = await openRaw(`${wsUrl(server)}/doc`)
      raw.ws.send(encodeSyncStep1(Y.encodeStateVector(new Y.Doc())))
      const doc = new Y.Doc()
      doc.getText('codemirror').insert(0, 'stock')
      raw.ws.send(encodeSyncUpdate(Y.encodeStateAsUpdate(doc)))
      const watcher = connectClient(wsUrl(server), 'doc')
      clients.push(watcher)
      await vi.waitFor(() => expect(watcher.text.toString()).toBe('stock'))
      expect(raw.received.length).toBeGreaterThan(0)
      expect(raw.received.map((frame) => frame[0]).filter((type) => type! >= 4)).toEqual([])
      raw.ws.close()
    })
  })

  it('D4: what any client saw acknowledged survives kill -9; clients converge without duplicates', async () => {
    const next = random(7)
    const rounds = 50
    let server = await spawnServer({ DATA_DIR: dir.path })
    const port = new URL(server.httpUrl).port
    for (let round = 0; round < rounds; round++) {
      // Three writers insert unique tokens `<w.i>` at token boundaries, as fast as they can.
      const writers: AckingClient[] = []
      const acked = new Map<string, number>()
      for (let w = 0; w < 3; w++) {
        const client = connectAckingClient(server.wsUrl, 'doc')
        clients.push(client)
        writers.push(client)
      }
      await Promise.all(writers.map(synced))
      const typedAtFrame = writers.map(() => [] as number[])
      writers.forEach((client, w) => {
        let typed = 0
        client.onSend = (frame) => {
          typedAtFrame[w]![frame] = typed
        }
        client.onSaved = (frame) => acked.set(`${w}`, typedAtFrame[w]![frame] ?? 0)
        const type = () => {
          const text = client.text.toString()
          const boundaries = [0, ...[...text.matchAll(/>/g)].map((m) => m.index! + 1)]
          const at = boundaries[Math.floor(next() * boundaries.length)]!
          client.text.insert(at, `<${round}.${w}.${typed++}>`)
        }
        ;(client as AckingClient & { timer?: NodeJS.Timeout }).timer = setInterval(type, 1)
      })
      const target = 3 + Math.floor(next() * 40)
      await vi.waitFor(
        () =>
          expect(writers.reduce((n, c) => n + c.savedFrames(), 0)).toBeGreaterThanOrEqual(target),
        { timeout: 10_000, interval: 1 },
      )
      server.child.kill('SIGKILL')
      for (const c of writers) {
        clearInterval((c as AckingClient & { timer?: NodeJS.Timeout }).timer)
        // Keep them offline until the fresh client has checked what the server kept.
        c.provider.disconnect()
      }
      await server.exited

      server = await spawnServer({ DATA_DIR: dir.path, PORT: port })
      const fresh = connectClient(server.wsUrl, 'doc')
      clients.push(fresh)
      await synced(fresh)
      const kept = fresh.text.toString()
      for (const [w, typed] of acked) {
        for (let i = 0; i < typed; i++) {
          expect(kept, `round ${round}: acknowledged <${round}.${w}.${i}> lost`).toContain(
            `<${round}.${w}.${i}>`,
          )
        }
      }
      // Back online, every writer offers what the server lacks; all converge, each token once.
      for (const c of writers) c.provider.connect()
      const expected = writers.flatMap((c) => c.text.toString().match(/<[^>]*>/g) ?? [])
      await vi.waitFor(
        () => {
          for (const c of [...writers, fresh]) expect(c.text.toString()).toBe(fresh.text.toString())
        },
        { timeout: 10_000 },
      )
      const tokens = fresh.text.toString().match(/<[^>]*>/g) ?? []
      expect(new Set(tokens).size, `round ${round}: duplicated text`).toBe(tokens.length)
      for (const token of new Set(expected)) expect(tokens).toContain(token)
      for (const c of clients.splice(0)) c.destroy()
    }
    server.child.kill('SIGKILL')
    await server.exited
  }, 180_000)
})

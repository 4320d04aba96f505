import { encodeSyncUpdate } from '@tandem/protocol'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import type { Tandem } from '../src/app.js'
import { type Client, connectClient, startServer, synced, tempDir, wsUrl } from './helpers.js'
import { openRaw, upgradeStatus } from './raw.js'

describe('bad input gets a clear answer and changes nothing', () => {
  let dir: ReturnType<typeof tempDir>
  let server: Tandem
  const clients: Client[] = []

  beforeEach(async () => {
    dir = tempDir()
    server = await startServer(dir.path, { MAX_MESSAGE_BYTES: String(64 * 1024) })
  })
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy()
    await server.close()
    dir.remove()
  })

  /** A second room with a working client, to prove the rest of the server carries on. */
  async function bystander(): Promise<Client> {
    const c = connectClient(wsUrl(server), 'bystander')
    clients.push(c)
    await synced(c)
    return c
  }

  async function stillServing(c: Client): Promise<void> {
    const other = connectClient(wsUrl(server), 'bystander')
    clients.push(other)
    const marker = `alive ${Math.random()}`
    c.text.insert(c.text.length, marker)
    await vi.waitFor(() => expect(other.text.toString()).toContain(marker))
    expect((await fetch(new URL('/healthz', server.url))).status).toBe(200)
  }

  // The path `/` is the Hocuspocus endpoint (SPEC Y1); URL parsing turns every spelling of a
  // dot-dot segment into `/` or another path, so `..` cannot reach an upgrade as a name.
  it.each([
    ['a%00b', 'a control character'],
    ['a//b', 'an empty segment'],
    ['%E0%A4%A', 'bad percent-encoding'],
    ['x'.repeat(129), 'a name over 128 characters'],
    ['a/', 'an empty last segment'],
  ])('E1: an upgrade for %j (%s) gets HTTP 400 and creates nothing', async (name) => {
    expect(await upgradeStatus(`${wsUrl(server)}/${name}`)).toBe(400)
    expect(await server.store.list()).toEqual([])
    expect(server.rooms.size).toBe(0)
  })

  it.each([
    ['an unknown message type', new Uint8Array([9, 0])],
    ['an unknown sync step', new Uint8Array([0, 7, 0])],
    ['a truncated varint', new Uint8Array([0, 0x80])],
    ['a payload shorter than its length', new Uint8Array([0, 2, 10, 1, 2])],
    [
      'garbage after a valid message',
      new Uint8Array([...encodeSyncUpdate(new Uint8Array([0, 0])), 1]),
    ],
    ['an update that does not decode', encodeSyncUpdate(new Uint8Array([1, 1, 1, 1, 99, 1, 1]))],
    ['an empty message', new Uint8Array([])],
  ])('E2: %s closes that connection with 1007; the document is unchanged', async (_, frame) => {
    const c = await bystander()
    const writer = connectClient(wsUrl(server), 'target')
    clients.push(writer)
    await synced(writer)
    writer.text.insert(0, 'keep me')
    await vi.waitFor(async () => expect((await server.store.list()).length).toBe(1))
    const stored = await server.store.load('target')

    const raw = await openRaw(`${wsUrl(server)}/target`)
    raw.ws.send(frame)
    expect((await raw.closed).code).toBe(1007)

    expect(await server.store.load('target')).toEqual(stored)
    const reader = connectClient(wsUrl(server), 'target')
    clients.push(reader)
    await vi.waitFor(() => expect(reader.text.toString()).toBe('keep me'))
    await stillServing(c)
  })

  it('E3: a text frame closes the connection with 1003', async () => {
    const c = await bystander()
    const raw = await openRaw(`${wsUrl(server)}/target`)
    raw.ws.send('hello')
    expect((await raw.closed).code).toBe(1003)
    await stillServing(c)
  })

  it('E4: a message over MAX_MESSAGE_BYTES closes the connection with 1009', async () => {
    const c = await bystander()
    const raw = await openRaw(`${wsUrl(server)}/target`)
    const doc = new Y.Doc()
    doc.getText('codemirror').insert(0, 'x'.repeat(70 * 1024))
    raw.ws.send(encodeSyncUpdate(Y.encodeStateAsUpdate(doc)))
    expect((await raw.closed).code).toBe(1009)
    expect(await server.store.load('target')).toBeNull()
    await stillServing(c)
  })
})

describe('odd request targets', () => {
  it('E5: a path starting with // is a path, not a host; junk targets get 400', async () => {
    const dir = tempDir()
    const server = await startServer(dir.path)
    const { request } = await import('node:http')
    const statusOf = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: server.url.hostname, port: server.url.port, path })
        req.on('response', (r) => {
          r.resume()
          resolve(r.statusCode ?? 0)
        })
        req.on('error', reject)
        req.end()
      })
    try {
      expect(await statusOf('//healthz')).toBe(404)
      expect(await statusOf('http://evil:x/')).toBe(400)
      expect(await upgradeStatus(`${wsUrl(server)}//name`)).toBe(400)
      expect(await statusOf('/healthz')).toBe(200)
    } finally {
      await server.close()
      dir.remove()
    }
  })
})

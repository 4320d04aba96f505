import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Tandem } from '../src/app.js'
import { type Client, connectClient, startServer, synced, tempDir, wsUrl } from './helpers.js'

describe('stock y-websocket clients against the server', () => {
  let dir: ReturnType<typeof tempDir>
  let server: Tandem
  const clients: Client[] = []
  const connect = (name: string) => {
    const client = connectClient(wsUrl(server), name)
    clients.push(client)
    return client
  }

  beforeEach(async () => {
    dir = tempDir()
    server = await startServer(dir.path)
  })
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy()
    await server.close()
    dir.remove()
  })

  it('S1: relays edits between two clients of one document', async () => {
    const a = connect('notes')
    const b = connect('notes')
    await Promise.all([synced(a), synced(b)])
    a.text.insert(0, 'hello')
    await vi.waitFor(() => expect(b.text.toString()).toBe('hello'))
    b.text.insert(5, ' world')
    await vi.waitFor(() => expect(a.text.toString()).toBe('hello world'))
  })

  it('S2: a late joiner receives the whole document', async () => {
    const a = connect('late')
    await synced(a)
    a.text.insert(0, 'written before you came')
    const b = connect('late')
    await synced(b)
    await vi.waitFor(() => expect(b.text.toString()).toBe('written before you came'))
  })

  it('S3: documents are isolated from each other', async () => {
    const a = connect('one')
    const b = connect('two')
    await Promise.all([synced(a), synced(b)])
    a.text.insert(0, 'only in one')
    const a2 = connect('one')
    await synced(a2)
    await vi.waitFor(() => expect(a2.text.toString()).toBe('only in one'))
    expect(b.text.toString()).toBe('')
  })
})

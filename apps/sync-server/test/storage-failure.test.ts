import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import type { Tandem } from '../src/app.js'
import { SqliteStore } from '../src/persistence/sqlite.js'
import { type Client, connectClient, startServer, synced, tempDir, wsUrl } from './helpers.js'

describe('storage failure', () => {
  let dir: ReturnType<typeof tempDir>
  let store: SqliteStore
  let server: Tandem
  const clients: Client[] = []
  const connect = (name: string) => {
    const c = connectClient(wsUrl(server), name)
    clients.push(c)
    return c
  }

  beforeEach(async () => {
    dir = tempDir()
    store = SqliteStore.open(dir.path, { retryInitialMs: 5, retryMaxMs: 20 })
    server = await startServer(dir.path, {}, store)
  })
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy()
    await server.close()
    dir.remove()
  })

  it('D3: a full disk delays edits without losing them; /readyz says why until it recovers', async () => {
    const [a, b] = [connect('doc'), connect('doc')]
    await Promise.all([synced(a), synced(b)])
    a.text.insert(0, 'before. ')
    await vi.waitFor(() => expect(b.text.toString()).toBe('before. '))

    // SQLite's own "database or disk is full": no page may be added beyond those in use.
    const pages = store.database.pragma('page_count', { simple: true }) as number
    store.database.pragma(`max_page_count = ${pages}`)
    const big = 'x'.repeat(64 * 1024)
    a.text.insert(a.text.length, big)
    const ready = () => fetch(new URL('/readyz', server.url))
    await vi.waitFor(async () => expect((await ready()).status).toBe(503))
    expect(((await (await ready()).json()) as { reason: string }).reason).toMatch(/full/)
    // Not committed, so not relayed: nobody has seen what could still be lost.
    expect(b.text.toString()).toBe('before. ')
    expect(server.rooms.size).toBe(1)

    store.database.pragma('max_page_count = 1073741823')
    await vi.waitFor(() => expect(b.text.toString()).toBe(`before. ${big}`))
    expect((await ready()).status).toBe(200)
    await server.close()
    const reopened = SqliteStore.open(dir.path)
    const stored = await reopened.load('doc')
    await reopened.close()
    const doc = new Y.Doc()
    for (const u of [stored?.snapshot, ...(stored?.updates ?? [])]) if (u) Y.applyUpdate(doc, u)
    expect(doc.getText('codemirror').toString()).toBe(`before. ${big}`)
  })
})

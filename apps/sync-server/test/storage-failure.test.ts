import { join } from 'node:path'
import Database from 'better-sqlite3'
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

describe('storage failure, other causes', () => {
  it('D3: a read-only database delays edits; they are written once it is writable again', async () => {
    const dir = tempDir()
    const store = SqliteStore.open(dir.path, { retryInitialMs: 5, retryMaxMs: 20 })
    const server = await startServer(dir.path, {}, store)
    const a = connectClient(wsUrl(server), 'doc')
    const b = connectClient(wsUrl(server), 'doc')
    try {
      await Promise.all([synced(a), synced(b)])
      // SQLite's own read-only state (SQLITE_READONLY), as for a file remounted read-only.
      store.database.pragma('query_only = ON')
      a.text.insert(0, 'waiting for the disk')
      const ready = () => fetch(new URL('/readyz', server.url))
      await vi.waitFor(async () => expect((await ready()).status).toBe(503))
      expect(((await (await ready()).json()) as { reason: string }).reason).toMatch(/readonly/i)
      expect(b.text.toString()).toBe('')
      store.database.pragma('query_only = OFF')
      await vi.waitFor(() => expect(b.text.toString()).toBe('waiting for the disk'))
      expect((await ready()).status).toBe(200)
    } finally {
      a.destroy()
      b.destroy()
      await server.close()
      dir.remove()
    }
  })

  it('D3: a database locked by another process delays edits until the lock is released', async () => {
    const dir = tempDir()
    const store = SqliteStore.open(dir.path, {
      retryInitialMs: 5,
      retryMaxMs: 20,
      busyTimeoutMs: 10,
    })
    const server = await startServer(dir.path, {}, store)
    const a = connectClient(wsUrl(server), 'doc')
    const b = connectClient(wsUrl(server), 'doc')
    // Another process (a backup tool, a second server by mistake) holds the write lock.
    const other = new Database(join(dir.path, 'tandem.db'))
    try {
      await Promise.all([synced(a), synced(b)])
      other.exec('BEGIN IMMEDIATE')
      a.text.insert(0, 'after the lock')
      const ready = () => fetch(new URL('/readyz', server.url))
      await vi.waitFor(async () => expect((await ready()).status).toBe(503))
      expect(((await (await ready()).json()) as { reason: string }).reason).toMatch(/locked|busy/i)
      expect(b.text.toString()).toBe('')
      other.exec('COMMIT')
      await vi.waitFor(() => expect(b.text.toString()).toBe('after the lock'))
    } finally {
      other.close()
      a.destroy()
      b.destroy()
      await server.close()
      dir.remove()
    }
  })
})

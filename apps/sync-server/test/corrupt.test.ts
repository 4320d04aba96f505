import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Tandem } from '../src/app.js'
import { type Client, connectClient, startServer, synced, tempDir, wsUrl } from './helpers.js'
import { openRaw } from './raw.js'

describe('a stored document that does not decode', () => {
  let dir: ReturnType<typeof tempDir>
  let server: Tandem
  const clients: Client[] = []
  beforeEach(() => {
    dir = tempDir()
  })
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy()
    await server?.close()
    dir.remove()
  })

  it('Q1: is refused with 4422 and left untouched; other documents carry on', async () => {
    server = await startServer(dir.path)
    const writer = connectClient(wsUrl(server), 'healthy')
    clients.push(writer)
    await synced(writer)
    writer.text.insert(0, 'fine')
    await vi.waitFor(async () => expect((await server.store.list()).length).toBe(1))
    await server.close()

    const garbage = Buffer.from([3, 250, 7, 1, 9, 9, 9, 200, 1])
    const db = new Database(join(dir.path, 'tandem.db'))
    db.prepare(
      'INSERT INTO documents (name, created_at_ms, updated_at_ms, last_seq) VALUES (?, 1, 1, 1)',
    ).run('broken')
    db.prepare('INSERT INTO updates (doc, doc_seq, data) VALUES (?, 1, ?)').run('broken', garbage)
    db.close()

    server = await startServer(dir.path)
    const raw = await openRaw(`${wsUrl(server)}/broken`)
    expect((await raw.closed).code).toBe(4422)
    const stored = await server.store.load('broken')
    expect(stored?.updates.map((u) => Buffer.from(u))).toEqual([garbage])

    const reader = connectClient(wsUrl(server), 'healthy')
    clients.push(reader)
    await vi.waitFor(() => expect(reader.text.toString()).toBe('fine'))
  })
})

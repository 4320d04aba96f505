import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Tandem } from '../src/app.js'
import { SqliteStore } from '../src/persistence/sqlite.js'
import { type Client, connectClient, startServer, tempDir, wsUrl } from './helpers.js'
import { poisonousPair, textEdit } from './poison.js'

const ADMIN_KEY = 'poisoned-test-admin-key'

interface SetAsideJson {
  name: string
  quarantined: boolean
  quarantineReason: string | null
  setAside: { seq: number; kind: string; bytes: number; reason: string; data: string }[]
}

describe('a document poisoned before this server (issue 13, item 1)', () => {
  let dir: ReturnType<typeof tempDir>
  let server: Tandem | undefined
  const clients: Client[] = []
  beforeEach(() => {
    dir = tempDir()
  })
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy()
    await server?.close()
    server = undefined
    dir.remove()
  })

  const start = async () => {
    server = await startServer(dir.path, { ADMIN_KEY })
    return server
  }
  const call = (path: string, init: RequestInit = {}) => fetch(new URL(path, server!.url), init)
  const setAside = async (name: string) => {
    const response = await call(`/api/docs/${encodeURIComponent(name)}/set-aside`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    })
    expect(response.status).toBe(200)
    return (await response.json()) as SetAsideJson
  }
  /** A fresh stock y-websocket client of `name`, once it has synced. */
  const freshClient = async (name: string) => {
    const client = connectClient(wsUrl(server!), name)
    clients.push(client)
    // A joiner the server cannot serve is closed and reconnects forever: fail within a deadline.
    await vi.waitFor(() => expect(client.provider.synced).toBe(true), { timeout: 10_000 })
    return client
  }

  it('Q2, Q3, R12: opens again with all of its good text; the deleting update is set aside, listed and kept, across a restart', async () => {
    const [chain, deletion] = poisonousPair()
    const hello = textEdit(null, 'hello', 1)
    const world = textEdit(hello, ' world', 2, 5)
    // As the old server stored them: each update as it arrived, in the SQLite file.
    const old = SqliteStore.open(dir.path)
    for (const update of [hello, chain, deletion, world]) await old.append('doc', update)
    await old.close()

    await start()
    const first = await freshClient('doc')
    expect(first.text.toString()).toBe('hello world')
    // The nested chain itself is kept: only its deletion is set aside.
    expect(first.doc.getArray('nest').length).toBe(1)
    expect((await call('/healthz')).status).toBe(200)

    // Admin only.
    expect((await call('/api/docs/doc/set-aside')).status).toBe(401)
    const listed = await setAside('doc')
    expect(listed).toMatchObject({ name: 'doc', quarantined: false, quarantineReason: null })
    expect(listed.setAside).toEqual([
      {
        seq: 3,
        kind: 'update',
        bytes: deletion.length,
        reason: expect.stringMatching(/RangeError: Maximum call stack size exceeded/),
        setAsideAt: expect.any(String),
        data: Buffer.from(deletion).toString('base64'),
      },
    ])
    const metrics = await (await call('/metrics')).text()
    expect(metrics).toMatch(/^tandem_updates_set_aside_total 1$/m)

    // Editing goes on; compaction folds the log without the deleting update, which stays kept.
    first.text.insert(11, '!')
    const second = await freshClient('doc')
    await vi.waitFor(() => expect(second.text.toString()).toBe('hello world!'))
    const compacted = await call('/api/compact', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    })
    expect(compacted.status).toBe(200)
    for (const c of clients.splice(0)) c.destroy()
    await server!.close()

    await start()
    const later = await freshClient('doc')
    expect(later.text.toString()).toBe('hello world!')
    expect((await call('/healthz')).status).toBe(200)
    const after = await setAside('doc')
    expect(after.quarantined).toBe(false)
    expect(after.setAside.map((e) => [e.seq, e.data])).toEqual([
      [3, Buffer.from(deletion).toString('base64')],
    ])
    const stored = await server!.store.load('doc')
    expect(stored?.snapshot).not.toBeNull()
    expect(stored?.updates).toEqual([])
  })

  it('Q1, R12: a document that does not decode is listed as quarantined, not set aside', async () => {
    const old = SqliteStore.open(dir.path)
    await old.append('broken', textEdit(null, 'fine', 1))
    await old.append('broken', new Uint8Array([3, 250, 7, 1, 9, 9, 9, 200, 1]))
    await old.close()
    await start()
    const listed = await setAside('broken')
    expect(listed.quarantined).toBe(true)
    expect(listed.quarantineReason).toMatch(/does not decode/)
    expect(listed.setAside).toEqual([])
    const unknown = await call('/api/docs/nothing-here/set-aside', {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    })
    expect(unknown.status).toBe(404)
  })
})

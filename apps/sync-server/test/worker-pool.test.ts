import { TEXT_NAME } from '@tandem/protocol'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { startTandem, type Tandem } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createLogger } from '../src/log.js'
import { SqliteStore } from '../src/persistence/sqlite.js'
import type { DocStore } from '../src/persistence/store.js'
import { textOf } from '../src/rooms/text.js'
import { WorkerFolder } from '../src/workers/folder.js'
import type { Folder, FoldRequest, FoldResult } from '../src/workers/jobs.js'
import { type AckingClient, connectAckingClient, synced, tempDir, wsUrl } from './helpers.js'

// The worker pool with a real server and SQLite on disk (issue 17): what shutdown owes the
// store while a compaction is in the pool, a worker that dies in the middle of a compaction,
// and the HTTP API's document-sized work going to the pool.

const log = createLogger('silent')

/** A compaction's request: the log to fold, and nothing else asked. */
const isCompaction = (r: FoldRequest) =>
  r.updates.length > 0 &&
  r.textName === undefined &&
  r.textLengthOf === undefined &&
  r.diffAgainst === undefined &&
  r.compareWith === undefined &&
  r.replaceText === undefined &&
  r.structure === undefined &&
  !r.validate

/**
 * A real worker pool that records every request and how it ended, and can hold the first
 * request `holds` picks until {@link release}.
 */
class SpyFolder implements Folder {
  readonly requests: FoldRequest[] = []
  readonly outcomes: ('done' | 'failed')[] = []
  /** The outcomes of compactions alone (see {@link isCompaction}). */
  readonly compactions: ('done' | 'failed')[] = []
  holds: ((request: FoldRequest) => boolean) | null = null
  held = 0
  release!: () => void
  readonly #gate = new Promise<void>((resolve) => {
    this.release = resolve
  })
  constructor(readonly pool: WorkerFolder) {}
  fold(request: FoldRequest): Promise<FoldResult> {
    this.requests.push(request)
    const hold = this.holds?.(request) ?? false
    if (hold) {
      this.holds = null
      this.held++
    }
    const record = (outcome: 'done' | 'failed') => {
      this.outcomes.push(outcome)
      if (isCompaction(request)) this.compactions.push(outcome)
    }
    return (hold ? this.#gate : Promise.resolve()).then(() =>
      this.pool.fold(request).then(
        (result) => {
          record('done')
          return result
        },
        (err: unknown) => {
          record('failed')
          throw err
        },
      ),
    )
  }
  close(): Promise<void> {
    return this.pool.close()
  }
}

/** `store`, recording its compactions (through which sequence number) and its close. */
function recorded(store: SqliteStore, events: string[], failCompaction = () => false): DocStore {
  return new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key, target)
      if (key === 'compact') {
        return async (...args: Parameters<DocStore['compact']>) => {
          if (failCompaction()) {
            events.push(`compact through ${args[2]} failed`)
            throw new Error('storage unavailable')
          }
          const done = await store.compact(...args)
          events.push(`compact through ${args[2]}`)
          return done
        }
      }
      if (key === 'close') {
        return (timeoutMs?: number) => {
          events.push('close')
          return store.close(timeoutMs)
        }
      }
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** A server on port 0 whose rooms compact and take versions only when asked. */
function start(dataDir: string, store: DocStore, folder: SpyFolder): Promise<Tandem> {
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    WEB_DIR: '',
    COMPACT_AFTER_UPDATES: '100000',
    COMPACT_QUIET_MS: '3600000',
    VERSION_QUIET_MS: '3600000',
    VERSION_MAX_INTERVAL_MS: '3600000',
  })
  return startTandem(config, log, store, { folder })
}

/** 100 KB of text in 20 edits: past the size below which rooms fold on the event loop. */
function typeLarge(client: AckingClient): void {
  for (let i = 0; i < 20; i++) {
    client.text.insert(
      client.text.length,
      `${String(i).padStart(4, '0')}${'abcdefghij'.repeat(500)}\n`,
    )
  }
}

async function allSaved(client: AckingClient): Promise<void> {
  await vi.waitFor(() => {
    expect(client.sentFrames()).toBeGreaterThan(0)
    expect(client.savedFrames()).toBe(client.sentFrames())
  })
}

/** What the store holds of `name`, read afresh from disk. */
async function reread(dataDir: string, name: string) {
  const store = SqliteStore.open(dataDir)
  try {
    const stored = await store.load(name)
    if (!stored) return null
    const parts = [...(stored.snapshot ? [stored.snapshot] : []), ...stored.updates]
    return {
      stored,
      text: textOf(parts.length > 0 ? Y.mergeUpdates(parts) : new Uint8Array([0, 0])),
    }
  } finally {
    await store.close()
  }
}

describe('the worker pool in a running server', () => {
  let dir: ReturnType<typeof tempDir>
  const clients: AckingClient[] = []
  const servers: Tandem[] = []
  beforeEach(() => {
    dir = tempDir()
  })
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy()
    for (const s of servers.splice(0)) await s.close()
    dir.remove()
  })

  const connect = async (tandem: Tandem, name: string) => {
    const client = connectAckingClient(wsUrl(tandem), name)
    clients.push(client)
    await synced(client)
    return client
  }

  /**
   * A server with a large document `big`, a compaction of it held in the pool, and an edit
   * stored after that compaction began; then `close()` called and, once the room has closed
   * its peers, the compaction let go.
   */
  async function closeDuringCompaction(failCompaction: () => boolean) {
    const events: string[] = []
    const folder = new SpyFolder(new WorkerFolder(log, 1))
    const store = recorded(SqliteStore.open(dir.path), events, failCompaction)
    const tandem = await start(dir.path, store, folder)
    const client = await connect(tandem, 'big')
    typeLarge(client)
    await allSaved(client)
    const room = (await tandem.rooms.get('big'))!
    const foldedThrough = room.lastSeq
    folder.holds = isCompaction
    void room.compact()
    await vi.waitFor(() => expect(folder.held).toBe(1))
    client.text.insert(0, 'typed while the worker folds\n')
    await allSaved(client)
    const expected = client.text.toString()
    const lastSeq = room.lastSeq
    expect(lastSeq).toBeGreaterThan(foldedThrough)
    const closing = tandem.close()
    // The room has stored what it received and closed its peers (1001): it is now waiting
    // for its compaction.
    await vi.waitFor(() => expect(client.provider.wsconnected).toBe(false))
    folder.release()
    await closing
    return { events, expected, foldedThrough, lastSeq, folder }
  }

  it('D1, C1: a compaction in the pool when the server closes is written before the store closes, and what came after it is compacted too', async () => {
    const { events, expected, foldedThrough, lastSeq, folder } = await closeDuringCompaction(
      () => false,
    )
    expect(events).toEqual([
      `compact through ${foldedThrough}`,
      `compact through ${lastSeq}`,
      'close',
    ])
    expect(folder.outcomes).not.toContain('failed')
    const after = await reread(dir.path, 'big')
    expect(after?.stored.updates).toEqual([])
    expect(after?.stored.lastSeq).toBe(lastSeq)
    expect(after?.text).toBe(expected)
  })

  it('D1, C1: a compaction that cannot be written while the server closes is abandoned, and the log keeps every update', async () => {
    const { events, expected, lastSeq } = await closeDuringCompaction(() => true)
    const compactions = events.filter((e) => e.startsWith('compact'))
    expect(compactions.length).toBeGreaterThan(0)
    expect(compactions.every((e) => e.endsWith('failed'))).toBe(true)
    expect(events.at(-1)).toBe('close')
    const after = await reread(dir.path, 'big')
    expect(after?.stored.snapshot).toBeNull()
    expect(after?.stored.updates).toHaveLength(lastSeq)
    expect(after?.text).toBe(expected)
  })

  it('a worker that dies in the middle of a compaction leaves the store whole, and the next compaction runs in its replacement', async () => {
    // 150,000 one-character items that cannot merge (each typed before the last): a document
    // model far over the 16 MB of heap the workers get here; the compaction folds it itself.
    const doc = new Y.Doc()
    doc.clientID = 1
    doc.transact(() => {
      for (let i = 0; i < 150_000; i++) doc.getText(TEXT_NAME).insert(0, 'a')
    })
    const seeded = SqliteStore.open(dir.path)
    await seeded.append('huge', Y.encodeStateAsUpdate(doc))
    const before = Y.encodeStateVector(doc)
    doc.getText(TEXT_NAME).insert(0, 'last ')
    await seeded.append('huge', Y.encodeStateAsUpdate(doc, before))
    const hugeText = doc.getText(TEXT_NAME).toString()
    doc.destroy()
    await seeded.close()

    const events: string[] = []
    const folder = new SpyFolder(new WorkerFolder(log, 1, { maxHeapMb: 16 }))
    const tandem = await start(dir.path, recorded(SqliteStore.open(dir.path), events), folder)
    servers.push(tandem)
    await tandem.rooms.use('huge', (room) => room.compact())
    expect(folder.requests.filter(isCompaction)).toHaveLength(1)
    // (Reading the structure at load dies in this worker too; the event loop reads it then.)
    expect(folder.compactions).toEqual(['failed'])
    expect(events).toEqual(['compact through 2'])

    const client = await connect(tandem, 'next')
    typeLarge(client)
    await allSaved(client)
    await tandem.rooms.use('next', (room) => room.compact())
    expect(folder.compactions).toEqual(['failed', 'done'])
    expect(events.at(-1)).toMatch(/^compact through \d+$/)
    const expected = client.text.toString()

    await tandem.close()
    servers.splice(0)
    const huge = await reread(dir.path, 'huge')
    expect(huge?.stored.updates).toEqual([])
    expect(huge?.text).toBe(hugeText)
    expect((await reread(dir.path, 'next'))?.text).toBe(expected)
  })

  it('import, a version’s text and restore of a large document are done in the pool', async () => {
    const folder = new SpyFolder(new WorkerFolder(log, 1))
    const tandem = await start(dir.path, SqliteStore.open(dir.path), folder)
    servers.push(tandem)
    const client = await connect(tandem, 'api')
    typeLarge(client)
    await allSaved(client)
    const original = client.text.toString()
    const url = (path: string) => new URL(`/api/docs/api${path}`, tandem.url)

    const imported = `${original.slice(0, 50_000)}IMPORTED${original.slice(60_000)}`
    const put = await fetch(url('/text'), {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: imported,
    })
    expect(put.status).toBe(200)
    const { version } = (await put.json()) as { version: { id: number } }
    await vi.waitFor(() => expect(client.text.toString()).toBe(imported))
    expect(folder.requests.some((r) => r.replaceText?.target === imported)).toBe(true)

    const preview = await fetch(url(`/versions/${version.id}`))
    expect(((await preview.json()) as { text: string }).text).toBe(original)
    const read = folder.requests.filter((r) => r.textName === TEXT_NAME && r.updates.length === 0)
    expect(read.length).toBeGreaterThan(0)

    const restore = await fetch(url(`/versions/${version.id}/restore`), { method: 'POST' })
    expect(restore.status).toBe(200)
    await vi.waitFor(() => expect(client.text.toString()).toBe(original))
    expect(folder.requests.some((r) => r.replaceText?.target === original)).toBe(true)
    expect(folder.outcomes).not.toContain('failed')
    expect(await (await fetch(url('/text'))).text()).toBe(original)
  })
})

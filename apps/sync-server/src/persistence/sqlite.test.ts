import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SqliteStore } from './sqlite.js'
import { describeStoreContract } from './store.contract.js'

let dir = ''
describeStoreContract(
  'SQLite on disk',
  async () => {
    dir = mkdtempSync(join(tmpdir(), 'tandem-sqlite-'))
    return SqliteStore.open(dir)
  },
  async () => SqliteStore.open(dir),
  async () => rmSync(dir, { recursive: true, force: true }),
)

/** The tables a schema-version-1 server created, as it created them. */
const schemaVersion1 = `
CREATE TABLE documents (
  name          TEXT PRIMARY KEY,
  snapshot      BLOB,
  snapshot_seq  INTEGER NOT NULL DEFAULT 0,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE updates (
  seq  INTEGER PRIMARY KEY AUTOINCREMENT,
  doc  TEXT NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX updates_by_doc ON updates (doc, seq);
PRAGMA user_version = 1;
`

describe('SqliteStore schema', () => {
  let dataDir: string
  let file: string
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tandem-sqlite-'))
    file = join(dataDir, 'tandem.db')
  })
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }))

  it('migrates a version 1 database to version 8, keeping its documents', async () => {
    const old = new Database(file)
    old.exec(schemaVersion1)
    old
      .prepare('INSERT INTO documents (name, created_at_ms, updated_at_ms) VALUES (?, 1, 1)')
      .run('doc')
    old.prepare('INSERT INTO updates (doc, data) VALUES (?, ?)').run('doc', Buffer.from([0, 0]))
    old.close()

    const store = SqliteStore.open(dataDir)
    try {
      expect(store.database.pragma('user_version', { simple: true })).toBe(8)
      expect((await store.load('doc'))?.updates.map((u) => [...u])).toEqual([[0, 0]])
      expect(await store.append('doc', new Uint8Array([0, 0]))).toBe(2)
      const version = await store.saveVersion('doc', {
        createdAtMs: 5,
        label: null,
        kind: 'auto',
        authors: [],
        textLength: 0,
        bytes: new Uint8Array([0, 0]),
      })
      expect(await store.listVersions('doc')).toEqual([version])
      // Version 4: the trash.
      expect(await store.trash('doc', 9)).toBe(true)
      expect(await store.restore('doc')).toBe('moved')
      expect((await store.load('doc'))?.lastSeq).toBe(2)
    } finally {
      await store.close()
    }
  })

  it('migrates a version 2 database to version 8, numbering each document’s updates from 1', async () => {
    const old = new Database(file)
    old.exec(schemaVersion1)
    old.exec(`CREATE TABLE versions (
      id INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT NOT NULL, created_at_ms INTEGER NOT NULL,
      kind TEXT NOT NULL, label TEXT, authors TEXT NOT NULL, text_length INTEGER NOT NULL,
      data BLOB NOT NULL);
      PRAGMA user_version = 2;`)
    const doc = old.prepare(
      'INSERT INTO documents (name, snapshot, snapshot_seq, created_at_ms, updated_at_ms) VALUES (?, ?, ?, 1, 1)',
    )
    doc.run('compacted', Buffer.from('snap'), 5)
    doc.run('plain', null, 0)
    const update = old.prepare('INSERT INTO updates (seq, doc, data) VALUES (?, ?, ?)')
    // Global numbers, interleaved; 3 is older than the snapshot (covered by it).
    for (const [seq, name, data] of [
      [2, 'plain', 'p1'],
      [3, 'compacted', 'old'],
      [7, 'compacted', 'c1'],
      [8, 'plain', 'p2'],
      [9, 'compacted', 'c2'],
    ] as const) {
      update.run(seq, name, Buffer.from(data))
    }
    old.close()

    const store = SqliteStore.open(dataDir)
    try {
      const text = (list: Uint8Array[]) => list.map((u) => Buffer.from(u).toString())
      const compacted = (await store.load('compacted'))!
      expect(Buffer.from(compacted.snapshot!).toString()).toBe('snap')
      expect(text(compacted.updates)).toEqual(['c1', 'c2'])
      expect(compacted.lastSeq).toBe(4)
      expect(text((await store.loadSince('compacted', 3))!.updates)).toEqual(['c2'])
      const plain = (await store.load('plain'))!
      expect(text(plain.updates)).toEqual(['p1', 'p2'])
      expect(plain.lastSeq).toBe(2)
      expect(await store.append('compacted', Buffer.from('c3'))).toBe(5)
      expect(await store.append('plain', Buffer.from('p3'))).toBe(3)
      // Version 5: the snapshot moved to its own table, counted in the stored size (with the
      // rows it covers, which the next compaction deletes).
      const sizes = new Map((await store.list()).map((d) => [d.name, d.storedBytes]))
      expect(sizes.get('compacted')).toBe('snap'.length + 'oldc1c2c3'.length)
      expect(await store.compact('compacted', Buffer.from('snap2'), 5)).toBe(true)
      expect(Buffer.from((await store.load('compacted'))!.snapshot!).toString()).toBe('snap2')
    } finally {
      await store.close()
    }
  })

  it('migrates a version 5 database to version 8: its documents stay, set-aside updates can be kept', async () => {
    const old = SqliteStore.open(dataDir)
    await old.append('doc', new Uint8Array([0, 0]))
    await old.compact('doc', Buffer.from('snap'), 1)
    await old.append('doc', Buffer.from('u2'))
    await old.close()
    // What a version-5 server left: the same tables, without the set-aside one.
    const db = new Database(file)
    db.exec(
      'DROP TABLE authors; DROP TABLE attributions; ALTER TABLE updates DROP COLUMN attribution; DROP TABLE set_aside; DROP TABLE links; PRAGMA user_version = 5;',
    )
    db.close()

    const store = SqliteStore.open(dataDir)
    try {
      expect(store.database.pragma('user_version', { simple: true })).toBe(8)
      const loaded = (await store.load('doc'))!
      expect(Buffer.from(loaded.snapshot!).toString()).toBe('snap')
      expect(loaded.updates.map((u) => Buffer.from(u).toString())).toEqual(['u2'])
      const entry = {
        seq: 2,
        kind: 'update' as const,
        bytes: Buffer.from('u2'),
        reason: 'RangeError',
        setAsideAtMs: 3,
      }
      expect(await store.compact('doc', Buffer.from('snap2'), 2, [entry])).toBe(true)
      expect(await store.listSetAside('doc')).toEqual([entry])
    } finally {
      await store.close()
    }
  })

  it('migrates a version 6 database to version 8: its documents stay, links can be recorded', async () => {
    const old = SqliteStore.open(dataDir)
    await old.append('doc', Buffer.from('u1'))
    await old.close()
    // What a version-6 server left: the same tables, without the links.
    const db = new Database(file)
    db.exec(
      'DROP TABLE authors; DROP TABLE attributions; ALTER TABLE updates DROP COLUMN attribution; DROP TABLE links; PRAGMA user_version = 6;',
    )
    db.close()

    const store = SqliteStore.open(dataDir)
    try {
      expect(store.database.pragma('user_version', { simple: true })).toBe(8)
      expect((await store.load('doc'))!.updates.map((u) => Buffer.from(u).toString())).toEqual([
        'u1',
      ])
      const t = Date.now()
      const link = {
        id: 'l1',
        doc: 'doc',
        name: 'Guest',
        mode: 'view' as const,
        createdAtMs: t,
        expiresAtMs: t + 60_000,
        mintedBy: null,
      }
      await store.saveLink(link)
      expect(await store.revokeLink('doc', 'l1', t + 1)).toBe(true)
      expect(await store.revokedLinks(t + 2)).toEqual(['l1'])
    } finally {
      await store.close()
    }
  })

  it('migrates a version 7 database to version 8: its documents stay, attribution can be recorded', async () => {
    const old = SqliteStore.open(dataDir)
    await old.append('doc', Buffer.from('u1'))
    await old.close()
    // What a version-7 server left: the same tables, without attribution.
    const db = new Database(file)
    db.exec(
      'DROP TABLE authors; DROP TABLE attributions; ALTER TABLE updates DROP COLUMN attribution; PRAGMA user_version = 7;',
    )
    db.close()

    const store = SqliteStore.open(dataDir)
    try {
      expect(store.database.pragma('user_version', { simple: true })).toBe(8)
      expect((await store.load('doc'))!.updates.map((u) => Buffer.from(u).toString())).toEqual([
        'u1',
      ])
      const author = { name: 'Ada', verified: true }
      await store.append('doc', Buffer.from('u2'), {
        author,
        timeMs: 5,
        inserts: [1, 0, 2],
        deletes: [],
      })
      await store.compact('doc', Buffer.from('snap'), 2)
      const { authors, records } = await store.loadAttribution('doc')
      expect(authors.map((a) => a.name)).toEqual(['Ada'])
      expect(records).toEqual([
        { author: authors[0]!.id, timeMs: 5, inserts: [1, 0, 2], deletes: [] },
      ])
    } finally {
      await store.close()
    }
  })

  it('refuses a database written by a newer server, and leaves it as it was', () => {
    const newer = new Database(file)
    newer.pragma('user_version = 9')
    newer.close()
    expect(() => SqliteStore.open(dataDir)).toThrow(/schema version 9; this server knows 8/)
    const after = new Database(file)
    expect(after.pragma('user_version', { simple: true })).toBe(9)
    expect(after.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([])
    after.close()
  })
  it('the write-ahead log is checkpointed by another thread while the store is open', async () => {
    const store = SqliteStore.open(dataDir)
    try {
      const before = statSync(file).size
      // About 300 KB in the log: far below what makes the writer checkpoint by itself.
      for (let i = 0; i < 300; i++) await store.append(`doc-${i % 7}`, new Uint8Array(1000).fill(i))
      expect(store.database.pragma('wal_autocheckpoint', { simple: true })).toBeGreaterThan(1_000)
      // The pages reach the database file without this thread checkpointing.
      await expect
        .poll(() => statSync(file).size, { timeout: 10_000, interval: 50 })
        .toBeGreaterThan(before + 200_000)
    } finally {
      await store.close()
    }
    const reopened = SqliteStore.open(dataDir)
    try {
      expect((await reopened.load('doc-3'))?.updates).toHaveLength(43)
    } finally {
      await reopened.close()
    }
  })

  it('a script whose last step is closing the store waits for the checkpointer and exits 0', () => {
    // Built code, as a script or the CLI runs it (the checkpointer's thread needs plain JS).
    const script = fileURLToPath(new URL('../../test/fixtures/close-store.mjs', import.meta.url))
    const child = spawnSync(process.execPath, [script, dataDir], { encoding: 'utf8' })
    expect({ status: child.status, stdout: child.stdout.trim(), stderr: child.stderr }).toEqual({
      status: 0,
      stdout: 'closed',
      stderr: '',
    })
  })

  it('an append writes a few pages, not the document’s snapshot again', async () => {
    const store = SqliteStore.open(dataDir)
    try {
      // A snapshot of 200 KB: about 50 pages of 4 KB, in overflow pages.
      const snapshot = new Uint8Array(200_000).fill(7)
      await store.append('doc', new Uint8Array([0, 0]))
      await store.compact('doc', snapshot, 1)
      store.database.pragma('wal_checkpoint(TRUNCATE)')
      await store.append('doc', new Uint8Array([0, 0]))
      // The WAL holds what the commit wrote: a 32-byte header, then a 24-byte header and a
      // page per frame.
      const pageSize = store.database.pragma('page_size', { simple: true }) as number
      const frames = (statSync(`${file}-wal`).size - 32) / (24 + pageSize)
      expect(frames).toBeGreaterThan(0)
      expect(frames).toBeLessThanOrEqual(4)
      expect(new Uint8Array((await store.load('doc'))!.snapshot!)).toEqual(snapshot)
    } finally {
      await store.close()
    }
  })
})

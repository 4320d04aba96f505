import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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

  it('migrates a version 1 database to version 2, keeping its documents', async () => {
    const old = new Database(file)
    old.exec(schemaVersion1)
    old
      .prepare('INSERT INTO documents (name, created_at_ms, updated_at_ms) VALUES (?, 1, 1)')
      .run('doc')
    old.prepare('INSERT INTO updates (doc, data) VALUES (?, ?)').run('doc', Buffer.from([0, 0]))
    old.close()

    const store = SqliteStore.open(dataDir)
    try {
      expect(store.database.pragma('user_version', { simple: true })).toBe(2)
      expect((await store.load('doc'))?.updates.map((u) => [...u])).toEqual([[0, 0]])
      const version = await store.saveVersion('doc', {
        createdAtMs: 5,
        label: null,
        kind: 'auto',
        authors: [],
        textLength: 0,
        bytes: new Uint8Array([0, 0]),
      })
      expect(await store.listVersions('doc')).toEqual([version])
    } finally {
      await store.close()
    }
  })

  it('refuses a database written by a newer server, and leaves it as it was', () => {
    const newer = new Database(file)
    newer.pragma('user_version = 3')
    newer.close()
    expect(() => SqliteStore.open(dataDir)).toThrow(/schema version 3; this server knows 2/)
    const after = new Database(file)
    expect(after.pragma('user_version', { simple: true })).toBe(3)
    expect(after.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([])
    after.close()
  })
})

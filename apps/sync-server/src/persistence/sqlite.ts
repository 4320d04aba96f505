import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { DocStore, DocumentInfo, StoredDocument } from './store.js'

const SCHEMA_VERSION = 1

const schema = `
CREATE TABLE IF NOT EXISTS documents (
  name          TEXT PRIMARY KEY,
  snapshot      BLOB,
  snapshot_seq  INTEGER NOT NULL DEFAULT 0,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS updates (
  -- AUTOINCREMENT: a sequence number is never reused, even after compaction deletes the newest rows.
  seq  INTEGER PRIMARY KEY AUTOINCREMENT,
  doc  TEXT NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS updates_by_doc ON updates (doc, seq);
`

interface PendingAppend {
  name: string
  update: Uint8Array
  resolve: (seq: number) => void
  reject: (err: unknown) => void
}

/**
 * The embedded store: one SQLite file in WAL mode with `synchronous=FULL`, so a resolved
 * append survives a process crash and a power loss. Appends are group-committed: all appends
 * made in one event-loop turn go into one transaction.
 */
export class SqliteStore implements DocStore {
  readonly #db: Database.Database
  #batch: PendingAppend[] = []
  #flushScheduled = false
  readonly #insertUpdate: Database.Statement<[string, Uint8Array]>
  readonly #touchDocument: Database.Statement<[string, number, number]>
  readonly #selectDocument: Database.Statement<
    [string],
    { snapshot: Buffer | null; snapshot_seq: number }
  >
  readonly #selectUpdates: Database.Statement<[string, number], { seq: number; data: Buffer }>
  readonly #writeSnapshot: Database.Statement<[string, Uint8Array, number, number, number]>
  readonly #deleteUpdatesThrough: Database.Statement<[string, number]>

  /** Opens (creating if needed) `tandem.db` in `dataDir`. */
  static open(dataDir: string): SqliteStore {
    mkdirSync(dataDir, { recursive: true })
    return new SqliteStore(join(dataDir, 'tandem.db'))
  }

  constructor(file: string) {
    this.#db = new Database(file)
    this.#db.pragma('journal_mode = WAL')
    this.#db.pragma('synchronous = FULL')
    this.#db.pragma('busy_timeout = 5000')
    const version = this.#db.pragma('user_version', { simple: true }) as number
    if (version > SCHEMA_VERSION) {
      throw new Error(`${file} has schema version ${version}; this server knows ${SCHEMA_VERSION}`)
    }
    this.#db.exec(schema)
    this.#db.pragma(`user_version = ${SCHEMA_VERSION}`)
    this.#insertUpdate = this.#db.prepare('INSERT INTO updates (doc, data) VALUES (?, ?)')
    this.#touchDocument = this.#db.prepare(
      `INSERT INTO documents (name, created_at_ms, updated_at_ms) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET updated_at_ms = excluded.updated_at_ms`,
    )
    this.#selectDocument = this.#db.prepare(
      'SELECT snapshot, snapshot_seq FROM documents WHERE name = ?',
    )
    this.#selectUpdates = this.#db.prepare(
      'SELECT seq, data FROM updates WHERE doc = ? AND seq > ? ORDER BY seq',
    )
    this.#writeSnapshot = this.#db.prepare(
      `INSERT INTO documents (name, snapshot, snapshot_seq, created_at_ms, updated_at_ms)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET snapshot = excluded.snapshot,
         snapshot_seq = excluded.snapshot_seq
       WHERE documents.snapshot_seq <= excluded.snapshot_seq`,
    )
    this.#deleteUpdatesThrough = this.#db.prepare('DELETE FROM updates WHERE doc = ? AND seq <= ?')
  }

  async load(name: string): Promise<StoredDocument | null> {
    this.#flush()
    const doc = this.#selectDocument.get(name)
    if (!doc) return null
    const rows = this.#selectUpdates.all(name, doc.snapshot_seq)
    return {
      snapshot: doc.snapshot,
      updates: rows.map((row) => row.data),
      lastSeq: rows.at(-1)?.seq ?? doc.snapshot_seq,
    }
  }

  append(name: string, update: Uint8Array): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#batch.push({ name, update, resolve, reject })
      if (!this.#flushScheduled) {
        this.#flushScheduled = true
        setImmediate(() => this.#flush())
      }
    })
  }

  readonly #commit = (batch: PendingAppend[]): number[] => {
    const now = Date.now()
    const seqs = batch.map((a) => Number(this.#insertUpdate.run(a.name, a.update).lastInsertRowid))
    for (const name of new Set(batch.map((a) => a.name))) this.#touchDocument.run(name, now, now)
    return seqs
  }

  #flush(): void {
    this.#flushScheduled = false
    const batch = this.#batch
    if (batch.length === 0) return
    this.#batch = []
    let seqs: number[]
    try {
      seqs = this.#db.transaction(this.#commit)(batch)
    } catch (err) {
      for (const a of batch) a.reject(err)
      return
    }
    for (const [i, a] of batch.entries()) a.resolve(seqs[i]!)
  }

  async compact(name: string, snapshot: Uint8Array, throughSeq: number): Promise<void> {
    this.#flush()
    this.#db.transaction(() => {
      const now = Date.now()
      this.#writeSnapshot.run(name, snapshot, throughSeq, now, now)
      this.#deleteUpdatesThrough.run(name, throughSeq)
    })()
  }

  async list(): Promise<DocumentInfo[]> {
    this.#flush()
    const rows = this.#db
      .prepare(
        `SELECT d.name, d.updated_at_ms,
                COALESCE(length(d.snapshot), 0)
                  + COALESCE((SELECT SUM(length(u.data)) FROM updates u WHERE u.doc = d.name), 0)
                  AS stored_bytes
         FROM documents d ORDER BY d.updated_at_ms DESC, d.name`,
      )
      .all() as { name: string; updated_at_ms: number; stored_bytes: number }[]
    return rows.map((r) => ({
      name: r.name,
      updatedAtMs: r.updated_at_ms,
      storedBytes: r.stored_bytes,
    }))
  }

  async close(): Promise<void> {
    this.#flush()
    this.#db.close()
  }
}

import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import {
  authorKey,
  authorOfKey,
  docAttribution,
  foldAttribution,
  rowAttribution,
} from './attribution.js'
import { Checkpointer, WRITER_CHECKPOINT_PAGES } from './checkpointer.js'
import {
  defaultGroupCommitOptions,
  type GroupCommitOptions,
  GroupCommitter,
} from './group-commit.js'
import { checkListPage, MAX_LIST_LIMIT, NameScan, pageStart, prefixEnd } from './list-page.js'
import type {
  Author,
  DocAttribution,
  DocStore,
  DocumentInfo,
  LinkRecord,
  ListPage,
  MoveOutcome,
  NewVersion,
  ScanPage,
  ScanResult,
  SetAsideUpdate,
  StoredDocument,
  StoreHealth,
  TrashedDocumentInfo,
  UpdateAttribution,
  Version,
  VersionInfo,
  VersionKind,
} from './store.js'
import { TRASH_KEY_PREFIX, trashKey } from './trash.js'

const SCHEMA_VERSION = 8

/** The parameters of a page of `list` (see {@link SqliteStore.list}). */
interface ListParams {
  from: string
  after: string
  end: string | null
  limit: number
}

/** The parameters of the names `scan` reads (see {@link SqliteStore.scan}). */
interface ScanParams {
  from: string
  after: string
  end: string | null
  scan: number
}

/** `migrations[v]` brings a database from schema version `v` to `v + 1`. */
const migrations = [
  // 0 → 1: the update log and its snapshots.
  `
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
`,
  // 1 → 2: versions (history).
  `
CREATE TABLE IF NOT EXISTS versions (
  -- AUTOINCREMENT: an id is never reused, even after pruning deletes the newest rows.
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  doc           TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('auto', 'named', 'restore', 'import')),
  label         TEXT,
  authors       TEXT NOT NULL, -- JSON array of strings
  text_length   INTEGER NOT NULL,
  data          BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS versions_by_doc ON versions (doc, created_at_ms, id);
`,
  // 2 → 3: per-document sequence numbers, contiguous (existing updates numbered in their order;
  // a snapshot counts as number 1).
  `
ALTER TABLE documents ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE updates ADD COLUMN doc_seq INTEGER NOT NULL DEFAULT 0;
UPDATE updates SET doc_seq = n.doc_seq
FROM (
  SELECT u.seq AS seq, row_number() OVER (PARTITION BY u.doc ORDER BY u.seq)
           + (CASE WHEN d.snapshot IS NULL THEN 0 ELSE 1 END) AS doc_seq
  FROM updates u LEFT JOIN documents d ON d.name = u.doc
) AS n
WHERE updates.seq = n.seq;
UPDATE documents SET
  snapshot_seq = (CASE WHEN snapshot IS NULL THEN 0 ELSE 1 END) + (
    SELECT count(*) FROM updates u WHERE u.doc = documents.name AND u.seq <= documents.snapshot_seq),
  last_seq = (CASE WHEN snapshot IS NULL THEN 0 ELSE 1 END) + (
    SELECT count(*) FROM updates u WHERE u.doc = documents.name);
DROP INDEX IF EXISTS updates_by_doc;
CREATE UNIQUE INDEX updates_by_doc_seq ON updates (doc, doc_seq);
`,
  // 3 → 4: the trash. A deleted document's rows stay in the tables above under the name
  // `%trash/<id>` (see trashKey), which no document can have, until they are restored or purged.
  `
CREATE TABLE trash (
  -- AUTOINCREMENT: an id (and so a trash key) is never reused.
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  name          TEXT NOT NULL,
  deleted_at_ms INTEGER NOT NULL
);
CREATE INDEX trash_by_name ON trash (name, id);
CREATE INDEX trash_by_time ON trash (deleted_at_ms);
`,
  // 4 → 5: fewer pages written per commit. Snapshots get a table of their own: kept beside the
  // counter and timestamp every append advances, a snapshot's overflow pages were read and
  // compared by every append to its document, and written again whenever the row changed size
  // (the first append after a compaction). The log is keyed by (doc, doc_seq) alone: the
  // global AUTOINCREMENT number that version 3 replaced cost an index page and a
  // sqlite_sequence page in every commit.
  `
CREATE TABLE snapshots (
  doc  TEXT PRIMARY KEY,
  data BLOB NOT NULL
);
INSERT INTO snapshots (doc, data) SELECT name, snapshot FROM documents WHERE snapshot IS NOT NULL;
ALTER TABLE documents DROP COLUMN snapshot;
CREATE TABLE updates_by_doc (
  doc     TEXT NOT NULL,
  doc_seq INTEGER NOT NULL,
  data    BLOB NOT NULL,
  PRIMARY KEY (doc, doc_seq)
) WITHOUT ROWID;
INSERT INTO updates_by_doc (doc, doc_seq, data) SELECT doc, doc_seq, data FROM updates;
DROP TABLE updates;
ALTER TABLE updates_by_doc RENAME TO updates;
`,
  // 5 → 6: stored updates that a fold could not apply, kept apart (see DocStore.setAside).
  `
CREATE TABLE set_aside (
  doc             TEXT NOT NULL,
  seq             INTEGER NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('update', 'snapshot')),
  set_aside_at_ms INTEGER NOT NULL,
  reason          TEXT NOT NULL,
  data            BLOB NOT NULL
);
CREATE UNIQUE INDEX set_aside_by_doc ON set_aside (doc, seq, kind);
`,
  // 6 → 7: share links the server minted, and their revocations (see DocStore.saveLink).
  `
CREATE TABLE links (
  id            TEXT PRIMARY KEY,
  doc           TEXT NOT NULL,
  name          TEXT NOT NULL,
  mode          TEXT NOT NULL CHECK (mode IN ('view', 'edit')),
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  minted_by     TEXT,
  revoked_at_ms INTEGER
) WITHOUT ROWID;
CREATE INDEX links_by_doc ON links (doc, created_at_ms);
CREATE INDEX links_by_expiry ON links (expires_at_ms);
CREATE INDEX links_revoked ON links (revoked_at_ms) WHERE revoked_at_ms IS NOT NULL;
`,
  // 7 → 8: attribution (SPEC B). Authors numbered once; each update's record (author, time, the
  // ids it inserted and deleted) with it in the log; what compaction replaced, per document.
  `
CREATE TABLE authors (
  id    INTEGER PRIMARY KEY AUTOINCREMENT,
  key   TEXT NOT NULL UNIQUE, -- JSON: [subject, name, verified]
  color TEXT
);
ALTER TABLE updates ADD COLUMN attribution BLOB;
CREATE TABLE attributions (
  doc  TEXT PRIMARY KEY,
  data BLOB NOT NULL
) WITHOUT ROWID;
`,
]

interface VersionRow {
  id: number
  doc: string
  created_at_ms: number
  kind: VersionKind
  label: string | null
  authors: string
  text_length: number
}

function versionInfo(row: VersionRow): VersionInfo {
  return {
    id: row.id,
    doc: row.doc,
    createdAtMs: row.created_at_ms,
    label: row.label,
    kind: row.kind,
    authors: JSON.parse(row.authors) as string[],
    textLength: row.text_length,
  }
}

/** How long a link is kept after it expired (then its token no longer works anyway). */
const LINK_KEPT_AFTER_EXPIRY_MS = 24 * 60 * 60 * 1000

interface LinkRow {
  id: string
  doc: string
  name: string
  mode: LinkRecord['mode']
  created_at_ms: number
  expires_at_ms: number
  minted_by: string | null
}

function linkRecord(row: LinkRow): LinkRecord {
  return {
    id: row.id,
    doc: row.doc,
    name: row.name,
    mode: row.mode,
    createdAtMs: Number(row.created_at_ms),
    expiresAtMs: Number(row.expires_at_ms),
    mintedBy: row.minted_by,
  }
}

/** Brings `db` to {@link SCHEMA_VERSION}; refuses a database written by a newer server. */
function migrate(db: Database.Database, file: string): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number
    if (version > SCHEMA_VERSION) {
      throw new Error(`${file} has schema version ${version}; this server knows ${SCHEMA_VERSION}`)
    }
    for (let v = version; v < SCHEMA_VERSION; v++) db.exec(migrations[v]!)
    db.pragma(`user_version = ${SCHEMA_VERSION}`)
  }).immediate()
}

interface Append {
  name: string
  update: Uint8Array
  attribution: UpdateAttribution | undefined
}

/** How a store batches and retries commits; see {@link GroupCommitter}. */
export type StoreOptions = Omit<GroupCommitOptions, 'onError' | 'onRecover'> & {
  /** Called with each failed commit and when commits succeed again (for logs). */
  onError?: GroupCommitOptions['onError']
  onRecover?: GroupCommitOptions['onRecover']
  /** How long a statement waits for a lock held by another connection. */
  busyTimeoutMs: number
  /**
   * `normal`: a commit is in the write-ahead log when it resolves, so it survives the process
   * being killed; the operating system flushes it to disk on its own schedule. `full`: each
   * commit waits for the disk (fsync), so it also survives a power loss, at about 0.4 ms per
   * commit on these machines, during which the event loop is blocked.
   */
  synchronous: 'normal' | 'full'
}

const defaultStoreOptions: StoreOptions = {
  ...defaultGroupCommitOptions,
  busyTimeoutMs: 5_000,
  synchronous: 'normal',
}

/**
 * The embedded store: one SQLite file in WAL mode. A resolved append survives a crash of the
 * process (and with `synchronous: 'full'` a power loss). Appends are group-committed: all
 * appends made in one event-loop turn go into one transaction.
 */
export class SqliteStore implements DocStore {
  readonly #db: Database.Database
  readonly #appends: GroupCommitter<Append>
  readonly #insertUpdate: Database.Statement<[string, number, Uint8Array, Uint8Array | null]>
  readonly #insertAuthor: Database.Statement<[string, string | null]>
  readonly #selectAuthorId: Database.Statement<[string], number>
  readonly #selectAuthor: Database.Statement<[number], { key: string; color: string | null }>
  /** Authors' numbers by key, and authors by number, as far as this store has seen them. */
  readonly #authorIds = new Map<string, number>()
  readonly #authors = new Map<number, Author>()
  readonly #authorObjects = new WeakMap<Author, number>()
  readonly #selectRowAttribution: Database.Statement<[string, number], Buffer>
  readonly #selectKeptAttribution: Database.Statement<[string], Buffer>
  readonly #writeAttribution: Database.Statement<[string, Uint8Array]>
  readonly #moveAttribution: Database.Statement<[string, string]>
  readonly #deleteAttribution: Database.Statement<[string]>
  readonly #touchDocument: Database.Statement<[string, number, number, number]>
  readonly #selectLastSeq: Database.Statement<[string], { last_seq: number }>
  readonly #selectDocument: Database.Statement<
    [string],
    { snapshot: Buffer | null; snapshot_seq: number; last_seq: number }
  >
  readonly #selectUpdates: Database.Statement<[string, number], { seq: number; data: Buffer }>
  readonly #advanceSnapshot: Database.Statement<[string, number, number, number, number]>
  readonly #writeSnapshot: Database.Statement<[string, Uint8Array]>
  readonly #deleteUpdatesThrough: Database.Statement<[string, number]>
  readonly #insertVersion: Database.Statement<
    [string, number, VersionKind, string | null, string, number, Uint8Array]
  >
  readonly #selectVersions: Database.Statement<[string], VersionRow>
  readonly #selectVersion: Database.Statement<[string, number], VersionRow & { data: Buffer }>
  readonly #deleteVersion: Database.Statement<[string, number]>
  readonly #exists: Database.Statement<[string, string], { found: number }>
  readonly #listPage: Database.Statement<[ListParams]>
  readonly #listPrefixPage: Database.Statement<[ListParams]>
  readonly #scanNames: Database.Statement<[ScanParams], string>
  readonly #scanPrefixNames: Database.Statement<[ScanParams], string>
  readonly #describe: Database.Statement<
    [string],
    { name: string; updated_at_ms: number; stored_bytes: number }
  >
  readonly #moveDocument: Database.Statement<[string, string]>
  readonly #moveSnapshot: Database.Statement<[string, string]>
  readonly #moveUpdates: Database.Statement<[string, string]>
  readonly #moveVersions: Database.Statement<[string, string]>
  readonly #deleteDocument: Database.Statement<[string]>
  readonly #deleteSnapshot: Database.Statement<[string]>
  readonly #deleteUpdates: Database.Statement<[string]>
  readonly #deleteVersions: Database.Statement<[string]>
  readonly #insertSetAside: Database.Statement<[string, number, string, number, string, Uint8Array]>
  readonly #moveSetAside: Database.Statement<[string, string]>
  readonly #deleteSetAside: Database.Statement<[string]>
  readonly #checkpointer: Checkpointer
  /** Keeps entries apart in one transaction (nested in the caller's, if any). */
  readonly #keepApart: (name: string, entries: readonly SetAsideUpdate[]) => number

  /** Opens (creating if needed) `tandem.db` in `dataDir`. */
  static open(dataDir: string, options: Partial<StoreOptions> = {}): SqliteStore {
    mkdirSync(dataDir, { recursive: true })
    return new SqliteStore(join(dataDir, 'tandem.db'), options)
  }

  constructor(file: string, options: Partial<StoreOptions> = {}) {
    const settings = { ...defaultStoreOptions, ...options }
    this.#db = new Database(file)
    this.#db.pragma('journal_mode = WAL')
    this.#db.pragma(`synchronous = ${settings.synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
    this.#db.pragma(`busy_timeout = ${Math.trunc(settings.busyTimeoutMs)}`)
    try {
      migrate(this.#db, file)
    } catch (err) {
      this.#db.close()
      throw err
    }
    // The log is checkpointed by a worker thread; the writer only when it falls far behind.
    this.#db.pragma(`wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`)
    this.#checkpointer = new Checkpointer(file)
    this.#insertUpdate = this.#db.prepare(
      'INSERT INTO updates (doc, doc_seq, data, attribution) VALUES (?, ?, ?, ?)',
    )
    this.#insertAuthor = this.#db.prepare(
      'INSERT INTO authors (key, color) VALUES (?, ?) ON CONFLICT DO NOTHING',
    )
    this.#selectAuthorId = this.#db
      .prepare<[string], number>('SELECT id FROM authors WHERE key = ?')
      .pluck()
    this.#selectAuthor = this.#db.prepare('SELECT key, color FROM authors WHERE id = ?')
    this.#selectRowAttribution = this.#db
      .prepare<[string, number], Buffer>(
        `SELECT attribution FROM updates WHERE doc = ? AND doc_seq <= ? AND attribution IS NOT NULL
         ORDER BY doc_seq`,
      )
      .pluck()
    this.#selectKeptAttribution = this.#db
      .prepare<[string], Buffer>('SELECT data FROM attributions WHERE doc = ?')
      .pluck()
    this.#writeAttribution = this.#db.prepare(
      'INSERT INTO attributions (doc, data) VALUES (?, ?) ON CONFLICT (doc) DO UPDATE SET data = excluded.data',
    )
    this.#moveAttribution = this.#db.prepare('UPDATE attributions SET doc = ? WHERE doc = ?')
    this.#deleteAttribution = this.#db.prepare('DELETE FROM attributions WHERE doc = ?')
    // Advances the document's counter by the number of its appends in the batch. (Read back
    // with a SELECT: with RETURNING, SQLite takes about ten times as long.)
    this.#touchDocument = this.#db.prepare(
      `INSERT INTO documents (name, created_at_ms, updated_at_ms, last_seq) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET updated_at_ms = excluded.updated_at_ms,
         last_seq = documents.last_seq + excluded.last_seq`,
    )
    this.#selectLastSeq = this.#db.prepare('SELECT last_seq FROM documents WHERE name = ?')
    this.#selectDocument = this.#db.prepare(
      `SELECT s.data AS snapshot, d.snapshot_seq, d.last_seq
       FROM documents d LEFT JOIN snapshots s ON s.doc = d.name WHERE d.name = ?`,
    )
    this.#selectUpdates = this.#db.prepare(
      'SELECT doc_seq AS seq, data FROM updates WHERE doc = ? AND doc_seq > ? ORDER BY doc_seq',
    )
    this.#advanceSnapshot = this.#db.prepare(
      `INSERT INTO documents (name, snapshot_seq, last_seq, created_at_ms, updated_at_ms)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET snapshot_seq = excluded.snapshot_seq
       WHERE documents.snapshot_seq <= excluded.snapshot_seq`,
    )
    this.#writeSnapshot = this.#db.prepare(
      'INSERT INTO snapshots (doc, data) VALUES (?, ?) ON CONFLICT (doc) DO UPDATE SET data = excluded.data',
    )
    this.#deleteUpdatesThrough = this.#db.prepare(
      'DELETE FROM updates WHERE doc = ? AND doc_seq <= ?',
    )
    this.#insertVersion = this.#db.prepare(
      `INSERT INTO versions (doc, created_at_ms, kind, label, authors, text_length, data)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
    const versionColumns = 'id, doc, created_at_ms, kind, label, authors, text_length'
    this.#selectVersions = this.#db.prepare(
      `SELECT ${versionColumns} FROM versions WHERE doc = ?
       ORDER BY created_at_ms DESC, id DESC`,
    )
    this.#selectVersion = this.#db.prepare(
      `SELECT ${versionColumns}, data FROM versions WHERE doc = ? AND id = ?`,
    )
    this.#deleteVersion = this.#db.prepare('DELETE FROM versions WHERE doc = ? AND id = ?')
    const listPage = (range: string) =>
      this.#db.prepare<[ListParams]>(
        `SELECT d.name, d.updated_at_ms,
                COALESCE((SELECT length(s.data) FROM snapshots s WHERE s.doc = d.name), 0)
                  + COALESCE((SELECT SUM(length(u.data)) FROM updates u WHERE u.doc = d.name), 0)
                  AS stored_bytes
         FROM documents d
         WHERE d.name >= @from AND ${range} AND d.name <> @after AND substr(d.name, 1, 1) <> '%'
         ORDER BY d.name LIMIT @limit`,
      )
    this.#listPage = listPage('@end IS NULL')
    this.#listPrefixPage = listPage('d.name < @end')
    // The names alone, from the primary key: what a filter reads before it knows what it keeps.
    const scanNames = (range: string) =>
      this.#db
        .prepare<[ScanParams], string>(
          `SELECT name FROM documents WHERE name >= @from AND ${range} AND name <> @after
           ORDER BY name LIMIT @scan`,
        )
        .pluck()
    this.#scanNames = scanNames('@end IS NULL')
    this.#scanPrefixNames = scanNames('name < @end')
    this.#describe = this.#db.prepare(
      `SELECT d.name, d.updated_at_ms,
              COALESCE((SELECT length(s.data) FROM snapshots s WHERE s.doc = d.name), 0)
                + COALESCE((SELECT SUM(length(u.data)) FROM updates u WHERE u.doc = d.name), 0)
                AS stored_bytes
       FROM documents d WHERE d.name = ?`,
    )
    this.#exists = this.#db.prepare(
      `SELECT EXISTS (SELECT 1 FROM documents WHERE name = ?)
           OR EXISTS (SELECT 1 FROM versions WHERE doc = ?) AS found`,
    )
    this.#moveDocument = this.#db.prepare('UPDATE documents SET name = ? WHERE name = ?')
    this.#moveSnapshot = this.#db.prepare('UPDATE snapshots SET doc = ? WHERE doc = ?')
    this.#moveUpdates = this.#db.prepare('UPDATE updates SET doc = ? WHERE doc = ?')
    this.#moveVersions = this.#db.prepare('UPDATE versions SET doc = ? WHERE doc = ?')
    this.#deleteDocument = this.#db.prepare('DELETE FROM documents WHERE name = ?')
    this.#deleteSnapshot = this.#db.prepare('DELETE FROM snapshots WHERE doc = ?')
    this.#deleteUpdates = this.#db.prepare('DELETE FROM updates WHERE doc = ?')
    this.#deleteVersions = this.#db.prepare('DELETE FROM versions WHERE doc = ?')
    this.#insertSetAside = this.#db.prepare(
      `INSERT INTO set_aside (doc, seq, kind, set_aside_at_ms, reason, data)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (doc, seq, kind) DO NOTHING`,
    )
    this.#moveSetAside = this.#db.prepare('UPDATE set_aside SET doc = ? WHERE doc = ?')
    this.#deleteSetAside = this.#db.prepare('DELETE FROM set_aside WHERE doc = ?')
    this.#keepApart = this.#db.transaction((name: string, entries: readonly SetAsideUpdate[]) => {
      let added = 0
      for (const e of entries) {
        added += this.#insertSetAside.run(
          name,
          e.seq,
          e.kind,
          e.setAsideAtMs,
          e.reason,
          e.bytes,
        ).changes
      }
      return added
    })
    const commit = this.#db.transaction((batch: Append[]): number[] => {
      const now = Date.now()
      const counts = new Map<string, number>()
      for (const a of batch) counts.set(a.name, (counts.get(a.name) ?? 0) + 1)
      // The sequence number each document's next append of the batch takes.
      const next = new Map<string, number>()
      for (const [name, n] of counts) {
        this.#touchDocument.run(name, now, now, n)
        next.set(name, this.#selectLastSeq.get(name)!.last_seq - n + 1)
      }
      return batch.map((a) => {
        const seq = next.get(a.name)!
        next.set(a.name, seq + 1)
        const attribution = a.attribution
          ? rowAttribution(this.#authorId(a.attribution.author), a.attribution)
          : null
        this.#insertUpdate.run(a.name, seq, a.update, attribution)
        return seq
      })
    })
    this.#appends = new GroupCommitter(commit, settings)
  }

  /** The underlying connection, for tests that need to provoke storage failures. */
  get database(): Database.Database {
    return this.#db
  }

  async load(name: string): Promise<StoredDocument | null> {
    return this.#loadSince(name, -1)
  }

  async loadSince(name: string, afterSeq: number): Promise<StoredDocument | null> {
    return this.#loadSince(name, afterSeq)
  }

  /** The document and its updates after `afterSeq`, read in one transaction. */
  #loadSince(name: string, afterSeq: number): StoredDocument | null {
    return this.#db.transaction(() => {
      const doc = this.#selectDocument.get(name)
      if (!doc) return null
      const rows = this.#selectUpdates.all(name, Math.max(afterSeq, doc.snapshot_seq))
      return {
        snapshot: afterSeq < doc.snapshot_seq ? doc.snapshot : null,
        updates: rows.map((row) => row.data),
        lastSeq: doc.last_seq,
      }
    })()
  }

  async lastSeqs(names: readonly string[]): Promise<Map<string, number>> {
    const found = new Map<string, number>()
    for (const name of names) {
      const doc = this.#selectDocument.get(name)
      if (doc) found.set(name, doc.last_seq)
    }
    return found
  }

  append(name: string, update: Uint8Array, attribution?: UpdateAttribution): Promise<number> {
    return this.#appends.add({ name, update, attribution }, update.length)
  }

  /** The number of `author`, numbering it first if it is new (in the caller's transaction). */
  #authorId(author: Author): number {
    // A room passes the same object for every edit of a connection: no key to build then.
    const known = this.#authorObjects.get(author)
    if (known !== undefined) return known
    const key = authorKey(author)
    let id = this.#authorIds.get(key)
    if (id === undefined) {
      this.#insertAuthor.run(key, author.color ?? null)
      id = this.#selectAuthorId.get(key)!
      this.#authorIds.set(key, id)
      const row = this.#selectAuthor.get(id)!
      this.#authors.set(id, authorOfKey(key, row.color))
    }
    this.#authorObjects.set(author, id)
    return id
  }

  async loadAttribution(name: string): Promise<DocAttribution> {
    const parts = this.#db.transaction(() => [
      this.#selectKeptAttribution.get(name),
      ...this.#selectRowAttribution.all(name, Number.MAX_SAFE_INTEGER),
    ])()
    const found = docAttribution(parts, this.#authors)
    const unknown = found.authors.filter((a) => !this.#authors.has(a.id))
    if (unknown.length === 0) return found
    // Numbered by another process sharing the file (the CLI): read them.
    for (const { id } of unknown) {
      const row = this.#selectAuthor.get(id)
      if (row !== undefined) this.#authors.set(id, authorOfKey(row.key, row.color))
    }
    return docAttribution(parts, this.#authors)
  }

  health(): StoreHealth {
    const failure = this.#appends.failure
    if (failure === null) return { ok: true }
    return {
      ok: false,
      reason: `SQLite: ${failure instanceof Error ? failure.message : String(failure)}`,
    }
  }

  async compact(
    name: string,
    snapshot: Uint8Array,
    throughSeq: number,
    setAside: readonly SetAsideUpdate[] = [],
  ): Promise<boolean> {
    this.#db.transaction(() => {
      this.#keepApart(name, setAside)
      const now = Date.now()
      // An older compaction than the stored snapshot's changes nothing.
      if (this.#advanceSnapshot.run(name, throughSeq, throughSeq, now, now).changes === 0) return
      const replaced = this.#selectRowAttribution.all(name, throughSeq)
      if (replaced.length > 0) {
        const kept = this.#selectKeptAttribution.get(name)
        this.#writeAttribution.run(name, foldAttribution([kept, ...replaced]))
      }
      this.#writeSnapshot.run(name, snapshot)
      this.#deleteUpdatesThrough.run(name, throughSeq)
    })()
    return true
  }

  async setAside(name: string, entries: readonly SetAsideUpdate[]): Promise<number> {
    return entries.length === 0 ? 0 : this.#keepApart(name, entries)
  }

  async listSetAside(name: string): Promise<SetAsideUpdate[]> {
    const rows = this.#db
      .prepare(
        `SELECT seq, kind, set_aside_at_ms, reason, data FROM set_aside WHERE doc = ?
         ORDER BY seq, kind = 'update'`,
      )
      .all(name) as {
      seq: number
      kind: SetAsideUpdate['kind']
      set_aside_at_ms: number
      reason: string
      data: Buffer
    }[]
    return rows.map((r) => ({
      seq: r.seq,
      kind: r.kind,
      bytes: r.data,
      reason: r.reason,
      setAsideAtMs: r.set_aside_at_ms,
    }))
  }

  async list(page: ListPage = { limit: MAX_LIST_LIMIT }): Promise<DocumentInfo[]> {
    checkListPage(page)
    const prefix = page.prefix ?? ''
    const end = prefixEnd(prefix)
    // One range of the primary key (from the cursor or the prefix, to the prefix's end), so a
    // page reads `limit` rows of the index whatever is stored.
    const rows = (end === null ? this.#listPage : this.#listPrefixPage).all({
      ...pageStart(page),
      end,
      limit: page.limit,
    }) as { name: string; updated_at_ms: number; stored_bytes: number }[]
    return rows.map((r) => ({
      name: r.name,
      updatedAtMs: r.updated_at_ms,
      storedBytes: r.stored_bytes,
    }))
  }

  async scan(page: ScanPage): Promise<ScanResult> {
    const scan = new NameScan(page)
    const end = prefixEnd(page.prefix ?? '')
    // Read lazily, so a scan that has its `limit` stops reading the index there.
    const names = (end === null ? this.#scanNames : this.#scanPrefixNames).iterate({
      ...pageStart(page),
      end,
      scan: scan.remaining,
    })
    for (const name of names) if (!scan.read(name)) break
    return scan.result(
      scan.kept.flatMap((name) => {
        const row = this.#describe.get(name)
        return row ? [{ name, updatedAtMs: row.updated_at_ms, storedBytes: row.stored_bytes }] : []
      }),
    )
  }

  #stored(name: string): boolean {
    return this.#exists.get(name, name)!.found === 1
  }

  /** Moves every row of `from` to `to`; the caller's transaction makes it atomic. */
  #move(from: string, to: string): void {
    this.#moveDocument.run(to, from)
    this.#moveSnapshot.run(to, from)
    this.#moveUpdates.run(to, from)
    this.#moveVersions.run(to, from)
    this.#moveSetAside.run(to, from)
    this.#moveAttribution.run(to, from)
  }

  async rename(from: string, to: string): Promise<MoveOutcome> {
    return this.#db
      .transaction((): MoveOutcome => {
        if (!this.#stored(from)) return 'not_found'
        if (this.#stored(to)) return 'name_taken'
        this.#move(from, to)
        return 'moved'
      })
      .immediate()
  }

  async trash(name: string, nowMs = Date.now()): Promise<boolean> {
    return this.#db
      .transaction((): boolean => {
        if (!this.#stored(name)) return false
        const { lastInsertRowid } = this.#db
          .prepare('INSERT INTO trash (name, deleted_at_ms) VALUES (?, ?)')
          .run(name, nowMs)
        this.#move(name, trashKey(Number(lastInsertRowid)))
        return true
      })
      .immediate()
  }

  async listTrash(): Promise<TrashedDocumentInfo[]> {
    const rows = this.#db
      .prepare(
        `SELECT t.id, t.name, t.deleted_at_ms, d.updated_at_ms,
                COALESCE((SELECT length(s.data) FROM snapshots s WHERE s.doc = d.name), 0)
                  + COALESCE((SELECT SUM(length(u.data)) FROM updates u WHERE u.doc = d.name), 0)
                  AS stored_bytes
         FROM trash t LEFT JOIN documents d ON d.name = ? || t.id
         ORDER BY t.deleted_at_ms DESC, t.id DESC`,
      )
      .all(TRASH_KEY_PREFIX) as {
      id: number
      name: string
      deleted_at_ms: number
      updated_at_ms: number | null
      stored_bytes: number
    }[]
    return rows.map((r) => ({
      name: r.name,
      deletedAtMs: r.deleted_at_ms,
      updatedAtMs: r.updated_at_ms ?? r.deleted_at_ms,
      storedBytes: r.stored_bytes,
    }))
  }

  async restore(name: string): Promise<MoveOutcome> {
    return this.#db
      .transaction((): MoveOutcome => {
        const row = this.#db
          .prepare('SELECT id FROM trash WHERE name = ? ORDER BY id DESC LIMIT 1')
          .get(name) as { id: number } | undefined
        if (!row) return 'not_found'
        if (this.#stored(name)) return 'name_taken'
        this.#move(trashKey(row.id), name)
        this.#db.prepare('DELETE FROM trash WHERE id = ?').run(row.id)
        return 'moved'
      })
      .immediate()
  }

  async purgeTrash(deletedBeforeMs: number): Promise<number> {
    return this.#db
      .transaction((): number => {
        const doomed = this.#db
          .prepare('SELECT id FROM trash WHERE deleted_at_ms < ?')
          .all(deletedBeforeMs) as { id: number }[]
        for (const { id } of doomed) {
          const key = trashKey(id)
          this.#deleteDocument.run(key)
          this.#deleteSnapshot.run(key)
          this.#deleteUpdates.run(key)
          this.#deleteVersions.run(key)
          this.#deleteSetAside.run(key)
          this.#deleteAttribution.run(key)
          this.#db.prepare('DELETE FROM trash WHERE id = ?').run(id)
        }
        return doomed.length
      })
      .immediate()
  }

  async saveVersion(name: string, version: NewVersion): Promise<VersionInfo> {
    const { lastInsertRowid } = this.#insertVersion.run(
      name,
      version.createdAtMs,
      version.kind,
      version.label,
      JSON.stringify(version.authors),
      version.textLength,
      version.bytes,
    )
    const { bytes: _, ...info } = version
    return { ...info, authors: [...info.authors], id: Number(lastInsertRowid), doc: name }
  }

  async listVersions(name: string): Promise<VersionInfo[]> {
    return this.#selectVersions.all(name).map(versionInfo)
  }

  async loadVersion(name: string, id: number): Promise<Version | null> {
    const row = this.#selectVersion.get(name, id)
    return row ? { ...versionInfo(row), bytes: row.data } : null
  }

  async deleteVersions(name: string, ids: readonly number[]): Promise<number> {
    return this.#db.transaction(() => {
      let deleted = 0
      for (const id of ids) deleted += this.#deleteVersion.run(name, id).changes
      return deleted
    })()
  }

  async saveLink(link: LinkRecord): Promise<void> {
    this.#db.transaction(() => {
      this.#db
        .prepare('DELETE FROM links WHERE expires_at_ms < ?')
        .run(link.createdAtMs - LINK_KEPT_AFTER_EXPIRY_MS)
      this.#db
        .prepare(
          `INSERT INTO links (id, doc, name, mode, created_at_ms, expires_at_ms, minted_by)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          link.id,
          link.doc,
          link.name,
          link.mode,
          link.createdAtMs,
          link.expiresAtMs,
          link.mintedBy,
        )
    })()
  }

  async listLinks(doc: string, nowMs = Date.now()): Promise<LinkRecord[]> {
    const rows = this.#db
      .prepare(
        `SELECT id, doc, name, mode, created_at_ms, expires_at_ms, minted_by FROM links
         WHERE doc = ? AND revoked_at_ms IS NULL AND expires_at_ms > ?
         ORDER BY created_at_ms DESC, id DESC`,
      )
      .all(doc, nowMs) as LinkRow[]
    return rows.map(linkRecord)
  }

  async revokeLink(doc: string, id: string, nowMs = Date.now()): Promise<boolean> {
    const { changes } = this.#db
      .prepare(
        `UPDATE links SET revoked_at_ms = ?
         WHERE id = ? AND doc = ? AND revoked_at_ms IS NULL AND expires_at_ms > ?`,
      )
      .run(nowMs, id, doc, nowMs)
    return changes > 0
  }

  async revokedLinks(nowMs = Date.now()): Promise<string[]> {
    const rows = this.#db
      .prepare('SELECT id FROM links WHERE revoked_at_ms IS NOT NULL AND expires_at_ms > ?')
      .all(nowMs) as { id: string }[]
    return rows.map((r) => r.id)
  }

  async close(timeoutMs = 10_000): Promise<void> {
    await this.#appends.close(timeoutMs)
    await this.#checkpointer.close()
    this.#db.close()
  }
}

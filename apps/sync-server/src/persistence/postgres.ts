import { escapeIdentifier, escapeLiteral, Pool, type PoolClient } from 'pg'
import {
  authorKey,
  authorOfKey,
  docAttribution,
  foldAttribution,
  rowAttribution,
} from './attribution.js'
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

/** Names {@link PostgresStore.scan} reads per round trip. */
const SCAN_CHUNK_NAMES = 1000

/** How {@link PostgresStore.connect} connects, batches and retries; see {@link GroupCommitter}. */
export type PostgresStoreOptions = Partial<GroupCommitOptions> & {
  /**
   * Schema that holds Tandem's tables, created if missing. Without it, unqualified names are
   * resolved through the connection's `search_path` (usually `public`).
   */
  schema?: string
  /** Most connections the pool keeps open. */
  maxConnections?: number
  /** How long opening a connection may take before it fails. */
  connectTimeoutMs?: number
  /** Told when an idle pooled connection fails (for logs); the pool opens a new one when needed. */
  onConnectionError?: (err: Error) => void
}

const defaults = {
  ...defaultGroupCommitOptions,
  maxConnections: 10,
  connectTimeoutMs: 10_000,
}

interface Append {
  name: string
  update: Uint8Array
  attribution: UpdateAttribution | undefined
  /**
   * The sequence number an earlier attempt inserted this append under before its commit failed.
   * The commit may still have happened (its answer was lost), so a retry checks for the row.
   */
  attemptedSeq?: number
  /** The document's sequence number that attempt gave it. */
  attemptedDocSeq?: number
}

/** Fully qualified names and the statements that use them. */
interface Statements {
  touchDocuments: string
  insertUpdates: string
  upsertAuthors: string
  selectAuthors: string
  rowAttribution: string
  keptAttribution: string
  writeAttribution: string
  moveAttribution: string
  purgeAttribution: string
  existingSeqs: string
  load: string
  lastSeqs: string
  tryCompactLock: string
  writeSnapshot: string
  deleteUpdatesThrough: string
  list: string
  listPrefix: string
  scanNames: string
  scanPrefixNames: string
  describe: string
  insertVersion: string
  listVersions: string
  loadVersion: string
  deleteVersions: string
  lockDocuments: string
  exists: string
  moveDocument: string
  moveUpdates: string
  moveVersions: string
  insertTrash: string
  latestTrash: string
  listTrash: string
  takeTrashBefore: string
  deleteTrash: string
  purgeDocuments: string
  purgeUpdates: string
  purgeVersions: string
  insertSetAside: string
  listSetAside: string
  moveSetAside: string
  purgeSetAside: string
  forgetExpiredLinks: string
  insertLink: string
  listLinks: string
  revokeLink: string
  revokedLinks: string
}

interface VersionRow {
  id: string
  doc: string
  created_at_ms: string
  kind: VersionKind
  label: string | null
  authors: string[]
  text_length: number
}

function versionInfo(row: VersionRow): VersionInfo {
  return {
    id: toNumber(row.id),
    doc: row.doc,
    createdAtMs: toNumber(row.created_at_ms),
    label: row.label,
    kind: row.kind,
    authors: row.authors,
    textLength: row.text_length,
  }
}

/** `table` in `schema`, or unqualified (found through `search_path`) without one. */
function qualified(schema: string | undefined, table: string): string {
  return schema === undefined ? table : `${escapeIdentifier(schema)}.${table}`
}

function statements(schema: string | undefined, sequence: string): Statements {
  const qualify = (table: string) => qualified(schema, table)
  const documents = qualify('tandem_documents')
  const updates = qualify('tandem_updates')
  const listColumns = `
      SELECT d.name, d.updated_at_ms,
             COALESCE(octet_length(d.snapshot), 0)
               + COALESCE((SELECT sum(octet_length(u.data)) FROM ${updates} u WHERE u.doc = d.name), 0)
               AS stored_bytes`
  const versions = qualify('tandem_versions')
  const trash = qualify('tandem_trash')
  const setAside = qualify('tandem_set_aside')
  const links = qualify('tandem_links')
  const authors = qualify('tandem_authors')
  const attributions = qualify('tandem_attributions')
  const linkColumns = 'id, doc, name, mode, created_at_ms, expires_at_ms, minted_by'
  const versionColumns = 'id, doc, created_at_ms, kind, label, authors, text_length'
  return {
    // Locks each document's row, in a fixed order, until the commit: appends to one document
    // from several servers take their sequence numbers and commit one after the other, so
    // sequence order is commit order and a reader never sees a later update before an earlier.
    touchDocuments: `
      INSERT INTO ${documents} (name, created_at_ms, updated_at_ms)
      SELECT name, $2::bigint, $2::bigint FROM unnest($1::text[]) AS t(name) ORDER BY name COLLATE "C"
      ON CONFLICT (name) DO UPDATE SET updated_at_ms = excluded.updated_at_ms`,
    // Each document's counter (its row is locked by touchDocuments) numbers its new updates
    // contiguously in input order. The n-th row of the input also gets the n-th smallest of the
    // n row ids drawn, so the caller maps returned rows to appends by sorting them by `seq`.
    insertUpdates: `
      WITH input AS (
        SELECT t.doc, t.data, t.attribution, t.ord
        FROM unnest($1::text[], $2::bytea[], $3::bytea[]) WITH ORDINALITY AS t(doc, data, attribution, ord)
      ), counts AS (
        SELECT doc, count(*) AS n FROM input GROUP BY doc
      ), bumped AS (
        UPDATE ${documents} d SET last_seq = d.last_seq + c.n
        FROM counts c WHERE d.name = c.doc
        RETURNING d.name, d.last_seq - c.n AS base
      )
      INSERT INTO ${updates} (seq, doc, doc_seq, data, attribution)
      SELECT s.seq, i.doc, b.base + row_number() OVER (PARTITION BY i.doc ORDER BY i.ord), i.data,
             i.attribution
      FROM input i
      JOIN bumped b ON b.name = i.doc
      JOIN (
        SELECT drawn.seq, row_number() OVER (ORDER BY drawn.seq) AS ord
        FROM (
          SELECT nextval(${escapeLiteral(sequence)}::regclass) AS seq
          FROM generate_series(1, cardinality($1::text[]))
        ) AS drawn
      ) AS s ON s.ord = i.ord
      RETURNING seq, doc_seq`,
    existingSeqs: `SELECT seq FROM ${updates} WHERE seq = ANY($1::bigint[])`,
    // One statement, so the snapshot and the updates after it come from one database snapshot
    // even while another connection compacts. The snapshot is sent only if $2 is older.
    load: `
      SELECT NULL::bigint AS seq, CASE WHEN d.snapshot_seq > $2 THEN d.snapshot END AS data,
             d.last_seq
      FROM ${documents} d WHERE d.name = $1
      UNION ALL
      SELECT u.doc_seq, u.data, NULL
      FROM ${updates} u
      JOIN ${documents} d ON d.name = u.doc AND u.doc_seq > GREATEST(d.snapshot_seq, $2)
      WHERE u.doc = $1
      ORDER BY seq NULLS FIRST`,
    lastSeqs: `SELECT name, last_seq FROM ${documents} WHERE name = ANY($1::text[])`,
    // Held until the compaction's transaction ends; another server's compaction skips.
    tryCompactLock: `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked`,
    writeSnapshot: `
      INSERT INTO ${documents} AS d
        (name, snapshot, snapshot_seq, last_seq, created_at_ms, updated_at_ms)
      VALUES ($1, $2, $3, $3, $4, $4)
      ON CONFLICT (name) DO UPDATE SET snapshot = excluded.snapshot,
        snapshot_seq = excluded.snapshot_seq
      WHERE d.snapshot_seq <= excluded.snapshot_seq`,
    deleteUpdatesThrough: `DELETE FROM ${updates} WHERE doc = $1 AND doc_seq <= $2`,
    // $1: after, $2: from (see pageStart), $3: limit, $4: the prefix's end. Ordered by code point ("C"), which
    // the index tandem_documents_by_name serves whatever the database's collation.
    list: `
      ${listColumns} FROM ${documents} d
      WHERE d.name COLLATE "C" >= $2 AND d.name <> $1 AND substr(d.name, 1, 1) <> '%'
      ORDER BY d.name COLLATE "C" LIMIT $3`,
    listPrefix: `
      ${listColumns} FROM ${documents} d
      WHERE d.name COLLATE "C" >= $2 AND d.name <> $1 AND d.name COLLATE "C" < $4
        AND substr(d.name, 1, 1) <> '%'
      ORDER BY d.name COLLATE "C" LIMIT $3`,
    // The same ranges, names alone (trashed rows included: scan counts what it reads).
    scanNames: `
      SELECT name FROM ${documents}
      WHERE name COLLATE "C" >= $2 AND name <> $1
      ORDER BY name COLLATE "C" LIMIT $3`,
    scanPrefixNames: `
      SELECT name FROM ${documents}
      WHERE name COLLATE "C" >= $2 AND name <> $1 AND name COLLATE "C" < $4
      ORDER BY name COLLATE "C" LIMIT $3`,
    describe: `${listColumns} FROM ${documents} d WHERE d.name = ANY($1::text[])`,
    insertVersion: `
      INSERT INTO ${versions} (doc, created_at_ms, kind, label, authors, text_length, data)
      VALUES ($1, $2, $3, $4, $5, $6, $7)
      RETURNING id`,
    listVersions: `
      SELECT ${versionColumns} FROM ${versions} WHERE doc = $1
      ORDER BY created_at_ms DESC, id DESC`,
    loadVersion: `SELECT ${versionColumns}, data FROM ${versions} WHERE doc = $1 AND id = $2`,
    deleteVersions: `DELETE FROM ${versions} WHERE doc = $1 AND id = ANY($2::bigint[])`,
    // Locks the rows appends lock (touchDocuments), in the same order, so that a move waits
    // for appends in flight and they for it.
    lockDocuments: `
      SELECT name FROM ${documents} WHERE name = ANY($1::text[])
      ORDER BY name COLLATE "C" FOR UPDATE`,
    exists: `
      SELECT EXISTS (SELECT 1 FROM ${documents} WHERE name = $1)
          OR EXISTS (SELECT 1 FROM ${versions} WHERE doc = $1) AS found`,
    moveDocument: `UPDATE ${documents} SET name = $2 WHERE name = $1`,
    moveUpdates: `UPDATE ${updates} SET doc = $2 WHERE doc = $1`,
    moveVersions: `UPDATE ${versions} SET doc = $2 WHERE doc = $1`,
    insertTrash: `INSERT INTO ${trash} (name, deleted_at_ms) VALUES ($1, $2) RETURNING id`,
    latestTrash: `
      SELECT id FROM ${trash} WHERE name = $1 ORDER BY id DESC LIMIT 1 FOR UPDATE`,
    listTrash: `
      SELECT t.name, t.deleted_at_ms, d.updated_at_ms,
             COALESCE(octet_length(d.snapshot), 0)
               + COALESCE((SELECT sum(octet_length(u.data)) FROM ${updates} u WHERE u.doc = d.name), 0)
               AS stored_bytes
      FROM ${trash} t LEFT JOIN ${documents} d ON d.name = $1::text || t.id
      ORDER BY t.deleted_at_ms DESC, t.id DESC`,
    takeTrashBefore: `DELETE FROM ${trash} WHERE deleted_at_ms < $1 RETURNING id`,
    deleteTrash: `DELETE FROM ${trash} WHERE id = $1`,
    purgeDocuments: `DELETE FROM ${documents} WHERE name = ANY($1::text[])`,
    purgeUpdates: `DELETE FROM ${updates} WHERE doc = ANY($1::text[])`,
    purgeVersions: `DELETE FROM ${versions} WHERE doc = ANY($1::text[])`,
    insertSetAside: `
      INSERT INTO ${setAside} (doc, seq, kind, set_aside_at_ms, reason, data)
      SELECT $1, t.seq, t.kind, t.at, t.reason, t.data
      FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::bytea[])
        AS t(seq, kind, at, reason, data)
      ON CONFLICT (doc, seq, kind) DO NOTHING`,
    listSetAside: `
      SELECT seq, kind, set_aside_at_ms, reason, data FROM ${setAside} WHERE doc = $1
      ORDER BY seq, kind = 'update'`,
    // Authors are numbered once for every server: an author another server numbered meanwhile
    // is read by the second statement (run again if this one's snapshot missed it).
    upsertAuthors: `
      INSERT INTO ${authors} (key, color) SELECT * FROM unnest($1::text[], $2::text[])
      ON CONFLICT (key) DO NOTHING`,
    selectAuthors: `SELECT id, key, color FROM ${authors} WHERE key = ANY($1::text[]) OR id = ANY($2::bigint[])`,
    rowAttribution: `
      SELECT attribution FROM ${updates}
      WHERE doc = $1 AND doc_seq <= $2 AND attribution IS NOT NULL ORDER BY doc_seq`,
    keptAttribution: `SELECT data FROM ${attributions} WHERE doc = $1`,
    writeAttribution: `
      INSERT INTO ${attributions} (doc, data) VALUES ($1, $2)
      ON CONFLICT (doc) DO UPDATE SET data = excluded.data`,
    moveAttribution: `UPDATE ${attributions} SET doc = $2 WHERE doc = $1`,
    purgeAttribution: `DELETE FROM ${attributions} WHERE doc = ANY($1::text[])`,
    moveSetAside: `UPDATE ${setAside} SET doc = $2 WHERE doc = $1`,
    purgeSetAside: `DELETE FROM ${setAside} WHERE doc = ANY($1::text[])`,
    forgetExpiredLinks: `DELETE FROM ${links} WHERE expires_at_ms < $1`,
    insertLink: `
      INSERT INTO ${links} (${linkColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    listLinks: `
      SELECT ${linkColumns} FROM ${links}
      WHERE doc = $1 AND revoked_at_ms IS NULL AND expires_at_ms > $2
      ORDER BY created_at_ms DESC, id COLLATE "C" DESC`,
    revokeLink: `
      UPDATE ${links} SET revoked_at_ms = $3
      WHERE id = $1 AND doc = $2 AND revoked_at_ms IS NULL AND expires_at_ms > $3`,
    revokedLinks: `
      SELECT id FROM ${links} WHERE revoked_at_ms IS NOT NULL AND expires_at_ms > $1`,
  }
}

/** `migrations(schema)[v]` brings the tables from schema version `v` to `v + 1`. */
function migrations(schema: string | undefined): string[] {
  const qualify = (table: string) => qualified(schema, table)
  return [
    // 0 → 1: the update log and its snapshots.
    `
    CREATE TABLE IF NOT EXISTS ${qualify('tandem_documents')} (
      name          TEXT PRIMARY KEY,
      snapshot      BYTEA,
      snapshot_seq  BIGINT NOT NULL DEFAULT 0,
      created_at_ms BIGINT NOT NULL,
      updated_at_ms BIGINT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS ${qualify('tandem_updates')} (
      -- A sequence: a number is never reused, even after compaction deletes the newest rows.
      seq  BIGSERIAL PRIMARY KEY,
      doc  TEXT NOT NULL,
      data BYTEA NOT NULL
    );
    CREATE INDEX IF NOT EXISTS tandem_updates_by_doc ON ${qualify('tandem_updates')} (doc, seq);`,
    // 1 → 2: versions (history).
    `
    CREATE TABLE IF NOT EXISTS ${qualify('tandem_versions')} (
      id            BIGSERIAL PRIMARY KEY,
      doc           TEXT NOT NULL,
      created_at_ms BIGINT NOT NULL,
      kind          TEXT NOT NULL CHECK (kind IN ('auto', 'named', 'restore', 'import')),
      label         TEXT,
      authors       TEXT[] NOT NULL,
      text_length   INTEGER NOT NULL,
      data          BYTEA NOT NULL
    );
    CREATE INDEX IF NOT EXISTS tandem_versions_by_doc
      ON ${qualify('tandem_versions')} (doc, created_at_ms, id);`,
    // 2 → 3: per-document sequence numbers (contiguous, for nodes to detect missed updates).
    // Existing updates are numbered in their order; a snapshot counts as number 1.
    `
    ALTER TABLE ${qualify('tandem_documents')} ADD COLUMN last_seq BIGINT NOT NULL DEFAULT 0;
    ALTER TABLE ${qualify('tandem_updates')} ADD COLUMN doc_seq BIGINT;
    UPDATE ${qualify('tandem_updates')} AS u SET doc_seq = n.doc_seq
    FROM (
      SELECT u.seq, row_number() OVER (PARTITION BY u.doc ORDER BY u.seq)
               + CASE WHEN d.snapshot IS NULL THEN 0 ELSE 1 END AS doc_seq
      FROM ${qualify('tandem_updates')} u
      LEFT JOIN ${qualify('tandem_documents')} d ON d.name = u.doc
    ) AS n
    WHERE u.seq = n.seq;
    UPDATE ${qualify('tandem_documents')} AS d SET
      snapshot_seq = CASE WHEN d.snapshot IS NULL THEN 0 ELSE 1 END + (
        SELECT count(*) FROM ${qualify('tandem_updates')} u
        WHERE u.doc = d.name AND u.seq <= d.snapshot_seq),
      last_seq = CASE WHEN d.snapshot IS NULL THEN 0 ELSE 1 END + (
        SELECT count(*) FROM ${qualify('tandem_updates')} u WHERE u.doc = d.name);
    ALTER TABLE ${qualify('tandem_updates')} ALTER COLUMN doc_seq SET NOT NULL;
    DROP INDEX IF EXISTS ${qualify('tandem_updates_by_doc')};
    CREATE UNIQUE INDEX tandem_updates_by_doc_seq ON ${qualify('tandem_updates')} (doc, doc_seq);`,
    // 3 → 4: the trash. A deleted document's rows stay in the tables above under the name
    // `%trash/<id>` (see trashKey), which no document can have, until restored or purged.
    `
    CREATE TABLE ${qualify('tandem_trash')} (
      id            BIGSERIAL PRIMARY KEY,
      name          TEXT NOT NULL,
      deleted_at_ms BIGINT NOT NULL
    );
    CREATE INDEX tandem_trash_by_name ON ${qualify('tandem_trash')} (name, id);
    CREATE INDEX tandem_trash_by_time ON ${qualify('tandem_trash')} (deleted_at_ms);`,
    // 4 → 5: stored updates that a fold could not apply, kept apart (see DocStore.setAside).
    `
    CREATE TABLE ${qualify('tandem_set_aside')} (
      doc             TEXT NOT NULL,
      seq             BIGINT NOT NULL,
      kind            TEXT NOT NULL CHECK (kind IN ('update', 'snapshot')),
      set_aside_at_ms BIGINT NOT NULL,
      reason          TEXT NOT NULL,
      data            BYTEA NOT NULL,
      PRIMARY KEY (doc, seq, kind)
    );`,
    // 5 → 6: share links the servers minted, and their revocations (see DocStore.saveLink).
    `
    CREATE TABLE ${qualify('tandem_links')} (
      id            TEXT PRIMARY KEY,
      doc           TEXT NOT NULL,
      name          TEXT NOT NULL,
      mode          TEXT NOT NULL CHECK (mode IN ('view', 'edit')),
      created_at_ms BIGINT NOT NULL,
      expires_at_ms BIGINT NOT NULL,
      minted_by     TEXT,
      revoked_at_ms BIGINT
    );
    CREATE INDEX tandem_links_by_doc ON ${qualify('tandem_links')} (doc, created_at_ms);
    CREATE INDEX tandem_links_by_expiry ON ${qualify('tandem_links')} (expires_at_ms);
    CREATE INDEX tandem_links_revoked ON ${qualify('tandem_links')} (revoked_at_ms)
      WHERE revoked_at_ms IS NOT NULL;`,
    // 6 → 7: documents by name in code-point order, for the pages of list.
    `
    CREATE INDEX IF NOT EXISTS tandem_documents_by_name ON ${qualify('tandem_documents')} (name COLLATE "C");`,
    // 7 → 8: attribution (SPEC B). Authors numbered once for every server; each update's record
    // (author, time, the ids it inserted and deleted) with it in the log; what compaction
    // replaced, per document.
    `
    CREATE TABLE ${qualify('tandem_authors')} (
      id    BIGSERIAL PRIMARY KEY,
      key   TEXT NOT NULL UNIQUE, -- JSON: [subject, name, verified]
      color TEXT
    );
    ALTER TABLE ${qualify('tandem_updates')} ADD COLUMN attribution BYTEA;
    CREATE TABLE ${qualify('tandem_attributions')} (
      doc  TEXT PRIMARY KEY,
      data BYTEA NOT NULL
    );`,
  ]
}

/** How long a link is kept after it expired (then its token no longer works anyway). */
const LINK_KEPT_AFTER_EXPIRY_MS = 24 * 60 * 60 * 1000

/** A BIGINT as PostgreSQL sends it (text), as a number. */
function toNumber(value: string | number): number {
  const n = Number(value)
  if (!Number.isSafeInteger(n)) throw new Error(`${value} is not a safe integer`)
  return n
}

/**
 * The shared store: documents in PostgreSQL, so several servers can use one database. A
 * resolved append is committed (and, with the server's default `synchronous_commit`, flushed
 * to its WAL). Appends are group-committed: all appends made in one event-loop turn go into
 * one transaction and one multi-row INSERT, with at most one such transaction in flight.
 */
export class PostgresStore implements DocStore {
  readonly #pool: Pool
  readonly #sql: Statements
  readonly #schema: string | undefined
  readonly #appends: GroupCommitter<Append>
  /** Authors' numbers by key, and authors by number, as far as this server has seen them. */
  readonly #authorIds = new Map<string, number>()
  readonly #authors = new Map<number, Author>()
  readonly #authorObjects = new WeakMap<Author, number>()
  #closing: Promise<void> | null = null

  /**
   * Connects to `url` (a `postgres://` connection string) and creates or checks the tables.
   * Several servers may connect at once: the migration holds an advisory lock.
   */
  static async connect(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const settings = { ...defaults, ...options }
    const pool = new Pool({
      connectionString: url,
      max: settings.maxConnections,
      connectionTimeoutMillis: settings.connectTimeoutMs,
      application_name: 'tandem-sync-server',
    })
    // Without a listener an idle connection's failure (a restart, a terminated backend) would
    // be an unhandled 'error' event; the pool has already dropped the connection.
    pool.on('error', (err) => options.onConnectionError?.(err))
    let sequence: string
    try {
      sequence = await migrate(pool, settings.schema)
    } catch (err) {
      await pool.end()
      const reason = err instanceof Error ? err.message : String(err)
      throw new Error(`PostgreSQL: cannot prepare the database: ${reason}`, { cause: err })
    }
    return new PostgresStore(pool, statements(settings.schema, sequence), settings)
  }

  private constructor(
    pool: Pool,
    sql: Statements,
    options: GroupCommitOptions & { schema?: string | undefined },
  ) {
    this.#pool = pool
    this.#sql = sql
    this.#schema = options.schema
    this.#appends = new GroupCommitter((batch) => this.#commit(batch), options)
  }

  /** The connection pool, for tests that need to provoke storage failures. */
  get pool(): Pool {
    return this.#pool
  }

  load(name: string): Promise<StoredDocument | null> {
    return this.loadSince(name, -1)
  }

  async loadSince(name: string, afterSeq: number): Promise<StoredDocument | null> {
    const { rows } = await this.#pool.query<{
      seq: string | null
      data: Buffer | null
      last_seq: string | null
    }>(this.#sql.load, [name, afterSeq])
    const [doc, ...updates] = rows
    if (!doc) return null
    return {
      snapshot: doc.data,
      updates: updates.map((row) => row.data!),
      lastSeq: toNumber(doc.last_seq!),
    }
  }

  async lastSeqs(names: readonly string[]): Promise<Map<string, number>> {
    const { rows } = await this.#pool.query<{ name: string; last_seq: string }>(
      this.#sql.lastSeqs,
      [names],
    )
    return new Map(rows.map((row) => [row.name, toNumber(row.last_seq)]))
  }

  append(name: string, update: Uint8Array, attribution?: UpdateAttribution): Promise<number> {
    return this.#appends.add({ name, update, attribution }, update.length)
  }

  /** Numbers the authors of `keys` not numbered yet (for every server), and learns their ids. */
  async #numberAuthors(client: Pool | PoolClient, authors: readonly Author[]): Promise<void> {
    const colors = new Map<string, string | null>()
    const unknown: [Author, string][] = []
    for (const author of authors) {
      // A room passes the same object for every edit of a connection: no key to build then.
      if (this.#authorObjects.has(author)) continue
      const key = authorKey(author)
      const id = this.#authorIds.get(key)
      if (id !== undefined) this.#authorObjects.set(author, id)
      else {
        unknown.push([author, key])
        if (!colors.has(key)) colors.set(key, author.color ?? null)
      }
    }
    if (colors.size === 0) return
    const missing = [...colors.keys()]
    await client.query(this.#sql.upsertAuthors, [missing, [...colors.values()]])
    for (let attempt = 0; attempt < 2; attempt++) {
      await this.#readAuthors(client, missing, [])
      if (missing.every((key) => this.#authorIds.has(key))) {
        for (const [author, key] of unknown)
          this.#authorObjects.set(author, this.#authorIds.get(key)!)
        return
      }
    }
    throw new Error('an author could not be numbered')
  }

  async #readAuthors(
    client: Pool | PoolClient,
    keys: readonly string[],
    ids: readonly number[],
  ): Promise<void> {
    const { rows } = await client.query<{ id: string; key: string; color: string | null }>(
      this.#sql.selectAuthors,
      [keys, ids],
    )
    for (const row of rows) {
      const id = toNumber(row.id)
      this.#authorIds.set(row.key, id)
      this.#authors.set(id, authorOfKey(row.key, row.color))
    }
  }

  async loadAttribution(name: string): Promise<DocAttribution> {
    const parts = await this.#transaction(async (client) => {
      const kept = await client.query<{ data: Buffer }>(this.#sql.keptAttribution, [name])
      const rows = await client.query<{ attribution: Buffer }>(this.#sql.rowAttribution, [
        name,
        Number.MAX_SAFE_INTEGER,
      ])
      return [kept.rows[0]?.data, ...rows.rows.map((r) => r.attribution)]
    })
    const found = docAttribution(parts, this.#authors)
    const unknown = found.authors.filter((a) => !this.#authors.has(a.id)).map((a) => a.id)
    if (unknown.length === 0) return found
    await this.#readAuthors(this.#pool, [], unknown)
    return docAttribution(parts, this.#authors)
  }

  /** Commits `batch` in one transaction; returns each append's document sequence number. */
  async #commit(batch: Append[]): Promise<number[]> {
    return this.#transaction(async (client) => {
      const names = [...new Set(batch.map((a) => a.name))]
      await client.query(this.#sql.touchDocuments, [names, Date.now()])

      // Appends a previous attempt inserted may have committed although that attempt failed.
      // They are always the batch's first ones, so what is inserted now still follows them.
      const attempted = batch.filter((a) => a.attemptedSeq !== undefined)
      const committed = new Set<number>()
      if (attempted.length > 0) {
        const { rows } = await client.query<{ seq: string }>(this.#sql.existingSeqs, [
          attempted.map((a) => a.attemptedSeq),
        ])
        for (const row of rows) committed.add(toNumber(row.seq))
      }
      const todo = batch.filter(
        (a) => a.attemptedSeq === undefined || !committed.has(a.attemptedSeq),
      )
      if (todo.length > 0) {
        await this.#numberAuthors(
          client,
          todo.flatMap((a) => (a.attribution ? [a.attribution.author] : [])),
        )
        const { rows } = await client.query<{ seq: string; doc_seq: string }>(
          this.#sql.insertUpdates,
          [
            todo.map((a) => a.name),
            todo.map((a) => a.update),
            todo.map((a) =>
              a.attribution
                ? rowAttribution(this.#authorObjects.get(a.attribution.author)!, a.attribution)
                : null,
            ),
          ],
        )
        if (rows.length !== todo.length) {
          throw new Error(`inserted ${rows.length} updates for ${todo.length} appends`)
        }
        const inserted = rows
          .map((row) => ({ seq: toNumber(row.seq), docSeq: toNumber(row.doc_seq) }))
          .sort((x, y) => x.seq - y.seq)
        for (const [i, a] of todo.entries()) {
          a.attemptedSeq = inserted[i]!.seq
          a.attemptedDocSeq = inserted[i]!.docSeq
        }
      }
      return batch.map((a) => a.attemptedDocSeq!)
    })
  }

  health(): StoreHealth {
    const failure = this.#appends.failure
    if (failure === null) return { ok: true }
    return {
      ok: false,
      reason: `PostgreSQL: ${failure instanceof Error ? failure.message : String(failure)}`,
    }
  }

  async compact(
    name: string,
    snapshot: Uint8Array,
    throughSeq: number,
    setAside: readonly SetAsideUpdate[] = [],
  ): Promise<boolean> {
    return this.#transaction(async (client) => {
      await this.#keepApart(client, name, setAside)
      const { rows } = await client.query<{ locked: boolean }>(this.#sql.tryCompactLock, [
        `tandem:compact:${this.#schema ?? ''}:${name}`,
      ])
      if (!rows[0]?.locked) return false
      const written = await client.query(this.#sql.writeSnapshot, [
        name,
        snapshot,
        throughSeq,
        Date.now(),
      ])
      if (written.rowCount === 0) return true // an older compaction than the stored snapshot's
      const replaced = await client.query<{ attribution: Buffer }>(this.#sql.rowAttribution, [
        name,
        throughSeq,
      ])
      if (replaced.rows.length > 0) {
        const kept = await client.query<{ data: Buffer }>(this.#sql.keptAttribution, [name])
        await client.query(this.#sql.writeAttribution, [
          name,
          foldAttribution([kept.rows[0]?.data, ...replaced.rows.map((r) => r.attribution)]),
        ])
      }
      await client.query(this.#sql.deleteUpdatesThrough, [name, throughSeq])
      return true
    })
  }

  async setAside(name: string, entries: readonly SetAsideUpdate[]): Promise<number> {
    if (entries.length === 0) return 0
    return this.#transaction((client) => this.#keepApart(client, name, entries))
  }

  /** Inserts the entries not kept yet, in the caller's transaction; returns how many. */
  async #keepApart(
    client: PoolClient,
    name: string,
    entries: readonly SetAsideUpdate[],
  ): Promise<number> {
    if (entries.length === 0) return 0
    const { rowCount } = await client.query(this.#sql.insertSetAside, [
      name,
      entries.map((e) => e.seq),
      entries.map((e) => e.kind),
      entries.map((e) => e.setAsideAtMs),
      entries.map((e) => e.reason),
      entries.map((e) => e.bytes),
    ])
    return rowCount ?? 0
  }

  async listSetAside(name: string): Promise<SetAsideUpdate[]> {
    const { rows } = await this.#pool.query<{
      seq: string
      kind: SetAsideUpdate['kind']
      set_aside_at_ms: string
      reason: string
      data: Buffer
    }>(this.#sql.listSetAside, [name])
    return rows.map((r) => ({
      seq: toNumber(r.seq),
      kind: r.kind,
      bytes: r.data,
      reason: r.reason,
      setAsideAtMs: toNumber(r.set_aside_at_ms),
    }))
  }

  async list(page: ListPage = { limit: MAX_LIST_LIMIT }): Promise<DocumentInfo[]> {
    checkListPage(page)
    const prefix = page.prefix ?? ''
    const end = prefixEnd(prefix)
    const { from, after } = pageStart(page)
    const params: (string | number)[] = [after, from, page.limit]
    if (end !== null) params.push(end)
    const { rows } = await this.#pool.query<{
      name: string
      updated_at_ms: string
      stored_bytes: string
    }>(end === null ? this.#sql.list : this.#sql.listPrefix, params)
    return rows.map((r) => ({
      name: r.name,
      updatedAtMs: toNumber(r.updated_at_ms),
      storedBytes: toNumber(r.stored_bytes),
    }))
  }

  async scan(page: ScanPage): Promise<ScanResult> {
    const scan = new NameScan(page)
    const end = prefixEnd(page.prefix ?? '')
    let { from, after } = pageStart(page)
    // A round trip per chunk, so a filter that has its `limit` early reads no further.
    while (scan.remaining > 0) {
      const chunk = Math.min(scan.remaining, SCAN_CHUNK_NAMES)
      const params: (string | number)[] = [after, from, chunk]
      if (end !== null) params.push(end)
      const { rows } = await this.#pool.query<{ name: string }>(
        end === null ? this.#sql.scanNames : this.#sql.scanPrefixNames,
        params,
      )
      for (const { name } of rows) if (!scan.read(name)) break
      if (rows.length < chunk) break
      from = after = rows.at(-1)!.name
    }
    if (scan.kept.length === 0) return scan.result([])
    const { rows } = await this.#pool.query<{
      name: string
      updated_at_ms: string
      stored_bytes: string
    }>(this.#sql.describe, [scan.kept])
    const byName = new Map(rows.map((r) => [r.name, r]))
    return scan.result(
      scan.kept.flatMap((name) => {
        const row = byName.get(name)
        return row
          ? [
              {
                name,
                updatedAtMs: toNumber(row.updated_at_ms),
                storedBytes: toNumber(row.stored_bytes),
              },
            ]
          : []
      }),
    )
  }

  async saveVersion(name: string, version: NewVersion): Promise<VersionInfo> {
    const { rows } = await this.#pool.query<{ id: string }>(this.#sql.insertVersion, [
      name,
      version.createdAtMs,
      version.kind,
      version.label,
      version.authors,
      version.textLength,
      version.bytes,
    ])
    const { bytes: _, ...info } = version
    return { ...info, authors: [...info.authors], id: toNumber(rows[0]!.id), doc: name }
  }

  async listVersions(name: string): Promise<VersionInfo[]> {
    const { rows } = await this.#pool.query<VersionRow>(this.#sql.listVersions, [name])
    return rows.map(versionInfo)
  }

  async loadVersion(name: string, id: number): Promise<Version | null> {
    const { rows } = await this.#pool.query<VersionRow & { data: Buffer }>(this.#sql.loadVersion, [
      name,
      id,
    ])
    const row = rows[0]
    return row ? { ...versionInfo(row), bytes: row.data } : null
  }

  async deleteVersions(name: string, ids: readonly number[]): Promise<number> {
    if (ids.length === 0) return 0
    const { rowCount } = await this.#pool.query(this.#sql.deleteVersions, [name, ids])
    return rowCount ?? 0
  }

  async #stored(client: PoolClient, name: string): Promise<boolean> {
    const { rows } = await client.query<{ found: boolean }>(this.#sql.exists, [name])
    return rows[0]?.found === true
  }

  /** Moves every row of `from` to `to`, in the caller's transaction. */
  async #move(client: PoolClient, from: string, to: string): Promise<void> {
    await client.query(this.#sql.moveDocument, [from, to])
    await client.query(this.#sql.moveUpdates, [from, to])
    await client.query(this.#sql.moveVersions, [from, to])
    await client.query(this.#sql.moveSetAside, [from, to])
    await client.query(this.#sql.moveAttribution, [from, to])
  }

  async rename(from: string, to: string): Promise<MoveOutcome> {
    try {
      return await this.#transaction(async (client): Promise<MoveOutcome> => {
        await client.query(this.#sql.lockDocuments, [[from, to]])
        if (!(await this.#stored(client, from))) return 'not_found'
        if (await this.#stored(client, to)) return 'name_taken'
        await this.#move(client, from, to)
        return 'moved'
      })
    } catch (err) {
      // Another server created `to` after the check: its row is in the way.
      if (isUniqueViolation(err)) return 'name_taken'
      throw err
    }
  }

  async trash(name: string, nowMs = Date.now()): Promise<boolean> {
    return this.#transaction(async (client) => {
      await client.query(this.#sql.lockDocuments, [[name]])
      if (!(await this.#stored(client, name))) return false
      const { rows } = await client.query<{ id: string }>(this.#sql.insertTrash, [name, nowMs])
      await this.#move(client, name, trashKey(toNumber(rows[0]!.id)))
      return true
    })
  }

  async listTrash(): Promise<TrashedDocumentInfo[]> {
    const { rows } = await this.#pool.query<{
      name: string
      deleted_at_ms: string
      updated_at_ms: string | null
      stored_bytes: string
    }>(this.#sql.listTrash, [TRASH_KEY_PREFIX])
    return rows.map((r) => ({
      name: r.name,
      deletedAtMs: toNumber(r.deleted_at_ms),
      updatedAtMs: toNumber(r.updated_at_ms ?? r.deleted_at_ms),
      storedBytes: toNumber(r.stored_bytes),
    }))
  }

  async restore(name: string): Promise<MoveOutcome> {
    try {
      return await this.#transaction(async (client): Promise<MoveOutcome> => {
        const { rows } = await client.query<{ id: string }>(this.#sql.latestTrash, [name])
        const id = rows[0] && toNumber(rows[0].id)
        if (id === undefined) return 'not_found'
        await client.query(this.#sql.lockDocuments, [[name]])
        if (await this.#stored(client, name)) return 'name_taken'
        await this.#move(client, trashKey(id), name)
        await client.query(this.#sql.deleteTrash, [id])
        return 'moved'
      })
    } catch (err) {
      if (isUniqueViolation(err)) return 'name_taken'
      throw err
    }
  }

  async purgeTrash(deletedBeforeMs: number): Promise<number> {
    return this.#transaction(async (client) => {
      const { rows } = await client.query<{ id: string }>(this.#sql.takeTrashBefore, [
        deletedBeforeMs,
      ])
      if (rows.length === 0) return 0
      const keys = rows.map((row) => trashKey(toNumber(row.id)))
      await client.query(this.#sql.purgeDocuments, [keys])
      await client.query(this.#sql.purgeUpdates, [keys])
      await client.query(this.#sql.purgeVersions, [keys])
      await client.query(this.#sql.purgeSetAside, [keys])
      await client.query(this.#sql.purgeAttribution, [keys])
      return rows.length
    })
  }

  async saveLink(link: LinkRecord): Promise<void> {
    await this.#transaction(async (client) => {
      await client.query(this.#sql.forgetExpiredLinks, [
        link.createdAtMs - LINK_KEPT_AFTER_EXPIRY_MS,
      ])
      await client.query(this.#sql.insertLink, [
        link.id,
        link.doc,
        link.name,
        link.mode,
        link.createdAtMs,
        link.expiresAtMs,
        link.mintedBy,
      ])
    })
  }

  async listLinks(doc: string, nowMs = Date.now()): Promise<LinkRecord[]> {
    const { rows } = await this.#pool.query<{
      id: string
      doc: string
      name: string
      mode: LinkRecord['mode']
      created_at_ms: string
      expires_at_ms: string
      minted_by: string | null
    }>(this.#sql.listLinks, [doc, nowMs])
    return rows.map((r) => ({
      id: r.id,
      doc: r.doc,
      name: r.name,
      mode: r.mode,
      createdAtMs: toNumber(r.created_at_ms),
      expiresAtMs: toNumber(r.expires_at_ms),
      mintedBy: r.minted_by,
    }))
  }

  async revokeLink(doc: string, id: string, nowMs = Date.now()): Promise<boolean> {
    const { rowCount } = await this.#pool.query(this.#sql.revokeLink, [id, doc, nowMs])
    return (rowCount ?? 0) > 0
  }

  async revokedLinks(nowMs = Date.now()): Promise<string[]> {
    const { rows } = await this.#pool.query<{ id: string }>(this.#sql.revokedLinks, [nowMs])
    return rows.map((r) => r.id)
  }

  close(timeoutMs = 10_000): Promise<void> {
    this.#closing ??= (async () => {
      await this.#appends.close(timeoutMs)
      await this.#pool.end()
    })()
    return this.#closing
  }

  /**
   * Runs `work` in a transaction on one pooled connection. On any error the connection is
   * closed rather than returned to the pool, which also rolls the transaction back.
   */
  async #transaction<R>(work: (client: PoolClient) => Promise<R>): Promise<R> {
    return withClient(this.#pool, async (client) => {
      await client.query('BEGIN')
      const result = await work(client)
      await client.query('COMMIT')
      return result
    })
  }
}

/** Whether `err` is PostgreSQL's unique_violation (SQLSTATE 23505). */
function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '23505'
}

/**
 * Runs `work` with a pooled connection. A checked-out connection that fails emits 'error'
 * (unhandled, that would end the process); the failure also fails the running query.
 */
async function withClient<R>(pool: Pool, work: (client: PoolClient) => Promise<R>): Promise<R> {
  const client = await pool.connect()
  let failure: Error | undefined
  const onError = (err: Error) => {
    failure = err
  }
  client.on('error', onError)
  try {
    return await work(client)
  } catch (err) {
    failure ??= err instanceof Error ? err : new Error(String(err))
    throw err
  } finally {
    client.off('error', onError)
    client.release(failure)
  }
}

/**
 * Creates the schema and tables if missing and migrates older ones, under an advisory lock so
 * that servers starting together do not race; refuses a database written by a newer server. Returns the name of the
 * sequence that numbers updates.
 */
async function migrate(pool: Pool, schema: string | undefined): Promise<string> {
  const qualify = (table: string) => qualified(schema, table)
  return withClient(pool, async (client) => {
    await client.query('BEGIN')
    await client.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
      `tandem:migrate:${schema ?? ''}`,
    ])
    await client.query(`
      ${schema === undefined ? '' : `CREATE SCHEMA IF NOT EXISTS ${escapeIdentifier(schema)};`}
      CREATE TABLE IF NOT EXISTS ${qualify('tandem_schema_version')} (version INTEGER NOT NULL);`)
    const { rows } = await client.query<{ version: number | null }>(
      `SELECT max(version) AS version FROM ${qualify('tandem_schema_version')}`,
    )
    const version = rows[0]?.version ?? null
    if (version !== null && version > SCHEMA_VERSION) {
      throw new Error(`schema version ${version}; this server knows ${SCHEMA_VERSION}`)
    }
    const steps = migrations(schema)
    for (let v = version ?? 0; v < SCHEMA_VERSION; v++) await client.query(steps[v]!)
    if (version !== SCHEMA_VERSION) {
      await client.query(`DELETE FROM ${qualify('tandem_schema_version')}`)
      await client.query(`INSERT INTO ${qualify('tandem_schema_version')} (version) VALUES ($1)`, [
        SCHEMA_VERSION,
      ])
    }
    const sequence = await client.query<{ name: string | null }>(
      `SELECT pg_get_serial_sequence($1, 'seq') AS name`,
      [qualify('tandem_updates')],
    )
    const name = sequence.rows[0]?.name
    if (!name) throw new Error('tandem_updates.seq has no sequence')
    await client.query('COMMIT')
    return name
  })
}

import { randomBytes } from 'node:crypto'
import { escapeIdentifier, Pool, type PoolClient } from 'pg'
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { PostgresStore, type PostgresStoreOptions } from './postgres.js'
import { describeStoreContract } from './store.contract.js'

const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** `url` without its password, for messages. */
function shown(connectionString: string): string {
  const parsed = new URL(connectionString)
  if (parsed.password) parsed.password = '***'
  return parsed.toString()
}

/** A connection for the tests' own statements: dropping schemas, locking, reading xmin. */
const admin = new Pool({ connectionString: url, max: 3 })
admin.on('error', () => {
  // An idle admin connection that fails is replaced on its next use.
})
afterAll(() => admin.end())

const freshSchema = () => `tandem_test_${randomBytes(6).toString('hex')}`

async function connect(schema: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  try {
    return await PostgresStore.connect(url, { ...options, schema })
  } catch (err) {
    throw new Error(
      `cannot open a PostgresStore at ${shown(url)}; these tests need a running PostgreSQL ` +
        `(TEST_DATABASE_URL chooses another): ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    )
  }
}

const dropSchema = async (schema: string) => {
  await admin.query(`DROP SCHEMA IF EXISTS ${escapeIdentifier(schema)} CASCADE`)
}

let contractSchema = ''
describeStoreContract(
  'PostgreSQL',
  async () => {
    contractSchema = freshSchema()
    return connect(contractSchema)
  },
  async () => connect(contractSchema),
  async () => dropSchema(contractSchema),
)

const bytes = (text: string) => new TextEncoder().encode(text)
const text = (data: Uint8Array) => new TextDecoder().decode(data)
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Makes every connection of `store`'s pool run each query through `around`. */
function intercept(
  store: PostgresStore,
  around: (text: unknown, run: () => Promise<unknown>) => Promise<unknown>,
): void {
  const wrapped = new WeakSet<PoolClient>()
  store.pool.on('acquire', (client) => {
    if (wrapped.has(client)) return
    wrapped.add(client)
    const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>
    const intercepted = (...args: unknown[]) => around(args[0], () => query(...args))
    client.query = intercepted as typeof client.query
  })
}

describe('PostgresStore', () => {
  let schema: string
  let table: string
  const stores: PostgresStore[] = []
  const open = async (options: PostgresStoreOptions = {}) => {
    const store = await connect(schema, options)
    stores.push(store)
    return store
  }
  /** The transactions that inserted the document's rows (each row's `xmin`). */
  const transactionsOf = async (doc: string) => {
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(DISTINCT xmin::text)::int AS n FROM ${table} WHERE doc = $1`,
      [doc],
    )
    return rows[0]!.n
  }
  /** The pids of this test's stores' connections that wait for a lock. */
  const waitingBackends = async () => {
    const { rows } = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
       WHERE wait_event_type = 'Lock' AND position($1 in query) > 0`,
      [schema],
    )
    return rows.map((r) => r.pid)
  }
  /** The pid of the one connection of this test's stores that waits for a lock. */
  const waitingBackend = () =>
    vi.waitFor(
      async () => {
        const pids = await waitingBackends()
        expect(pids).toHaveLength(1)
        return pids[0]!
      },
      { timeout: 10_000, interval: 10 },
    )

  beforeEach(() => {
    schema = freshSchema()
    table = `${escapeIdentifier(schema)}.tandem_updates`
  })
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()))
    await dropSchema(schema)
  })

  it('servers that start together on a fresh database all migrate it', async () => {
    const started = await Promise.all(Array.from({ length: 6 }, () => open()))
    const seqs = await Promise.all(started.map((s, i) => s.append('doc', bytes(`node ${i}`))))
    expect(new Set(seqs).size).toBe(6)
  })

  it('refuses a database written by a newer server', async () => {
    await open()
    await admin.query(
      `UPDATE ${escapeIdentifier(schema)}.tandem_schema_version SET version = version + 1`,
    )
    await expect(PostgresStore.connect(url, { schema })).rejects.toThrow(
      /schema version 9; this server knows 8/,
    )
  })

  it('migrates a version 1 database to version 8, keeping its documents', async () => {
    const s = escapeIdentifier(schema)
    // The tables a schema-version-1 server created, as it created them.
    await admin.query(`
      CREATE SCHEMA ${s};
      CREATE TABLE ${s}.tandem_schema_version (version INTEGER NOT NULL);
      INSERT INTO ${s}.tandem_schema_version (version) VALUES (1);
      CREATE TABLE ${s}.tandem_documents (
        name TEXT PRIMARY KEY, snapshot BYTEA, snapshot_seq BIGINT NOT NULL DEFAULT 0,
        created_at_ms BIGINT NOT NULL, updated_at_ms BIGINT NOT NULL);
      CREATE TABLE ${s}.tandem_updates (
        seq BIGSERIAL PRIMARY KEY, doc TEXT NOT NULL, data BYTEA NOT NULL);
      CREATE INDEX tandem_updates_by_doc ON ${s}.tandem_updates (doc, seq);
      INSERT INTO ${s}.tandem_documents (name, created_at_ms, updated_at_ms) VALUES ('doc', 1, 1);
      INSERT INTO ${s}.tandem_updates (doc, data) VALUES ('doc', 'old');`)
    const [one, two] = await Promise.all([open(), open()])
    const { rows } = await admin.query(`SELECT version FROM ${s}.tandem_schema_version`)
    expect(rows).toEqual([{ version: 8 }])
    expect((await one.load('doc'))!.updates.map(text)).toEqual(['old'])
    expect(await two.append('doc', bytes('new'))).toBe(2)
    const version = await two.saveVersion('doc', {
      createdAtMs: 5,
      label: null,
      kind: 'auto',
      authors: ['Ada'],
      textLength: 3,
      bytes: bytes('old'),
    })
    expect(await one.listVersions('doc')).toEqual([version])
    // Version 4: the trash.
    expect(await one.trash('doc', 9)).toBe(true)
    expect(await two.restore('doc')).toBe('moved')
    expect((await one.load('doc'))!.updates.map(text)).toEqual(['old', 'new'])
    // Version 5: set-aside updates.
    const entry = {
      seq: 1,
      kind: 'update' as const,
      bytes: bytes('old'),
      reason: 'x',
      setAsideAtMs: 2,
    }
    expect(await one.compact('doc', bytes('snap'), 1, [entry])).toBe(true)
    expect((await two.listSetAside('doc')).map((e) => [e.seq, text(e.bytes)])).toEqual([[1, 'old']])
  })

  it('migrates a version 4 database to version 8: its documents stay, set-aside updates can be kept', async () => {
    const old = await open()
    await old.append('doc', bytes('u1'))
    await old.compact('doc', bytes('snap'), 1)
    await old.append('doc', bytes('u2'))
    const s = escapeIdentifier(schema)
    // What a version-4 server left: the same tables, without the set-aside one.
    await admin.query(
      `DROP TABLE ${s}.tandem_authors, ${s}.tandem_attributions; ALTER TABLE ${s}.tandem_updates DROP COLUMN attribution; DROP TABLE ${s}.tandem_set_aside, ${s}.tandem_links; UPDATE ${s}.tandem_schema_version SET version = 4`,
    )
    const store = await open()
    const { rows } = await admin.query(`SELECT version FROM ${s}.tandem_schema_version`)
    expect(rows).toEqual([{ version: 8 }])
    const loaded = (await store.load('doc'))!
    expect(text(loaded.snapshot!)).toBe('snap')
    expect(loaded.updates.map(text)).toEqual(['u2'])
    const entry = {
      seq: 2,
      kind: 'update' as const,
      bytes: bytes('u2'),
      reason: 'x',
      setAsideAtMs: 3,
    }
    expect(await store.compact('doc', bytes('snap2'), 2, [entry])).toBe(true)
    expect((await store.listSetAside('doc')).map((e) => [e.seq, text(e.bytes)])).toEqual([
      [2, 'u2'],
    ])
  })

  it('migrates a version 5 database to version 8: its documents stay, links can be recorded', async () => {
    const old = await open()
    await old.append('doc', bytes('u1'))
    const s = escapeIdentifier(schema)
    // What a version-5 server left: the same tables, without the links.
    await admin.query(
      `DROP TABLE ${s}.tandem_authors, ${s}.tandem_attributions; ALTER TABLE ${s}.tandem_updates DROP COLUMN attribution; DROP TABLE ${s}.tandem_links; UPDATE ${s}.tandem_schema_version SET version = 5`,
    )
    const store = await open()
    const { rows } = await admin.query(`SELECT version FROM ${s}.tandem_schema_version`)
    expect(rows).toEqual([{ version: 8 }])
    expect((await store.load('doc'))!.updates.map(text)).toEqual(['u1'])
    const t = Date.now()
    await store.saveLink({
      id: 'l1',
      doc: 'doc',
      name: 'Guest',
      mode: 'view',
      createdAtMs: t,
      expiresAtMs: t + 60_000,
      mintedBy: 'sub:alice',
    })
    expect((await old.listLinks('doc', t + 1)).map((l) => l.mintedBy)).toEqual(['sub:alice'])
    expect(await old.revokeLink('doc', 'l1', t + 1)).toBe(true)
    expect(await store.revokedLinks(t + 2)).toEqual(['l1'])
  })

  it('migrates a version 7 database to version 8: its documents stay, attribution can be recorded on every server', async () => {
    const old = await open()
    await old.append('doc', bytes('u1'))
    const s = escapeIdentifier(schema)
    // What a version-7 server left: the same tables, without attribution.
    await admin.query(
      `DROP TABLE ${s}.tandem_authors, ${s}.tandem_attributions; ALTER TABLE ${s}.tandem_updates DROP COLUMN attribution; UPDATE ${s}.tandem_schema_version SET version = 7`,
    )
    const [one, two] = await Promise.all([open(), open()])
    const { rows } = await admin.query(`SELECT version FROM ${s}.tandem_schema_version`)
    expect(rows).toEqual([{ version: 8 }])
    expect((await one.load('doc'))!.updates.map(text)).toEqual(['u1'])
    const ada = { name: 'Ada', verified: true, subject: 'sub:ada' }
    // Both servers number the same author alike.
    await one.append('doc', bytes('u2'), {
      author: ada,
      timeMs: 5,
      inserts: [1, 0, 2],
      deletes: [],
    })
    await two.append('doc', bytes('u3'), {
      author: ada,
      timeMs: 6,
      inserts: [2, 0, 1],
      deletes: [],
    })
    await two.compact('doc', bytes('snap'), 2)
    const seen = await one.loadAttribution('doc')
    expect(seen.authors.map((a) => a.name)).toEqual(['Ada'])
    expect(seen.records).toEqual([
      { author: seen.authors[0]!.id, timeMs: 5, inserts: [1, 0, 2, 2, 0, 1], deletes: [] },
    ])
    expect(await two.loadAttribution('doc')).toEqual(seen)
  })

  it('migrates a version 2 database to version 8, numbering each document’s updates from 1', async () => {
    const s = escapeIdentifier(schema)
    await admin.query(`
      CREATE SCHEMA ${s};
      CREATE TABLE ${s}.tandem_schema_version (version INTEGER NOT NULL);
      INSERT INTO ${s}.tandem_schema_version (version) VALUES (2);
      CREATE TABLE ${s}.tandem_documents (
        name TEXT PRIMARY KEY, snapshot BYTEA, snapshot_seq BIGINT NOT NULL DEFAULT 0,
        created_at_ms BIGINT NOT NULL, updated_at_ms BIGINT NOT NULL);
      CREATE TABLE ${s}.tandem_updates (
        seq BIGSERIAL PRIMARY KEY, doc TEXT NOT NULL, data BYTEA NOT NULL);
      CREATE INDEX tandem_updates_by_doc ON ${s}.tandem_updates (doc, seq);
      CREATE TABLE ${s}.tandem_versions (
        id BIGSERIAL PRIMARY KEY, doc TEXT NOT NULL, created_at_ms BIGINT NOT NULL,
        kind TEXT NOT NULL, label TEXT, authors TEXT[] NOT NULL, text_length INTEGER NOT NULL,
        data BYTEA NOT NULL);
      INSERT INTO ${s}.tandem_documents VALUES ('compacted', 'snap', 5, 1, 1), ('plain', NULL, 0, 1, 1);
      -- Global numbers, interleaved; 3 is older than the snapshot (covered by it).
      INSERT INTO ${s}.tandem_updates (seq, doc, data) VALUES
        (2, 'plain', 'p1'), (3, 'compacted', 'old'), (7, 'compacted', 'c1'),
        (8, 'plain', 'p2'), (9, 'compacted', 'c2');
      SELECT setval('${s}.tandem_updates_seq_seq', 9);`)
    const store = await open()
    const compacted = (await store.load('compacted'))!
    expect(text(compacted.snapshot!)).toBe('snap')
    expect(compacted.updates.map(text)).toEqual(['c1', 'c2'])
    expect(compacted.lastSeq).toBe(4)
    expect((await store.loadSince('compacted', 3))!.updates.map(text)).toEqual(['c2'])
    const plain = (await store.load('plain'))!
    expect(plain.updates.map(text)).toEqual(['p1', 'p2'])
    expect(plain.lastSeq).toBe(2)
    expect(await store.append('compacted', bytes('c3'))).toBe(5)
    expect(await store.append('plain', bytes('p3'))).toBe(3)
  })

  it('500 appends made in one turn commit in one transaction, each with the number of its own row', async () => {
    const store = await open()
    const updates = Array.from({ length: 500 }, (_, i) => bytes(`update ${i}`))
    const seqs = await Promise.all(updates.map((u) => store.append('doc', u)))
    expect(await transactionsOf('doc')).toBe(1)
    const { rows } = await admin.query<{ seq: string; data: Buffer }>(
      `SELECT doc_seq AS seq, data FROM ${table} ORDER BY seq`,
    )
    expect(seqs).toEqual(Array.from({ length: 500 }, (_, i) => i + 1))
    expect(rows.map((r) => Number(r.seq))).toEqual(seqs)
    expect(rows.map((r) => text(r.data))).toEqual(updates.map(text))
  })

  it('appends made while a batch commits wait and form the next batch', async () => {
    const store = await open()
    const first = store.append('doc', bytes('first'))
    // The first batch starts on this turn's setImmediate and cannot finish without I/O.
    await nextTurn()
    const rest = Array.from({ length: 200 }, (_, i) => store.append('doc', bytes(`rest ${i}`)))
    const seqs = await Promise.all([first, ...rest])
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y))
    expect(await transactionsOf('doc')).toBe(2)
  })

  it('two servers appending to one document: all updates, each server’s in order, and a reader only ever sees a prefix', async () => {
    const [one, two, reader] = [await open(), await open(), await open()]
    const issued: Promise<number>[] = []
    let writing = true
    const seen: string[][] = []
    const reading = (async () => {
      while (writing) seen.push(((await reader.load('doc'))?.updates ?? []).map(text))
    })()
    for (let round = 0; round < 30; round++) {
      for (let i = 0; i < 10; i++) {
        issued.push(one.append('doc', bytes(`one ${round}.${i}`)))
        issued.push(two.append('doc', bytes(`two ${round}.${i}`)))
      }
      await nextTurn()
    }
    const seqs = await Promise.all(issued)
    writing = false
    await reading
    // One counter for the document, whichever server appends: 1 to 600, each once.
    expect([...seqs].sort((x, y) => x - y)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1))

    const final = (await reader.load('doc'))!.updates.map(text)
    expect(final).toHaveLength(600)
    expect(new Set(final).size).toBe(600)
    const fromOne = final.filter((u) => u.startsWith('one'))
    expect(fromOne).toEqual(
      [...fromOne].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })),
    )
    const fromTwo = final.filter((u) => u.startsWith('two'))
    expect(fromTwo).toEqual(
      [...fromTwo].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })),
    )
    expect(seen.length).toBeGreaterThan(0)
    for (const view of seen) expect(final.slice(0, view.length)).toEqual(view)
  })

  it('an append to a document waits for another server’s uncommitted batch of it, so numbers follow commits', async () => {
    const [one, two] = [await open(), await open()]
    let tookNumbers = () => {}
    const numbered = new Promise<void>((resolve) => {
      tookNumbers = resolve
    })
    let release = () => {}
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    // `one` stops between taking its sequence numbers and committing.
    intercept(one, async (text, run) => {
      const result = await run()
      if (typeof text === 'string' && text.includes('nextval(')) {
        tookNumbers()
        await released
      }
      return result
    })
    const a = one.append('doc', bytes('a'))
    await numbered
    let bSettled = false
    const b = two.append('doc', bytes('b')).finally(() => {
      bSettled = true
    })
    try {
      // Without the document lock `b` would take a later number and commit before `a` does.
      await vi.waitFor(
        async () => {
          if (!bSettled) expect(await waitingBackends()).toHaveLength(1)
        },
        { timeout: 10_000, interval: 10 },
      )
      expect(bSettled).toBe(false)
    } finally {
      release()
    }
    const [seqA, seqB] = await Promise.all([a, b])
    expect(seqA).toBeLessThan(seqB)
    expect((await two.load('doc'))!.updates.map(text)).toEqual(['a', 'b'])
  })

  it('a commit whose connection is killed is retried: nothing resolves early, nothing is lost or doubled', async () => {
    const store = await open({ retryInitialMs: 5, retryMaxMs: 20 })
    const locker: PoolClient = await admin.connect()
    try {
      await locker.query('BEGIN')
      await locker.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`)
      const settled: string[] = []
      const a = store.append('doc', bytes('a')).finally(() => settled.push('a'))
      await admin.query('SELECT pg_terminate_backend($1)', [await waitingBackend()])
      await vi.waitFor(() => expect(store.health()).toMatchObject({ ok: false }))
      expect((store.health() as { reason: string }).reason).toMatch(/^PostgreSQL: .*terminat/)
      const b = store.append('doc', bytes('b')).finally(() => settled.push('b'))
      // The retry waits for the lock again.
      await waitingBackend()
      expect(settled).toEqual([])
      await locker.query('COMMIT')
      const [seqA, seqB] = await Promise.all([a, b])
      expect(seqA).toBeLessThan(seqB)
    } finally {
      locker.release()
    }
    expect(store.health()).toEqual({ ok: true })
    expect((await store.load('doc'))!.updates.map(text)).toEqual(['a', 'b'])
  })

  it('a commit that happened but whose answer was lost is not committed again', async () => {
    const failures: unknown[] = []
    const store = await open({
      retryInitialMs: 5,
      retryMaxMs: 20,
      onError: (err) => failures.push(err),
    })
    let loseCommitAnswer = true
    intercept(store, async (text, run) => {
      const result = await run()
      if (text === 'COMMIT' && loseCommitAnswer) {
        loseCommitAnswer = false
        throw new Error('connection lost before the answer to COMMIT')
      }
      return result
    })
    const seq = await store.append('doc', bytes('once'))
    expect(failures).toHaveLength(1)
    const loaded = (await store.load('doc'))!
    expect(loaded.updates.map(text)).toEqual(['once'])
    expect(loaded.lastSeq).toBe(seq)
  })

  it('idle connections that are killed are replaced', async () => {
    const lost: Error[] = []
    const store = await open({ onConnectionError: (err) => lost.push(err) })
    await store.append('doc', bytes('before'))
    // The connection that answers this goes back to the pool, idle, and is killed there.
    const idle = await store.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
    await admin.query('SELECT pg_terminate_backend($1)', [idle.rows[0]!.pid])
    await vi.waitFor(() => expect(lost.length).toBeGreaterThan(0))
    await store.append('doc', bytes('after'))
    expect((await store.load('doc'))!.updates.map(text)).toEqual(['before', 'after'])
    expect(store.health()).toEqual({ ok: true })
  })

  it('C2: a compaction skips, changing nothing, while another server compacts the document', async () => {
    const [one, two] = [await open(), await open()]
    await one.append('doc', bytes('a'))
    const b = await one.append('doc', bytes('b'))
    const locker: PoolClient = await admin.connect()
    try {
      // What `two`'s compaction holds while it runs.
      await locker.query('BEGIN')
      await locker.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        `tandem:compact:${schema}:doc`,
      ])
      expect(await one.compact('doc', bytes('ab'), b)).toBe(false)
      const loaded = (await one.load('doc'))!
      expect(loaded.snapshot).toBeNull()
      expect(loaded.updates.map(text)).toEqual(['a', 'b'])
      // Other documents compact meanwhile.
      await one.append('other', bytes('x'))
      expect(await one.compact('other', bytes('x'), 1)).toBe(true)
    } finally {
      await locker.query('COMMIT')
      locker.release()
    }
    expect(await two.compact('doc', bytes('ab'), b)).toBe(true)
    expect(text((await one.load('doc'))!.snapshot!)).toBe('ab')
  })

  it('compaction by another server keeps the updates it does not cover', async () => {
    const [one, two] = [await open(), await open()]
    await one.append('doc', bytes('a'))
    const b = await one.append('doc', bytes('b'))
    const [, c] = await Promise.all([
      two.compact('doc', bytes('ab'), b),
      one.append('doc', bytes('c')),
    ])
    const loaded = (await one.load('doc'))!
    expect(text(loaded.snapshot!)).toBe('ab')
    expect(loaded.updates.map(text)).toEqual(['c'])
    expect(loaded.lastSeq).toBe(c)
    expect(await two.list()).toEqual([
      { name: 'doc', updatedAtMs: expect.any(Number), storedBytes: 3 },
    ])
  })

  it('P29: a scan reads the names a round trip at a time, on from where the last one ended, and stops once it has its limit', async () => {
    const store = await open()
    const names = Array.from({ length: 2500 }, (_, i) => `doc-${String(i).padStart(4, '0')}`)
    await Promise.all(names.map((name) => store.append(name, bytes(name))))
    const reads: string[] = []
    intercept(store, (query, run) => {
      if (typeof query === 'string' && /SELECT name FROM/.test(query)) reads.push(query)
      return run()
    })
    const match = (name: string) => name.endsWith('00')
    const every = await store.scan({ limit: 500, scan: 10_000, match })
    expect(every.documents.map((d) => d.name)).toEqual(names.filter(match))
    expect(every).toMatchObject({ next: null, scanned: 2500 })
    expect(reads).toHaveLength(3)

    reads.length = 0
    const first = await store.scan({ limit: 2, scan: 10_000, match })
    expect(first).toMatchObject({ next: 'doc-0100', scanned: 101 })
    expect(reads).toHaveLength(1)

    reads.length = 0
    const bounded = await store.scan({ after: 'doc-0100', limit: 500, scan: 1500, match })
    expect(bounded.documents.map((d) => d.name)).toEqual(names.slice(101, 1601).filter(match))
    expect(bounded).toMatchObject({ next: 'doc-1600', scanned: 1500 })
    expect(reads).toHaveLength(2)
  })
})

// GET /api/docs over a store holding more documents than one filtered page reads, on each kind
// of store: the memory store, SQLite on disk, and PostgreSQL over TCP.
import { randomBytes } from 'node:crypto'
import { type DocumentListJson, nameMatcher } from '@tandem/protocol'
import { escapeIdentifier, Pool } from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { LIST_SCAN_NAMES } from '../src/api/documents.js'
import type { Tandem } from '../src/app.js'
import { MemoryStore } from '../src/persistence/memory.js'
import { PostgresStore } from '../src/persistence/postgres.js'
import type { DocStore } from '../src/persistence/store.js'
import { startServer, tempDir } from './helpers.js'

const pgUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** More names than one filtered page reads, plus a few to find among them. */
const bulk = Array.from(
  { length: LIST_SCAN_NAMES + 1000 },
  (_, i) => `folder-${i % 7}/doc-${String(i).padStart(5, '0')}`,
)
const special = ['Team/Plans 2024', 'zz/Café plans', 'zz/other', 'a b/notes']
const names = [...bulk, ...special]
const byCodePoint = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))

const update = (() => {
  const doc = new Y.Doc()
  doc.getText('codemirror').insert(0, 'x')
  return Y.encodeStateAsUpdate(doc)
})()

type Page = DocumentListJson

const stores: [string, () => Promise<{ store: DocStore | undefined; drop(): Promise<void> }>][] = [
  ['memory', async () => ({ store: new MemoryStore(), drop: async () => {} })],
  ['SQLite', async () => ({ store: undefined, drop: async () => {} })],
  [
    'PostgreSQL',
    async () => {
      const schema = `tandem_test_${randomBytes(6).toString('hex')}`
      const store = await PostgresStore.connect(pgUrl, { schema }).catch((err: unknown) => {
        throw new Error(
          `these tests need a running PostgreSQL at ${pgUrl} (TEST_DATABASE_URL chooses another)`,
          { cause: err },
        )
      })
      return {
        store,
        drop: async () => {
          const admin = new Pool({ connectionString: pgUrl, max: 1 })
          await admin.query(`DROP SCHEMA IF EXISTS ${escapeIdentifier(schema)} CASCADE`)
          await admin.end()
        },
      }
    },
  ],
]

describe.each(stores)('GET /api/docs with %s and many documents', (_kind, open) => {
  let dir: ReturnType<typeof tempDir>
  let server: Tandem
  let drop: () => Promise<void>

  const page = async (query: string): Promise<Page> => {
    const response = await fetch(new URL(`/api/docs?${query}`, server.url))
    expect(response.status, query).toBe(200)
    return (await response.json()) as Page
  }
  /** Every page of `query`, following the cursors. */
  const pages = async (query: string): Promise<Page[]> => {
    const all: Page[] = []
    let cursor: string | null = null
    do {
      const next: Page = await page(
        `${query}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
      )
      all.push(next)
      cursor = next.nextCursor
      if (all.length > 100) throw new Error('the cursors do not end')
    } while (cursor !== null)
    return all
  }
  const docNames = (list: Page[]) => list.flatMap((p) => p.documents.map((d) => d.name))

  beforeAll(async () => {
    dir = tempDir()
    const opened = await open()
    drop = opened.drop
    server = await startServer(dir.path, {}, opened.store)
    for (let i = 0; i < names.length; i += 1000) {
      await Promise.all(names.slice(i, i + 1000).map((name) => server.store.append(name, update)))
    }
  }, 60_000)
  afterAll(async () => {
    await server.close()
    await drop()
    dir.remove()
  })

  it('R13: q finds the names with every word, reading at most 5,000 names a page, and following the cursors finds each match once', async () => {
    const all = await pages('q=PLANS&limit=100')
    expect(docNames(all)).toEqual(['Team/Plans 2024', 'zz/Café plans'])
    // The first page read 5,000 names and found one: the other is further on.
    expect(all[0]).toMatchObject({
      documents: [{ name: 'Team/Plans 2024' }],
      scanned: LIST_SCAN_NAMES,
      nextCursor: byCodePoint[LIST_SCAN_NAMES - 1],
    })
    for (const p of all) expect(p.scanned).toBeLessThanOrEqual(LIST_SCAN_NAMES)
    expect(all.at(-1)!.nextCursor).toBeNull()

    // The same matcher as the web app's, over every name.
    const match = nameMatcher('doc-01 folder-3')!
    const found = await pages(`q=${encodeURIComponent('doc-01 folder-3')}&limit=50`)
    expect(docNames(found)).toEqual(byCodePoint.filter(match))
    expect(docNames(found).length).toBeGreaterThan(50)
    // Pages stop at the limit when they find it before the bound.
    expect(found[0]!.documents).toHaveLength(50)
    expect(found[0]!.scanned).toBeLessThan(LIST_SCAN_NAMES)
  })

  it('R13: a page that finds nothing within its bound still says where to go on; accents, case and width do not count', async () => {
    const empty = await page(`q=${encodeURIComponent('cafe')}`)
    expect(empty).toEqual({
      documents: [],
      scanned: LIST_SCAN_NAMES,
      nextCursor: byCodePoint[LIST_SCAN_NAMES - 1],
    })
    const rest = await page(`q=${encodeURIComponent('ｃａｆé')}&cursor=${empty.nextCursor}`)
    expect(rest).toMatchObject({ documents: [{ name: 'zz/Café plans' }], nextCursor: null })
    expect(rest.documents[0]).toEqual({
      name: 'zz/Café plans',
      updatedAt: expect.any(String),
      storedBytes: update.length,
      connected: 0,
    })

    // With a prefix, only its range is read.
    expect(await page(`prefix=zz%2F&q=cafe`)).toEqual({
      documents: [expect.objectContaining({ name: 'zz/Café plans' })],
      scanned: 2,
      nextCursor: null,
    })
    expect(docNames(await pages('prefix=folder-3%2F&q=doc-0100&limit=500'))).toEqual(
      byCodePoint.filter((n) => n.startsWith('folder-3/') && n.includes('doc-0100')),
    )
  })

  it('R13: a blank q lists as without one; a q over 256 characters is refused', async () => {
    const plain = await page('limit=3')
    expect(await page('limit=3&q=%20%20')).toEqual(plain)
    expect(plain.documents.map((d) => d.name)).toEqual(byCodePoint.slice(0, 3))
    expect(plain).not.toHaveProperty('scanned')

    const long = await fetch(new URL(`/api/docs?q=${'a'.repeat(257)}`, server.url))
    expect(long.status).toBe(400)
    expect(await long.json()).toMatchObject({ error: 'invalid_query' })
    expect((await page(`q=${'a'.repeat(256)}`)).documents).toEqual([])
  })
})

import { describe, expect, it } from 'vitest'
import { ApiError } from './api'
import {
  compareNames,
  deleteDoc,
  describeDocChangeError,
  filterDocs,
  MAX_REQUESTS_PER_READ,
  parseDocPage,
  readDocs,
  renameDoc,
  restoreDoc,
} from './docs-api'

const doc = (name: string, day = 1) => ({
  name,
  updatedAt: new Date(Date.UTC(2026, 0, day)).toISOString(),
  storedBytes: 1,
  connected: 0,
})

/** A fake `GET /api/docs` over `pages` (keyed by cursor, '' for the first), and the URLs asked. */
function server(pages: Record<string, { names: string[]; next: string | null }>) {
  const urls: string[] = []
  const fetchImpl = async (url: string) => {
    urls.push(url)
    const page = pages[new URL(url).searchParams.get('cursor') ?? '']
    if (!page) return new Response('{}', { status: 500 })
    return new Response(
      JSON.stringify({ documents: page.names.map((n) => doc(n)), nextCursor: page.next }),
    )
  }
  return { urls, fetchImpl }
}

describe('parseDocPage', () => {
  it('keeps the server’s order and cursor, and skips unreadable entries', () => {
    const page = parseDocPage({
      documents: [
        { name: 'b', updatedAt: '2024-01-01T00:00:00.000Z', storedBytes: 1, connected: 0 },
        { name: 'a', updatedAt: '2024-05-01T00:00:00.000Z', storedBytes: 1, connected: 2 },
        { name: 'bad time', updatedAt: 'yesterday' },
        { updatedAt: '2024-05-01T00:00:00.000Z' },
        { name: 'odd count', updatedAt: '2024-02-01T00:00:00.000Z', connected: -3 },
      ],
      nextCursor: 'odd count',
    })
    expect(page).toEqual({
      docs: [
        { name: 'b', updatedAtMs: Date.parse('2024-01-01T00:00:00.000Z'), connected: 0 },
        { name: 'a', updatedAtMs: Date.parse('2024-05-01T00:00:00.000Z'), connected: 2 },
        { name: 'odd count', updatedAtMs: Date.parse('2024-02-01T00:00:00.000Z'), connected: 0 },
      ],
      nextCursor: 'odd count',
    })
    expect(parseDocPage({ documents: [], nextCursor: null }).nextCursor).toBeNull()
    expect(() => parseDocPage({ docs: [] })).toThrow(ApiError)
  })
})

describe('readDocs', () => {
  it('asks for one page of the size wanted, with the filter, and says where the next starts', async () => {
    const { urls, fetchImpl } = server({ '': { names: ['a', 'b'], next: 'b' } })
    const page = await readDocs(
      'http://h',
      { query: '  team  plans ', cursor: null, until: { docs: 2 }, limit: 50 },
      undefined,
      fetchImpl,
    )
    expect(page).toMatchObject({ docs: [{ name: 'a' }, { name: 'b' }], nextCursor: 'b' })
    expect(urls).toEqual(['http://h/api/docs?limit=2&q=team++plans'])
  })

  it('goes on through pages a filter left short or empty, until it has enough or the last page', async () => {
    const { urls, fetchImpl } = server({
      '': { names: [], next: 'e' },
      e: { names: ['f'], next: 'k' },
      k: { names: ['m', 'n'], next: 'n' },
      n: { names: ['z'], next: null },
    })
    const read = (cursor: string | null, docs: number) =>
      readDocs('http://h', { query: 'x', cursor, until: { docs }, limit: 3 }, undefined, fetchImpl)
    const first = await read(null, 3)
    expect(first.docs.map((d) => d.name)).toEqual(['f', 'm', 'n'])
    expect(first.nextCursor).toBe('n')
    expect(urls).toEqual([
      'http://h/api/docs?limit=3&q=x',
      'http://h/api/docs?limit=3&q=x&cursor=e',
      'http://h/api/docs?limit=2&q=x&cursor=k',
    ])
    const rest = await read('n', 3)
    expect(rest).toEqual({ docs: [expect.objectContaining({ name: 'z' })], nextCursor: null })
  })

  it(`stops after ${MAX_REQUESTS_PER_READ} requests, with the cursor to go on from`, async () => {
    const pages: Record<string, { names: string[]; next: string | null }> = {}
    for (let i = 0; i < 50; i++) pages[i === 0 ? '' : `c${i}`] = { names: [], next: `c${i + 1}` }
    const { urls, fetchImpl } = server(pages)
    const page = await readDocs(
      'http://h',
      { query: 'rare', cursor: null, until: { docs: 50 }, limit: 50 },
      undefined,
      fetchImpl,
    )
    expect(page).toEqual({ docs: [], nextCursor: `c${MAX_REQUESTS_PER_READ}` })
    expect(urls).toHaveLength(MAX_REQUESTS_PER_READ)
  })

  it('reads a range again, to the name a list shown before ended at', async () => {
    const { urls, fetchImpl } = server({
      '': { names: ['a', 'b'], next: 'b' },
      b: { names: ['c', 'd'], next: 'd' },
      d: { names: ['e', 'f'], next: 'f' },
      f: { names: ['g'], next: null },
    })
    const again = (through: string | null) =>
      readDocs(
        'http://h',
        { query: '', cursor: null, until: { through }, limit: 2 },
        undefined,
        fetchImpl,
      )
    expect((await again('c')).docs.map((d) => d.name)).toEqual(['a', 'b', 'c', 'd'])
    expect(urls).toEqual(['http://h/api/docs?limit=2', 'http://h/api/docs?limit=2&cursor=b'])
    // `null`: the list shown went to the end; so does the read.
    expect(await again(null)).toMatchObject({ docs: { length: 7 }, nextCursor: null })
  })
})

describe('compareNames', () => {
  it('orders by code point, as the server does', () => {
    const names = ['b', 'a/b', '\u{1F600}', 'a', 'A', 'ab', '\uFFFD', 'ü']
    expect([...names].sort(compareNames)).toEqual([
      'A',
      'a',
      'a/b',
      'ab',
      'b',
      'ü',
      '\uFFFD',
      '\u{1F600}',
    ])
  })
})

describe('filterDocs', () => {
  const docs = [{ name: 'Team/Plans 2024' }, { name: 'café notes' }, { name: 'budget' }]

  it('keeps the names that contain every word, ignoring case and accents', () => {
    expect(filterDocs(docs, 'plans team')).toEqual([{ name: 'Team/Plans 2024' }])
    expect(filterDocs(docs, 'CAFE')).toEqual([{ name: 'café notes' }])
    expect(filterDocs(docs, 'nothing')).toEqual([])
  })

  it('keeps everything for a blank query', () => {
    expect(filterDocs(docs, '  ')).toBe(docs)
  })
})

describe('changing documents', () => {
  const recording = (status: number, body: unknown) => {
    const calls: { url: string; method: string | undefined; body: unknown }[] = []
    const fetchImpl = async (url: string, init?: RequestInit) => {
      calls.push({ url, method: init?.method, body: init?.body })
      return new Response(JSON.stringify(body), { status })
    }
    return { calls, fetchImpl }
  }

  it('deletes, renames and restores through the API, with the name as one path segment', async () => {
    const del = recording(200, { ok: true, retentionDays: 7 })
    expect(await deleteDoc('http://h', 'team/notes', del.fetchImpl)).toEqual({
      name: 'team/notes',
      retentionDays: 7,
    })
    expect(del.calls).toEqual([
      { url: 'http://h/api/docs/team%2Fnotes', method: 'DELETE', body: undefined },
    ])
    const ren = recording(200, { ok: true, name: 'b' })
    await renameDoc('http://h', 'a b', 'team/b', ren.fetchImpl)
    expect(ren.calls).toEqual([
      { url: 'http://h/api/docs/a%20b/rename', method: 'POST', body: '{"to":"team/b"}' },
    ])
    const res = recording(200, { ok: true })
    await restoreDoc('http://h', 'team/notes', res.fetchImpl)
    expect(res.calls).toEqual([
      { url: 'http://h/api/trash/team%2Fnotes/restore', method: 'POST', body: undefined },
    ])
  })

  it('says why the server refused, and what to do', async () => {
    const refusal = async (error: string, status = 409) =>
      deleteDoc('http://h', 'x', recording(status, { error, message: 'no' }).fetchImpl).catch(
        (err: unknown) => err,
      )
    const open = await refusal('document_open')
    expect(describeDocChangeError(open, { kind: 'delete', name: 'notes' })).toBe(
      '“notes” is open in another tab or by someone else. Close it there first, then delete it.',
    )
    expect(describeDocChangeError(open, { kind: 'rename', name: 'notes', to: 'n' })).toMatch(
      /then rename it\.$/,
    )
    const taken = await refusal('name_taken')
    expect(describeDocChangeError(taken, { kind: 'rename', name: 'a', to: 'b' })).toBe(
      'A document named “b” already exists or is open. Choose another name.',
    )
    expect(describeDocChangeError(taken, { kind: 'restore', name: 'a' })).toMatch(/exists again/)
    const gone = await refusal('not_found', 404)
    expect(describeDocChangeError(gone, { kind: 'restore', name: 'a' })).toBe(
      '“a” is no longer in the trash.',
    )
    const other = await refusal('internal', 500)
    expect(describeDocChangeError(other, { kind: 'delete', name: 'a' })).toBe('No.')
    expect(other).toBeInstanceOf(ApiError)
  })
})

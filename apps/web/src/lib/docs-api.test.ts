import { describe, expect, it } from 'vitest'
import { ApiError } from './api'
import {
  deleteDoc,
  describeDocChangeError,
  filterDocs,
  listDocs,
  parseDocList,
  renameDoc,
  restoreDoc,
} from './docs-api'

describe('parseDocList', () => {
  it('reads the documents newest first and skips unreadable ones', () => {
    const docs = parseDocList({
      documents: [
        { name: 'old', updatedAt: '2024-01-01T00:00:00.000Z', storedBytes: 1, connected: 0 },
        { name: 'new', updatedAt: '2024-05-01T00:00:00.000Z', storedBytes: 1, connected: 2 },
        { name: 'bad time', updatedAt: 'yesterday' },
        { updatedAt: '2024-05-01T00:00:00.000Z' },
        { name: 'odd count', updatedAt: '2024-02-01T00:00:00.000Z', connected: -3 },
      ],
    })
    expect(docs).toEqual([
      { name: 'new', updatedAtMs: Date.parse('2024-05-01T00:00:00.000Z'), connected: 2 },
      { name: 'odd count', updatedAtMs: Date.parse('2024-02-01T00:00:00.000Z'), connected: 0 },
      { name: 'old', updatedAtMs: Date.parse('2024-01-01T00:00:00.000Z'), connected: 0 },
    ])
    expect(() => parseDocList({ docs: [] })).toThrow(ApiError)
  })

  it('reads GET /api/docs page after page, following nextCursor, and sorts them all newest first', async () => {
    const urls: string[] = []
    const doc = (name: string, day: number) => ({
      name,
      updatedAt: new Date(Date.UTC(2026, 0, day)).toISOString(),
      connected: 0,
    })
    const pages: Record<string, unknown> = {
      '': { documents: [doc('a', 1), doc('b', 3)], nextCursor: 'b' },
      b: { documents: [doc('c', 2)], nextCursor: null },
    }
    const docs = await listDocs('http://h', undefined, async (url) => {
      urls.push(url)
      const cursor = new URL(url).searchParams.get('cursor') ?? ''
      return new Response(JSON.stringify(pages[cursor]))
    })
    expect(docs.map((d) => d.name)).toEqual(['b', 'c', 'a'])
    expect(urls).toEqual(['http://h/api/docs?limit=500', 'http://h/api/docs?limit=500&cursor=b'])
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

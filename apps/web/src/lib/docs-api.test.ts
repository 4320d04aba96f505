import { describe, expect, it } from 'vitest'
import { ApiError } from './api'
import { filterDocs, listDocs, parseDocList } from './docs-api'

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

  it('asks GET /api/docs', async () => {
    const urls: string[] = []
    const docs = await listDocs('http://h', undefined, async (url) => {
      urls.push(url)
      return new Response(JSON.stringify({ documents: [] }))
    })
    expect(docs).toEqual([])
    expect(urls).toEqual(['http://h/api/docs'])
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

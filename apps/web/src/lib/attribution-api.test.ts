import { describe, expect, it } from 'vitest'
import { ApiError, type Fetch } from './api'
import { attributionApi, parseAttributionIds, parseTimeline } from './attribution-api'

const ada = { id: 1, name: 'Ada', verified: true, color: '#2A7E3B' }
const record = { author: 1, timeMs: 1_700_000_000_000, inserts: [7, 0, 5], deletes: [] }

describe('parseAttributionIds', () => {
  it('reads authors (checked) and records', () => {
    const ids = parseAttributionIds({
      enabled: true,
      authors: [ada, { id: 2, name: '\u202eEve', verified: 'yes', color: 'url(x)' }, { id: -1 }],
      records: [record],
    })
    expect(ids.authors).toEqual([
      { id: 1, name: 'Ada', verified: true, color: '#2a7e3b' },
      { id: 2, name: 'Eve', verified: false, color: null },
    ])
    expect(ids.records).toEqual([record])
  })

  it('reads a server without attribution as disabled, whatever else it sends', () => {
    expect(parseAttributionIds({ enabled: false, authors: [ada], records: 'x' })).toEqual({
      enabled: false,
      authors: [],
      records: [],
    })
  })

  it('refuses an answer with an unreadable record rather than misattribute', () => {
    for (const bad of [
      { ...record, inserts: [7, 0] },
      { ...record, deletes: [7, -1, 1] },
      { ...record, timeMs: '1' },
      { ...record, author: 1.5 },
    ]) {
      expect(() => parseAttributionIds({ enabled: true, authors: [], records: [bad] })).toThrow(
        ApiError,
      )
    }
    expect(() => parseAttributionIds({ authors: [], records: [] })).toThrow(ApiError)
  })
})

describe('parseTimeline', () => {
  it('decodes the state from base64', () => {
    const timeline = parseTimeline({ enabled: true, authors: [], records: [], state: 'AAEC' })
    expect([...timeline.state]).toEqual([0, 1, 2])
    expect(() => parseTimeline({ enabled: true, authors: [], records: [] })).toThrow(ApiError)
  })

  it('reads whether the server keeps deleted text, true when the answer does not say', () => {
    const answer = { enabled: true, authors: [], records: [], state: '' }
    expect(parseTimeline({ ...answer, keepsDeletedText: false }).keepsDeletedText).toBe(false)
    expect(parseTimeline({ ...answer, keepsDeletedText: true }).keepsDeletedText).toBe(true)
    expect(parseTimeline(answer).keepsDeletedText).toBe(true)
    expect(() => parseTimeline({ ...answer, keepsDeletedText: 'no' })).toThrow(ApiError)
    // A server that records nothing says so too; the answer is still read.
    expect(
      parseTimeline({
        enabled: false,
        keepsDeletedText: false,
        authors: [],
        records: [],
        state: '',
      }).keepsDeletedText,
    ).toBe(false)
  })
})

describe('attributionApi', () => {
  it('asks for the ids view and the timeline of the one document, with the token', async () => {
    const calls: { url: string; auth: string | null }[] = []
    const fetchImpl: Fetch = async (url, init) => {
      calls.push({ url, auth: new Headers(init?.headers).get('authorization') })
      return new Response(
        JSON.stringify({ enabled: true, authors: [ada], records: [record], state: '' }),
        { status: 200, headers: { 'content-type': 'application/json' } },
      )
    }
    const api = attributionApi('http://h', 'a/b', fetchImpl, 'tok')
    expect((await api.ids()).records).toHaveLength(1)
    await api.timeline()
    expect(calls).toEqual([
      { url: 'http://h/api/docs/a%2Fb/attribution?view=ids', auth: 'Bearer tok' },
      { url: 'http://h/api/docs/a%2Fb/timeline', auth: 'Bearer tok' },
    ])
  })
})

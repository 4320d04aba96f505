import { describe, expect, it } from 'vitest'
import { ApiError, type Fetch } from './api'
import { historyApi, parseVersion, parseVersionList } from './history-api'

describe('parseVersion', () => {
  it('takes the time from createdAtMs or an ISO createdAt', () => {
    const base = { id: 'v1', label: null, kind: 'auto', authors: ['Ada'], textLength: 3 }
    expect(parseVersion({ ...base, createdAtMs: 1_700_000_000_000 })?.createdAtMs).toBe(
      1_700_000_000_000,
    )
    expect(parseVersion({ ...base, createdAt: '2023-11-14T22:13:20.000Z' })?.createdAtMs).toBe(
      1_700_000_000_000,
    )
    expect(parseVersion({ ...base, createdAt: 'not a date' })).toBeNull()
  })

  it('reads numeric ids, unknown kinds and missing fields leniently', () => {
    expect(parseVersion({ id: 7, createdAtMs: 1, kind: 'future-kind', label: '  ' })).toEqual({
      id: '7',
      createdAtMs: 1,
      label: null,
      kind: 'auto',
      authors: [],
      changedBy: [],
      textLength: 0,
    })
    expect(parseVersion({ createdAtMs: 1 })).toBeNull()
    expect(parseVersion('v1')).toBeNull()
  })

  it('reads who changed it, checked like a present name', () => {
    const version = parseVersion({
      id: 'v1',
      createdAtMs: 1,
      changedBy: [
        { id: 1, name: 'Ada', verified: true, color: '#D13415' },
        { id: 2, name: ' Grace\u202e ', verified: false, color: 'red' },
        { name: 'no id' },
      ],
    })
    expect(version?.changedBy).toEqual([
      { id: 1, name: 'Ada', verified: true, color: '#d13415' },
      { id: 2, name: 'Grace', verified: false, color: null },
    ])
  })

  it('lists newest first and skips unreadable entries', () => {
    const list = parseVersionList({
      versions: [
        { id: 'old', createdAtMs: 1, kind: 'named', label: 'First draft', authors: [] },
        { nonsense: true },
        { id: 'new', createdAtMs: 2, kind: 'restore', label: null, authors: ['Ada', 3] },
      ],
    })
    expect(list.map((version) => version.id)).toEqual(['new', 'old'])
    expect(list[0]?.authors).toEqual(['Ada'])
    expect(() => parseVersionList({})).toThrow(ApiError)
  })
})

describe('historyApi', () => {
  const calls: { url: string; init: RequestInit | undefined }[] = []
  const answer =
    (status: number, body: unknown): Fetch =>
    async (url, init) => {
      calls.push({ url, init })
      return new Response(JSON.stringify(body), {
        status,
        headers: { 'content-type': 'application/json' },
      })
    }

  it('puts the document name in one encoded path segment', async () => {
    calls.length = 0
    const api = historyApi('http://h', 'team/notes ü', answer(200, { versions: [] }))
    await api.list()
    expect(calls[0]?.url).toBe('http://h/api/docs/team%2Fnotes%20%C3%BC/versions')
  })

  it('posts a named version and restores by id', async () => {
    calls.length = 0
    const created = { id: 'v9', createdAtMs: 5, kind: 'named', label: 'Draft', authors: [] }
    const api = historyApi('', 'doc', answer(201, { version: created }))
    expect(await api.create('Draft')).toMatchObject({ id: 'v9', label: 'Draft' })
    expect(calls[0]?.init?.method).toBe('POST')
    expect(calls[0]?.init?.body).toBe('{"label":"Draft"}')
    await api.restore('v 9')
    expect(calls[1]?.url).toBe('/api/docs/doc/versions/v%209/restore')
  })

  it("turns the server's { error, message } into an ApiError", async () => {
    const api = historyApi(
      '',
      'doc',
      answer(404, { error: 'not_found', message: 'no such version' }),
    )
    const failure = api.get('nope').catch((err: unknown) => err)
    await expect(failure).resolves.toBeInstanceOf(ApiError)
    await expect(failure).resolves.toMatchObject({
      status: 404,
      code: 'not_found',
      message: 'No such version.',
    })
  })

  it('reports a server that cannot be reached', async () => {
    const api = historyApi('', 'doc', async () => {
      throw new TypeError('Failed to fetch')
    })
    await expect(api.list()).rejects.toMatchObject({ status: 0, code: 'network' })
  })
})

import { describe, expect, it } from 'vitest'
import { ApiError, type Fetch } from './api'
import { createViewLink, docUrl, listLinks, parseViewLink, revokeLink } from './share'

describe('docUrl', () => {
  it('is the document path, with the token when there is one', () => {
    expect(docUrl('http://h', 'team/notes ü')).toBe('http://h/d/team/notes%20%C3%BC')
    expect(docUrl('http://h', 'notes', 'a.b+c')).toBe('http://h/d/notes?token=a.b%2Bc')
  })
})

describe('createViewLink', () => {
  it('posts to the links route with the page token and reads the answer', async () => {
    const calls: { url: string; init: RequestInit | undefined }[] = []
    const fetchImpl: Fetch = async (url, init) => {
      calls.push({ url, init })
      return new Response(
        JSON.stringify({ view: { token: 'v.t.s', expiresAt: '2030-01-01T00:00:00.000Z' } }),
        { status: 201 },
      )
    }
    const link = await createViewLink('http://h', 'a/b', 'edit.token', fetchImpl)
    expect(link).toEqual({
      token: 'v.t.s',
      expiresAtMs: Date.parse('2030-01-01T00:00:00.000Z'),
      id: null,
    })
    expect(calls[0]?.url).toBe('http://h/api/docs/a%2Fb/links')
    expect(calls[0]?.init?.method).toBe('POST')
    const headers = (calls[0]?.init?.headers ?? {}) as Record<string, string>
    expect(headers.authorization).toBe('Bearer edit.token')
  })

  it("turns the server's refusal into an ApiError with its code", async () => {
    const fetchImpl: Fetch = async () =>
      new Response(JSON.stringify({ error: 'read_only', message: 'view access only' }), {
        status: 403,
      })
    await expect(createViewLink('', 'notes', null, fetchImpl)).rejects.toMatchObject({
      status: 403,
      code: 'read_only',
      message: 'View access only.',
    })
  })

  it('refuses an answer without a token or a time', () => {
    expect(() => parseViewLink({ view: { token: 't' } })).toThrow(ApiError)
    expect(() => parseViewLink({})).toThrow(ApiError)
  })
})

describe('listLinks and revokeLink', () => {
  it('lists the active links and revokes one by id, with the page token', async () => {
    const calls: { url: string; init: RequestInit | undefined }[] = []
    const fetchImpl: Fetch = async (url, init) => {
      calls.push({ url, init })
      if (init?.method === 'DELETE') return new Response(null, { status: 204 })
      return new Response(
        JSON.stringify({
          links: [
            {
              id: 'abc_-1',
              name: 'Guest',
              mode: 'view',
              createdAt: '2030-01-01T00:00:00.000Z',
              expiresAt: '2030-01-31T00:00:00.000Z',
            },
          ],
        }),
        { status: 200 },
      )
    }
    expect(await listLinks('http://h', 'a/b', 'edit.token', fetchImpl)).toEqual([
      {
        id: 'abc_-1',
        name: 'Guest',
        mode: 'view',
        createdAtMs: Date.parse('2030-01-01T00:00:00.000Z'),
        expiresAtMs: Date.parse('2030-01-31T00:00:00.000Z'),
      },
    ])
    expect(calls[0]?.url).toBe('http://h/api/docs/a%2Fb/links')
    await revokeLink('http://h', 'a/b', 'abc_-1', 'edit.token', fetchImpl)
    expect(calls[1]?.url).toBe('http://h/api/docs/a%2Fb/links/abc_-1')
    expect(calls[1]?.init?.method).toBe('DELETE')
    const headers = (calls[1]?.init?.headers ?? {}) as Record<string, string>
    expect(headers.authorization).toBe('Bearer edit.token')
  })

  it('refuses an answer that is not a list of links', async () => {
    const fetchImpl: Fetch = async () =>
      new Response(JSON.stringify({ links: [{ id: 1 }] }), { status: 200 })
    await expect(listLinks('', 'notes', null, fetchImpl)).rejects.toMatchObject({
      code: 'bad-response',
    })
  })

  it('reads the id of a minted link', () => {
    expect(
      parseViewLink({
        link: { id: 'xyz' },
        view: { token: 't', expiresAt: '2030-01-01T00:00:00.000Z' },
      }).id,
    ).toBe('xyz')
  })
})

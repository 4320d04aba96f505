import { describe, expect, it } from 'vitest'
import { pageToken, readToken } from './token'

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const jwt = (payload: unknown) => `${encode({ alg: 'HS256' })}.${encode(payload)}.c2lnbmF0dXJl`

describe('pageToken', () => {
  it('reads the token query parameter', () => {
    expect(pageToken('?token=abc.def.ghi')).toBe('abc.def.ghi')
    expect(pageToken('?x=1&token=%20t%20')).toBe('t')
    expect(pageToken('')).toBeNull()
    expect(pageToken('?token=')).toBeNull()
  })
})

describe('readToken', () => {
  it('reads the mode, expiry and name of a JWT without checking it', () => {
    expect(readToken(jwt({ doc: 'notes', mode: 'view', exp: 1_800_000_000, name: 'Ada' }))).toEqual(
      {
        mode: 'view',
        expiresAtMs: 1_800_000_000_000,
        name: 'Ada',
      },
    )
    expect(readToken(jwt({ doc: 'notes', mode: 'edit' }))).toEqual({
      mode: 'edit',
      expiresAtMs: null,
      name: null,
    })
  })

  it('reads names outside ASCII', () => {
    expect(readToken(jwt({ mode: 'view', name: 'Zoë 東京' }))?.name).toBe('Zoë 東京')
  })

  it('refuses what is not a readable JWT, and reads an unknown mode as edit', () => {
    expect(readToken('not a token')).toBeNull()
    expect(readToken('a.b')).toBeNull()
    expect(readToken(`${encode({})}.%%%.sig`)).toBeNull()
    expect(readToken(`${encode({})}.${Buffer.from('[1]').toString('base64url')}.sig`)).toBeNull()
    expect(readToken(jwt({ mode: 'admin' }))?.mode).toBe('edit')
  })
})

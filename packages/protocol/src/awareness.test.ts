import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import { bytes, concat, expectProtocolError, hex } from '../test/helpers.js'
import { type AwarenessEntry, decodeAwarenessUpdate, encodeAwarenessUpdate } from './awareness.js'
import { CloseCode } from './close-codes.js'
import { defaultLimits } from './limits.js'

/** An awareness update written field by field, so tests can make malformed ones. */
function rawUpdate(count: number, entries: [clientId: number, clock: number, json: string][]) {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, count)
  for (const [clientId, clock, json] of entries) {
    encoding.writeVarUint(encoder, clientId)
    encoding.writeVarUint(encoder, clock)
    encoding.writeVarString(encoder, json)
  }
  return encoding.toUint8Array(encoder)
}

/** A JSON string literal whose UTF-8 text is exactly `n` bytes long (n >= 2). */
function jsonOfBytes(n: number): string {
  return JSON.stringify('x'.repeat(n - 2))
}

describe('encodeAwarenessUpdate', () => {
  it('writes count, then clientId, clock and JSON text per entry', () => {
    const update = encodeAwarenessUpdate([{ clientId: 1, clock: 2, state: '{}' }])
    expect(hex(update)).toBe('01' + '01' + '02' + '027b7d')
  })

  it('writes a removed state as the JSON text null', () => {
    const update = encodeAwarenessUpdate([{ clientId: 300, clock: 5, state: null }])
    expect(hex(update)).toBe('01' + 'ac02' + '05' + '046e756c6c')
  })

  it('writes an empty update as a zero count', () => {
    expect(hex(encodeAwarenessUpdate([]))).toBe('00')
  })

  it('accepts any iterable of entries', () => {
    function* entries(): Generator<AwarenessEntry> {
      yield { clientId: 1, clock: 1, state: '1' }
      yield { clientId: 2, clock: 1, state: null }
    }
    expect(encodeAwarenessUpdate(entries())).toEqual(encodeAwarenessUpdate([...entries()]))
  })
})

describe('decodeAwarenessUpdate', () => {
  it('reads what the encoder wrote', () => {
    const entries: AwarenessEntry[] = [
      { clientId: 0, clock: 0, state: '{}' },
      { clientId: 2 ** 32 - 1, clock: 1, state: '{"user":{"name":"Zoë 🦊","color":"#30bced"}}' },
      { clientId: Number.MAX_SAFE_INTEGER, clock: Number.MAX_SAFE_INTEGER, state: null },
      { clientId: 42, clock: 7, state: '[1,"two",null]' },
    ]
    expect(decodeAwarenessUpdate(encodeAwarenessUpdate(entries))).toEqual(entries)
  })

  it('reads a zero count as no entries', () => {
    expect(decodeAwarenessUpdate(bytes(0))).toEqual([])
  })

  it('keeps the state as the JSON text it received', () => {
    const json = '{ "b": 1,  "a": [ ] }'
    expect(decodeAwarenessUpdate(rawUpdate(1, [[9, 1, json]]))).toEqual([
      { clientId: 9, clock: 1, state: json },
    ])
  })

  it('reads any JSON text meaning null as a removed state', () => {
    expect(decodeAwarenessUpdate(rawUpdate(1, [[9, 3, ' null ']]))).toEqual([
      { clientId: 9, clock: 3, state: null },
    ])
  })

  it('refuses an empty buffer', () => {
    expectProtocolError(() => decodeAwarenessUpdate(new Uint8Array()), 'invalid-awareness')
  })

  it.each([
    ['count larger than the entries', rawUpdate(2, [[1, 1, '{}']])],
    ['clock missing', bytes(1, 1)],
    ['state missing', bytes(1, 1, 1)],
    ['state shorter than declared', bytes(1, 1, 1, 5, 0x7b, 0x7d)],
    ['truncated varUint', bytes(1, 0x80)],
    [
      'huge count with few bytes',
      bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 1, 2, 0x7b, 0x7d),
    ],
  ])('refuses a truncated update: %s', (_name, update) => {
    const err = expectProtocolError(() => decodeAwarenessUpdate(update), 'invalid-awareness')
    expect(err.closeCode).toBe(CloseCode.InvalidPayload)
    expect(err.message).toMatch(/^awareness update is malformed: /)
  })

  it('refuses trailing bytes', () => {
    const update = concat(encodeAwarenessUpdate([{ clientId: 1, clock: 1, state: '{}' }]), bytes(0))
    const err = expectProtocolError(() => decodeAwarenessUpdate(update), 'invalid-awareness')
    expect(err.message).toBe('awareness update has trailing bytes')
  })

  it.each([
    ['unterminated object', '{'],
    ['undefined', 'undefined'],
    ['empty text', ''],
    ['single quotes', "{'a':1}"],
    ['two values', '{} {}'],
  ])('refuses a state that is not JSON: %s', (_name, json) => {
    const err = expectProtocolError(
      () => decodeAwarenessUpdate(rawUpdate(1, [[1, 1, json]])),
      'invalid-awareness',
    )
    expect(err.message).toMatch(/^awareness update is malformed: /)
  })

  it('refuses a state that is not UTF-8', () => {
    // count 1, client 1, clock 1, a two-byte string 0xff 0xfe
    expectProtocolError(
      () => decodeAwarenessUpdate(bytes(1, 1, 1, 2, 0xff, 0xfe)),
      'invalid-awareness',
    )
  })

  it('refuses one bad entry among good ones, returning nothing', () => {
    const update = rawUpdate(3, [
      [1, 1, '{}'],
      [2, 1, '{oops'],
      [3, 1, '{}'],
    ])
    expectProtocolError(() => decodeAwarenessUpdate(update), 'invalid-awareness')
  })
})

describe('decodeAwarenessUpdate with maxStateBytes', () => {
  const max = defaultLimits.maxAwarenessStateBytes

  it('accepts a state of exactly maxStateBytes UTF-8 bytes', () => {
    const json = jsonOfBytes(max)
    expect(decodeAwarenessUpdate(rawUpdate(1, [[1, 1, json]]), max)).toEqual([
      { clientId: 1, clock: 1, state: json },
    ])
  })

  it('refuses a state one byte over', () => {
    const err = expectProtocolError(
      () => decodeAwarenessUpdate(rawUpdate(1, [[7, 1, jsonOfBytes(max + 1)]]), max),
      'invalid-awareness',
    )
    expect(err.message).toBe('awareness update state of client 7 is too large')
  })

  it('counts UTF-8 bytes, not characters', () => {
    const json = JSON.stringify('é'.repeat(5)) // 7 characters, 12 bytes
    expect(() => decodeAwarenessUpdate(rawUpdate(1, [[1, 1, json]]), 12)).not.toThrow()
    expectProtocolError(
      () => decodeAwarenessUpdate(rawUpdate(1, [[1, 1, json]]), 11),
      'invalid-awareness',
    )
  })

  it('checks the declared size before reading the state', () => {
    // Declares 100 bytes of state but carries only two: the size is refused first.
    const update = bytes(1, 1, 1, 100, 0x7b, 0x7d)
    const err = expectProtocolError(() => decodeAwarenessUpdate(update, 10), 'invalid-awareness')
    expect(err.message).toMatch(/too large$/)
  })

  it('applies to every entry, including removals', () => {
    const update = encodeAwarenessUpdate([
      { clientId: 1, clock: 1, state: '{}' },
      { clientId: 2, clock: 1, state: null },
    ])
    expect(() => decodeAwarenessUpdate(update, 4)).not.toThrow()
    expectProtocolError(() => decodeAwarenessUpdate(update, 3), 'invalid-awareness')
  })
})

import { describe, expect, it } from 'vitest'
import { colorForClientId, palette } from '../lib/identity'
import {
  ANONYMOUS,
  hexColor,
  isolated,
  MAX_REMOTE_NAME_CODE_POINTS,
  remoteDisplayName,
  remoteUser,
} from './remote-user'

const HEX = /^#[0-9a-f]{6}$/

describe('remoteUser', () => {
  it('keeps a well-formed name and #rrggbb colour, and derives the light colour itself', () => {
    expect(
      remoteUser(7, { user: { name: 'Ada', color: '#0D74CE', colorLight: '#0d74ce33' } }),
    ).toEqual({ name: 'Ada', color: '#0d74ce', colorLight: '#0d74ce33', verified: false })
  })

  it('reads the verified mark only as the boolean true the server sets (T46)', () => {
    expect(remoteUser(7, { user: { name: 'Ada', verified: true } }).verified).toBe(true)
    for (const verified of ['true', 1, {}, null]) {
      expect(remoteUser(7, { user: { name: 'Ada', verified } }).verified).toBe(false)
    }
  })

  it('never reads colorLight: a CSS injection there is dropped', () => {
    const user = remoteUser(1, {
      user: {
        name: 'Mallory',
        color: '#d13415',
        colorLight:
          '#f003; position: fixed; inset: 0; z-index: 2147483647; background: url(data:image/png;base64,AAAA)',
      },
    })
    expect(user.colorLight).toBe('#d1341533')
  })

  it.each([
    ['a colour name', 'red'],
    ['three digits', '#f00'],
    ['eight digits', '#ff000033'],
    ['a declaration break', '#f00; position: fixed'],
    ['a trailing newline', '#d13415\n'],
    ['a function', 'rgb(1, 2, 3)'],
    ['a variable', 'var(--x)'],
    ['not a string', 0xd13415],
    ['an object', { toString: () => '#d13415' }],
  ])('falls back to the colour derived from the client id for %s', (_, color) => {
    const user = remoteUser(12345, { user: { name: 'Eve', color } })
    expect(user.color).toBe(colorForClientId(12345))
    expect(user.colorLight).toBe(`${colorForClientId(12345)}33`)
    expect(user.color).toMatch(HEX)
  })

  it.each([
    ['no state', undefined],
    ['a null state', null],
    ['no user', {}],
    ['a string user', { user: 'Eve' }],
    ['an array user', { user: ['Eve', '#d13415'] }],
    ['empty fields', { user: { name: '', color: '' } }],
  ])('shows a client with %s as Anonymous in its derived colour', (_, state) => {
    expect(remoteUser(3, state)).toEqual({
      name: ANONYMOUS,
      color: colorForClientId(3),
      colorLight: `${colorForClientId(3)}33`,
      verified: false,
    })
  })

  it('ignores every other field', () => {
    const user = remoteUser(5, {
      user: { name: 'Eve', color: '#123456', style: 'position: fixed', html: '<img>' },
      style: 'x',
    })
    expect(Object.keys(user).sort()).toEqual(['color', 'colorLight', 'name', 'verified'])
  })
})

describe('remoteDisplayName', () => {
  it(`cuts a long name to ${MAX_REMOTE_NAME_CODE_POINTS} code points, counting emoji as one`, () => {
    expect(remoteDisplayName('x'.repeat(100_000))).toBe('x'.repeat(MAX_REMOTE_NAME_CODE_POINTS))
    const emoji = remoteDisplayName('😀'.repeat(100))
    expect([...emoji]).toHaveLength(MAX_REMOTE_NAME_CODE_POINTS)
    expect(emoji).toBe('😀'.repeat(MAX_REMOTE_NAME_CODE_POINTS))
  })

  it('removes bidi controls, zero-width and other format characters', () => {
    // RLO … PDF would show the text reversed; RLI/LRI/FSI/PDI isolate it; LRM, RLM, ALM, ZWJ,
    // ZWNJ, the word joiner, the BOM and tag characters are all format characters (Cf).
    expect(remoteDisplayName('\u202Egnp.exe\u202C')).toBe('gnp.exe')
    expect(remoteDisplayName('\u2067Ada\u2069 \u2066x\u2069 \u2068y\u2069')).toBe('Ada x y')
    expect(remoteDisplayName('\u200EA\u200F\u061Cb\u200Dc\u200Cd\u2060e\uFEFF')).toBe('Abcde')
    expect(remoteDisplayName('\u{E0041}tag')).toBe('tag')
  })

  it('turns line breaks and tabs into single spaces and removes other control characters', () => {
    expect(remoteDisplayName('Ada\n\nLovelace\t(admin)')).toBe('Ada Lovelace (admin)')
    expect(remoteDisplayName('A\u0000d\u0007a\u001b[31m')).toBe('Ada[31m')
    expect(remoteDisplayName('Ada\u2028Lovelace')).toBe('Ada Lovelace')
  })

  it('trims, and falls back to Anonymous when nothing visible is left', () => {
    expect(remoteDisplayName('   Grace   ')).toBe('Grace')
    expect(remoteDisplayName(' \u200B\u202E\u2066 ')).toBe(ANONYMOUS)
    expect(remoteDisplayName('')).toBe(ANONYMOUS)
    expect(remoteDisplayName(undefined)).toBe(ANONYMOUS)
    expect(remoteDisplayName(42)).toBe(ANONYMOUS)
  })

  it('keeps markup as text (it is never parsed)', () => {
    expect(remoteDisplayName('<img src=x onerror=alert(1)>')).toBe('<img src=x onerror=alert(1)>')
  })

  it('keeps right-to-left and combining text', () => {
    expect(remoteDisplayName('שלום')).toBe('שלום')
    expect(remoteDisplayName('e\u0301')).toBe('e\u0301')
  })
})

describe('hexColor', () => {
  it('accepts #rrggbb only, in lower case', () => {
    expect(hexColor('#ABCDEF')).toBe('#abcdef')
    expect(hexColor('#abcdeg')).toBeNull()
    expect(hexColor(' #abcdef')).toBeNull()
    expect(hexColor(null)).toBeNull()
  })
})

describe('colorForClientId', () => {
  it('is a palette colour, the same for the same id, also for odd ids', () => {
    for (const id of [0, 1, 2 ** 32 - 1, -5, 1.5, Number.NaN]) {
      expect(palette).toContain(colorForClientId(id))
      expect(colorForClientId(id)).toBe(colorForClientId(id))
    }
    expect(new Set([0, 1, 2, 3].map(colorForClientId)).size).toBe(4)
  })
})

describe('isolated', () => {
  it('wraps a name in FSI … PDI', () => {
    expect(isolated('שלום')).toBe('\u2068שלום\u2069')
  })
})

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type DocNameProblem, encodeDocName, parseDocName, validateDocName } from './doc-name.js'
import { defaultLimits } from './limits.js'

const problems: DocNameProblem[] = [
  'empty',
  'too-long',
  'bad-encoding',
  'control-character',
  'format-character',
  'reserved-character',
  'bad-segment',
]

const validNames = [
  'notes',
  'team/notes',
  'a/b/c',
  'My Notes 2024',
  'a\u00a0b',
  'café',
  '日本語/メモ',
  '🦊',
  'a.b',
  '.hidden',
  '...',
  "it's (draft) [v2]",
  '~user/a+b=c&d;e,f@g:h!',
]

describe('validateDocName', () => {
  it.each(validNames)('accepts %j', (name) => {
    expect(validateDocName(name)).toEqual({ ok: true, name })
  })

  it('refuses the empty name', () => {
    expect(validateDocName('')).toEqual({ ok: false, problem: 'empty' })
  })

  it('counts length in code points, up to maxDocNameChars', () => {
    const max = defaultLimits.maxDocNameChars
    expect(validateDocName('a'.repeat(max)).ok).toBe(true)
    expect(validateDocName('a'.repeat(max + 1))).toEqual({ ok: false, problem: 'too-long' })
    // 128 astral characters are 256 UTF-16 code units, and still 128 code points.
    expect(validateDocName('🦊'.repeat(max)).ok).toBe(true)
    expect(validateDocName('🦊'.repeat(max + 1))).toEqual({ ok: false, problem: 'too-long' })
  })

  it.each([
    'a\u202eb',
    '\u200b',
    'team\u200b/notes',
    'a\u200db',
    'no\ufefftes',
    'x\u00ady',
    'a\u2066b\u2069',
    'flag\u{e0067}',
  ])('refuses Unicode format characters (\\p{Cf}): %j', (name) => {
    expect(validateDocName(name)).toEqual({ ok: false, problem: 'format-character' })
    expect(parseDocName(encodeURIComponent(name))).toEqual({
      ok: false,
      problem: 'format-character',
    })
  })

  it('returns the name in NFC: "café" composed and decomposed is one name', () => {
    const composed = 'caf\u00e9'
    const decomposed = 'cafe\u0301'
    expect(validateDocName(decomposed)).toEqual({ ok: true, name: composed })
    expect(validateDocName(composed)).toEqual({ ok: true, name: composed })
    expect(parseDocName(encodeURIComponent(decomposed))).toEqual({ ok: true, name: composed })
    expect(parseDocName(`team/${encodeURIComponent(decomposed)}`)).toEqual({
      ok: true,
      name: `team/${composed}`,
    })
    // Measured after normalization: 128 decomposed characters are 128 code points in NFC.
    expect(validateDocName('e\u0301'.repeat(defaultLimits.maxDocNameChars)).ok).toBe(true)
  })

  it('takes a different maximum', () => {
    expect(validateDocName('abc', 3).ok).toBe(true)
    expect(validateDocName('abcd', 3)).toEqual({ ok: false, problem: 'too-long' })
  })

  it.each(['\ud800', 'a\udc00b', '\udfff\ud800'])('refuses lone surrogates: %j', (name) => {
    expect(validateDocName(name)).toEqual({ ok: false, problem: 'bad-encoding' })
  })

  it.each([
    '\u0000',
    'a\u0000b',
    '\u001f',
    'a\tb',
    'a\nb',
    'a\rb',
    '\u007f',
    '\u0080',
    'a\u0085b',
    '\u009f',
    'a\u2028b',
    'a\u2029b',
  ])('refuses control characters: %j', (name) => {
    expect(validateDocName(name)).toEqual({ ok: false, problem: 'control-character' })
  })

  it.each(['?', 'a?b', '#', 'a#b', '%', '100%', '\\', 'a\\b'])(
    'refuses ? # %% and backslash: %j',
    (name) => {
      expect(validateDocName(name)).toEqual({ ok: false, problem: 'reserved-character' })
    },
  )

  it.each([
    '/',
    '/a',
    'a/',
    'a//b',
    '.',
    '..',
    './a',
    '../a',
    'a/./b',
    'a/../b',
    'a/..',
    ' ',
    ' a',
    'a ',
    'a/ b',
    'a /b',
    '\u00a0a',
    'a\u3000',
    '\ufeffa',
  ])('refuses empty, dot and whitespace-padded segments: %j', (name) => {
    expect(validateDocName(name)).toEqual({ ok: false, problem: 'bad-segment' })
  })
})

describe('parseDocName', () => {
  it.each([
    ['notes', 'notes'],
    ['team/notes', 'team/notes'],
    ['My%20Notes', 'My Notes'],
    ['caf%C3%A9', 'café'],
    ['%F0%9F%A6%8A', '🦊'],
    ['team%2Fnotes', 'team/notes'],
  ])('decodes %j to %j', (encoded, name) => {
    expect(parseDocName(encoded)).toEqual({ ok: true, name })
  })

  it.each(['%', '%zz', 'a%2', '%C3', '%FF', '%ED%A0%80', '%C0%AF'])(
    'refuses bad percent-encoding: %j',
    (encoded) => {
      expect(parseDocName(encoded)).toEqual({ ok: false, problem: 'bad-encoding' })
    },
  )

  it.each([
    ['', 'empty'],
    ['%00', 'control-character'],
    ['a%0Ab', 'control-character'],
    ['%C2%85', 'control-character'],
    ['%7F', 'control-character'],
    ['%3F', 'reserved-character'],
    ['%23', 'reserved-character'],
    ['%25', 'reserved-character'],
    ['%5C', 'reserved-character'],
    ['%2F', 'bad-segment'],
    ['a%2F%2Fb', 'bad-segment'],
    ['%2E%2E', 'bad-segment'],
    ['a/%2E/b', 'bad-segment'],
    ['%20a', 'bad-segment'],
  ] satisfies [string, DocNameProblem][])(
    'checks the decoded name: %j is %s',
    (encoded, problem) => {
      expect(parseDocName(encoded)).toEqual({ ok: false, problem })
    },
  )

  it('measures the decoded name, not the encoded one', () => {
    const max = defaultLimits.maxDocNameChars
    expect(parseDocName('%C3%A9'.repeat(max))).toEqual({ ok: true, name: 'é'.repeat(max) })
    expect(parseDocName('%C3%A9'.repeat(max + 1))).toEqual({ ok: false, problem: 'too-long' })
    expect(parseDocName('abcd', 3)).toEqual({ ok: false, problem: 'too-long' })
  })
})

describe('encodeDocName', () => {
  it.each([
    ['notes', 'notes'],
    ['team/notes', 'team/notes'],
    ['My Notes/été', 'My%20Notes/%C3%A9t%C3%A9'],
    ['🦊', '%F0%9F%A6%8A'],
    ["it's (draft) [v2]", "it's%20(draft)%20%5Bv2%5D"],
  ])('encodes %j as %j', (name, encoded) => {
    expect(encodeDocName(name)).toBe(encoded)
  })

  it.each(validNames)('round-trips %j through parseDocName', (name) => {
    expect(parseDocName(encodeDocName(name))).toEqual({ ok: true, name })
  })
})

describe('document names (properties)', () => {
  const char = fc.oneof(
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    fc.constantFrom('.', ' ', '%', '/', '?', '#', '\\', '\u0085', '\u00a0'),
  )
  const segment = fc.string({ unit: char, minLength: 0, maxLength: 10 })
  const name = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'))

  it('never throw, and either accept the name in NFC or name a problem', () => {
    fc.assert(
      fc.property(fc.oneof(name, fc.string({ unit: 'binary' })), (input) => {
        for (const result of [validateDocName(input), parseDocName(input)]) {
          if (result.ok) expect(typeof result.name).toBe('string')
          else expect(problems).toContain(result.problem)
        }
        const validated = validateDocName(input)
        if (validated.ok) expect(validated.name).toBe(input.normalize('NFC'))
        if (validated.ok) expect(validateDocName(validated.name)).toEqual(validated)
      }),
      { seed: 42, numRuns: 2000 },
    )
  })

  it('valid names survive encodeDocName, the URL parser and parseDocName unchanged', () => {
    fc.assert(
      fc.property(name, (n) => {
        if (!validateDocName(n).ok || n !== n.normalize('NFC')) return
        const encoded = encodeDocName(n)
        expect(new URL(`ws://localhost/${encoded}`).pathname).toBe(`/${encoded}`)
        expect(parseDocName(encoded)).toEqual({ ok: true, name: n })
      }),
      { seed: 42, numRuns: 2000 },
    )
  })

  it('valid names reach the server intact when a stock client puts them in the URL raw', () => {
    // y-websocket's provider connects to `${serverUrl}/${roomname}` without encoding the name;
    // the WebSocket URL parser percent-encodes what it must. The rules keep that lossless.
    fc.assert(
      fc.property(name, (n) => {
        if (!validateDocName(n).ok || n !== n.normalize('NFC')) return
        const path = new URL(`ws://localhost:1234/${n}`).pathname
        expect(parseDocName(path.slice(1))).toEqual({ ok: true, name: n })
      }),
      { seed: 42, numRuns: 2000 },
    )
  })
})

import { describe, expect, it } from 'vitest'
import { decodeImport, exportFileName, looksLikeText, MAX_IMPORT_BYTES } from './files'

const bytes = (text: string) => new TextEncoder().encode(text)

describe('exportFileName', () => {
  it('uses the last segment of the name and the format', () => {
    expect(exportFileName('launch-plan', 'md')).toBe('launch-plan.md')
    expect(exportFileName('team/notes 2024', 'txt')).toBe('notes 2024.txt')
  })

  it('replaces what file systems refuse and never returns an empty name', () => {
    expect(exportFileName('a:b*c?', 'md')).toBe('a-b-c.md')
    expect(exportFileName('...', 'txt')).toBe('document.txt')
    expect(exportFileName('.hidden', 'md')).toBe('hidden.md')
  })
})

describe('decodeImport', () => {
  it('reads UTF-8 and makes line breaks \\n', () => {
    expect(decodeImport(bytes('# Title\r\nline\rnext\n'))).toEqual({
      ok: true,
      text: '# Title\nline\nnext\n',
    })
    expect(decodeImport(bytes('\ufeffcafé'))).toEqual({ ok: true, text: 'café' })
  })

  it('refuses files that are not UTF-8 text or too big', () => {
    expect(decodeImport(Uint8Array.of(0xff, 0xfe, 0x00))).toMatchObject({ ok: false })
    expect(decodeImport(bytes('a\u0000b'))).toMatchObject({ ok: false })
    expect(decodeImport(new Uint8Array(MAX_IMPORT_BYTES + 1))).toMatchObject({ ok: false })
  })
})

describe('looksLikeText', () => {
  it('accepts text types and text extensions', () => {
    expect(looksLikeText({ name: 'notes.md', type: '' })).toBe(true)
    expect(looksLikeText({ name: 'notes.TXT', type: '' })).toBe(true)
    expect(looksLikeText({ name: 'data.csv', type: 'text/csv' })).toBe(true)
    expect(looksLikeText({ name: 'README', type: '' })).toBe(true)
    expect(looksLikeText({ name: 'photo.png', type: 'image/png' })).toBe(false)
    expect(looksLikeText({ name: 'archive.zip', type: '' })).toBe(false)
  })
})

import { describe, expect, it } from 'vitest'
import {
  DOWNLOAD_TYPE,
  fileHashOf,
  fileMarkdown,
  filePath,
  isValidFileName,
  sniffMediaType,
} from './files.js'

const bytes = (...parts: (number[] | string)[]) =>
  Uint8Array.from(
    parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)),
  )
const HASH = 'a'.repeat(64)

describe('files', () => {
  it('F8: recognises the four raster types by their magic bytes, and nothing else', () => {
    expect(sniffMediaType(bytes([0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe('image/png')
    expect(sniffMediaType(bytes([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg')
    expect(sniffMediaType(bytes('GIF89a'))).toBe('image/gif')
    expect(sniffMediaType(bytes('GIF87a'))).toBe('image/gif')
    expect(sniffMediaType(bytes('RIFF', [1, 2, 3, 4], 'WEBPVP8 '))).toBe('image/webp')
    for (const other of [
      bytes('<svg xmlns="http://www.w3.org/2000/svg"/>'),
      bytes('<!doctype html>'),
      bytes('RIFF', [1, 2, 3, 4], 'WAVE'),
      bytes([0x89], 'PNG'),
      bytes('GIF8'),
      bytes(),
    ]) {
      expect(sniffMediaType(other)).toBe(DOWNLOAD_TYPE)
    }
  })

  it('F10: a file name is 1 to 255 characters without control characters or slashes', () => {
    expect(isValidFileName('Screenshot 2026-12-07 at 10.00.00.png')).toBe(true)
    expect(isValidFileName('图像 ✓.webp')).toBe(true)
    for (const bad of ['', '  ', 'a/b', 'a\\b', 'a\nb', 'a\u0000', 'x'.repeat(256), '\ud800']) {
      expect(isValidFileName(bad), JSON.stringify(bad)).toBe(false)
    }
  })

  it('F17: file addresses are recognised as paths or on the page origin, of any document', () => {
    const path = filePath('team/notes', HASH)
    expect(path).toBe(`/api/docs/team%2Fnotes/files/${HASH}`)
    expect(fileHashOf(path)).toBe(HASH)
    expect(fileHashOf(`https://tandem.example${path}`, 'https://tandem.example')).toBe(HASH)
    expect(fileHashOf(`https://evil.example${path}`, 'https://tandem.example')).toBeNull()
    expect(fileHashOf(`${path}?token=x`)).toBeNull()
    expect(fileHashOf(`/api/docs/a/b/files/${HASH}`)).toBeNull()
    expect(fileHashOf(`/api/docs/a/files/${HASH.slice(1)}`)).toBeNull()
    // Parentheses are encoded: the path is a Markdown link's destination whatever the name.
    expect(filePath('a) b (c', HASH)).toBe(`/api/docs/a%29%20b%20%28c/files/${HASH}`)
    expect(fileHashOf(filePath('a) b (c', HASH))).toBe(HASH)
  })

  it('F7: Markdown shows an image for the raster types and a link for anything else', () => {
    expect(fileMarkdown('a [b]\\c.png', '/u', 'image/png')).toBe('![a \\[b\\]\\\\c.png](/u)')
    expect(fileMarkdown('report.pdf', '/u', DOWNLOAD_TYPE)).toBe('[report.pdf](/u)')
  })
})

import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deflateRawSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { crc32, readZip, writeZip, ZipError } from './zip'

const limits = { maxEntries: 100, maxBytes: 1_000_000 }
const text = (s: string) => new TextEncoder().encode(s)

/** A one-entry archive whose entry is deflated, as zip tools write it. */
function deflatedZip(name: string, data: Uint8Array): Uint8Array {
  const packed = deflateRawSync(data)
  const nameBytes = text(name)
  const out = writeZip([{ name, bytes: packed }])
  const view = new DataView(out.buffer)
  // Same layout as a stored entry of the packed bytes; mark it deflated and give the real size and CRC.
  view.setUint16(8, 8, true)
  view.setUint32(14, crc32(data), true)
  view.setUint32(22, data.length, true)
  const central = 30 + nameBytes.length + packed.length
  view.setUint16(central + 10, 8, true)
  view.setUint32(central + 16, crc32(data), true)
  view.setUint32(central + 24, data.length, true)
  return out
}

describe('zip', () => {
  it('computes CRC-32 as zip does', () => {
    expect(crc32(text('123456789'))).toBe(0xcbf43926)
    expect(crc32(new Uint8Array())).toBe(0)
  })

  it('reads back what it writes, UTF-8 names included', async () => {
    const entries = [
      { name: 'notes.md', bytes: text('# Notes\n\n![a](files/a.png)\n') },
      { name: 'files/ünïcode ✓.png', bytes: Uint8Array.from({ length: 1000 }, (_, i) => i % 251) },
    ]
    const read = await readZip(writeZip(entries), limits)
    expect(read.map((e) => [e.name, [...e.bytes]])).toEqual(
      entries.map((e) => [e.name, [...e.bytes]]),
    )
  })

  it('writes what the unzip tool reads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zip-test-'))
    try {
      const file = join(dir, 'a.zip')
      writeFileSync(file, writeZip([{ name: 'doc.md', bytes: text('hello') }]))
      let listed: string
      try {
        listed = execFileSync('unzip', ['-p', file, 'doc.md'], { encoding: 'utf8' })
      } catch {
        listed = execFileSync(
          'python3',
          [
            '-c',
            `import zipfile,sys;sys.stdout.write(zipfile.ZipFile('${file}').read('doc.md').decode())`,
          ],
          { encoding: 'utf8' },
        )
      }
      expect(listed).toBe('hello')
      expect(readFileSync(file).length).toBeGreaterThan(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('reads deflated entries', async () => {
    const data = text('a'.repeat(5000))
    const [entry] = await readZip(deflatedZip('big.txt', data), limits)
    expect(entry?.bytes).toEqual(data)
  })

  it('refuses what is not a zip, is damaged, or unpacks to more than the limits', async () => {
    await expect(readZip(text('not a zip at all, not at all'), limits)).rejects.toThrow(ZipError)
    const zip = writeZip([{ name: 'a.txt', bytes: text('abc') }])
    const damaged = zip.slice()
    damaged[30 + 5] = 'X'.charCodeAt(0)
    await expect(readZip(damaged, limits)).rejects.toThrow(/damaged/)
    const many = writeZip(
      Array.from({ length: 5 }, (_, i) => ({ name: `${i}.txt`, bytes: text('x') })),
    )
    await expect(readZip(many, { maxEntries: 4, maxBytes: 100 })).rejects.toThrow(/more than 4/)
    // A bomb: it says 5,000 bytes unpacked; the limit is checked before anything is inflated.
    await expect(
      readZip(deflatedZip('bomb.txt', text('a'.repeat(5000))), { maxEntries: 10, maxBytes: 4000 }),
    ).rejects.toThrow(/larger than/)
  })
})

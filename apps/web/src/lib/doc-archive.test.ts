import { describe, expect, it } from 'vitest'
import { exportArchive, linkedFiles, readArchive, relink } from './doc-archive'
import { writeZip } from './zip'

const A = 'a'.repeat(64)
const B = 'b'.repeat(64)
const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])

describe('document archives', () => {
  it('F21: an export holds the text and its files, linked relatively, and reads back', async () => {
    const text = `# Notes\n\n![shot](/api/docs/old-name/files/${A})\n\n[report](/api/docs/notes/files/${B} "the report")\n\n![web](https://example.com/x.png)\n`
    expect(linkedFiles(text)).toEqual([A, B])
    const { zip, missing } = await exportArchive('team/notes', text, async (hash) =>
      hash === A ? { bytes: png, name: 'shot 1.png' } : null,
    )
    expect(missing).toBe(1)
    const read = await readArchive(zip)
    expect(read.name).toBe('notes.md')
    expect(read.text).toContain('![shot](files/aaaaaaaaaaaa-shot%201.png)')
    // A file that could not be fetched keeps its address.
    expect(read.text).toContain(`[report](/api/docs/notes/files/${B} "the report")`)
    expect([...read.files.keys()]).toEqual(['files/aaaaaaaaaaaa-shot%201.png'])
    expect(read.files.get('files/aaaaaaaaaaaa-shot%201.png')?.name).toBe('shot 1.png')
    expect([...(read.files.get('files/aaaaaaaaaaaa-shot%201.png')?.bytes ?? [])]).toEqual([...png])
    const relinked = relink(read.text, new Map([['files/aaaaaaaaaaaa-shot%201.png', '/new/url']]))
    expect(relinked).toContain('![shot](/new/url)')
  })

  it('F21: an archive of another tool is read from its shallowest text; links may not leave it', async () => {
    const zip = writeZip([
      { name: 'deep/other.md', bytes: new TextEncoder().encode('other') },
      {
        name: 'doc/readme.md',
        bytes: new TextEncoder().encode('![p](img/p.png) ![x](../../etc/passwd)'),
      },
      { name: 'doc/img/p.png', bytes: png },
    ])
    const read = await readArchive(zip)
    expect(read.name).toBe('deep/other.md')
    const only = await readArchive(
      writeZip([
        {
          name: 'doc/readme.md',
          bytes: new TextEncoder().encode('![p](img/p.png) ![x](../../x.png)'),
        },
        { name: 'doc/img/p.png', bytes: png },
      ]),
    )
    expect([...only.files.keys()]).toEqual(['img/p.png'])
    await expect(readArchive(writeZip([{ name: 'a.png', bytes: png }]))).rejects.toThrow(
      /no Markdown/,
    )
  })
})

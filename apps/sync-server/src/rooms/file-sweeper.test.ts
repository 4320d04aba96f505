import { createHash } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { tempDir } from '../../test/helpers.js'
import { createLogger } from '../log.js'
import { SqliteStore } from '../persistence/sqlite.js'
import { sweepFiles } from './file-sweeper.js'

const DAY_MS = 24 * 60 * 60 * 1000
const NOW = 1_800_000_000_000
const OLD = NOW - 40 * DAY_MS
const log = createLogger('silent')

const bytesOf = (fill: number) => new Uint8Array(20).fill(fill)
const hashOf = (fill: number) => createHash('sha256').update(bytesOf(fill)).digest('hex')
const link = (fill: number) => `![f](/api/docs/x/files/${hashOf(fill)})`

function textUpdate(text: string): Uint8Array {
  const doc = new Y.Doc()
  doc.getText('codemirror').insert(0, text)
  return Y.encodeStateAsUpdate(doc)
}

describe('the file sweep', () => {
  let dir: ReturnType<typeof tempDir>
  let store: SqliteStore
  beforeEach(() => {
    dir = tempDir()
    store = SqliteStore.open(dir.path)
  })
  afterEach(async () => {
    await store.close()
    dir.remove()
  })

  const save = (doc: string, fill: number, createdAtMs = OLD) =>
    store.saveFile(
      doc,
      { name: `${fill}.bin`, mediaType: 'x', bytes: bytesOf(fill), createdAtMs },
      1e9,
    )
  const hashes = async (doc: string) => (await store.listFiles(doc)).map((f) => f.hash).sort()

  it('F23: deletes old files that neither the text nor a version shows; keeps recent ones, open documents’ and unreadable ones’', async () => {
    // "notes" shows 1 in its text and 4 in a version; 2 nowhere; 3 is recent.
    await store.append('notes', textUpdate(`Text ${link(1)} end`))
    const version = new Y.Doc()
    version.getText('codemirror').insert(0, `Old ${link(4)}`)
    await store.saveVersion('notes', {
      createdAtMs: OLD,
      label: null,
      kind: 'auto',
      authors: [],
      textLength: 10,
      bytes: Y.encodeStateAsUpdate(version),
    })
    for (const fill of [1, 2, 4]) await save('notes', fill)
    await save('notes', 3, NOW - DAY_MS)
    // Files of a document that has no text at all.
    await save('pictures', 5)
    // Someone has this one open: its text may show a file again any moment.
    await save('open', 6)
    // A document whose log does not decode keeps its files.
    await store.append('broken', new Uint8Array([1, 2, 3]))
    await save('broken', 7)
    // A deleted document's files go with the trash, not with the sweep.
    await save('deleted', 8)
    await store.trash('deleted', NOW)

    const sweep = await sweepFiles(
      store,
      { retentionDays: 30, isOpen: async (doc) => doc === 'open' },
      log,
      NOW,
    )
    expect(sweep).toEqual({ checked: 6, deleted: 2 })
    expect(await hashes('notes')).toEqual([hashOf(1), hashOf(3), hashOf(4)].sort())
    expect(await hashes('pictures')).toEqual([])
    expect(await hashes('open')).toEqual([hashOf(6)])
    expect(await hashes('broken')).toEqual([hashOf(7)])
    expect(await store.restore('deleted')).toBe('moved')
    expect(await hashes('deleted')).toEqual([hashOf(8)])
    // What is left is still there to serve.
    expect((await store.loadFile('notes', hashOf(1)))?.size).toBe(20)
  })

  it('F23: a sweep stops after the page that reaches maxFiles; the next goes on', async () => {
    for (let fill = 1; fill <= 205; fill++) await save('pictures', fill)
    const options = { retentionDays: 30, isOpen: async () => false, maxFiles: 1 }
    const first = await sweepFiles(store, options, log, NOW)
    expect(first).toEqual({ checked: 200, deleted: 200 })
    expect(await hashes('pictures')).toHaveLength(5)
    expect(await sweepFiles(store, options, log, NOW)).toEqual({ checked: 5, deleted: 5 })
    expect(await hashes('pictures')).toEqual([])
  })
})

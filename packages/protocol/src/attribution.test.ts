import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import {
  type AttributionRecord,
  attributeText,
  coalesceRecords,
  decodeRecords,
  encodeRecord,
  encodeRecords,
  idsOfUpdate,
  normalizeRanges,
  Playback,
  subtractRanges,
} from './attribution.js'

/** A seeded generator, so a failure repeats. */
function random(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

/**
 * Two writers editing one text, each change exchanged as an update: the updates in order, the
 * text after each, and a record per update naming its writer (author 0 or 1).
 */
function history(seed: number, steps: number) {
  const rand = random(seed)
  const docs = [new Y.Doc(), new Y.Doc()]
  docs[0]!.clientID = 101
  docs[1]!.clientID = 202
  const updates: Uint8Array[] = []
  const texts: string[] = []
  const records: AttributionRecord[] = []
  for (let k = 0; k < steps; k++) {
    const who = rand() < 0.5 ? 0 : 1
    const doc = docs[who]!
    const text = doc.getText('t')
    let update: Uint8Array | null = null
    doc.once('update', (u: Uint8Array) => {
      update = u
    })
    doc.transact(() => {
      if (text.length > 0 && rand() < 0.35) {
        const at = Math.floor(rand() * text.length)
        text.delete(at, Math.min(text.length - at, 1 + Math.floor(rand() * 5)))
      } else {
        const at = Math.floor(rand() * (text.length + 1))
        text.insert(at, `${'abcdefgh'[k % 8]}${k}`)
      }
    })
    Y.applyUpdate(docs[1 - who]!, update!)
    updates.push(update!)
    texts.push(text.toString())
    records.push({ author: who, timeMs: 1000 + k, ...idsOfUpdate(update!) })
  }
  return { docs, updates, texts, records }
}

describe('id ranges', () => {
  it('normalizes and subtracts', () => {
    expect(normalizeRanges([2, 5, 3, 1, 0, 2, 2, 7, 4, 1, 2, 1])).toEqual([1, 0, 3, 2, 5, 6])
    expect(subtractRanges([1, 0, 10, 2, 0, 5], [1, 2, 3, 1, 8, 5, 2, 4, 9])).toEqual([
      1, 0, 2, 1, 5, 3, 2, 0, 4,
    ])
    expect(subtractRanges([1, 0, 10], [])).toEqual([1, 0, 10])
  })

  it('reads the ids an update inserts and deletes', () => {
    const doc = new Y.Doc()
    doc.clientID = 7
    const text = doc.getText('t')
    text.insert(0, 'hello world')
    const deleted: Uint8Array[] = []
    doc.on('update', (u: Uint8Array) => deleted.push(u))
    text.delete(2, 3)
    expect(idsOfUpdate(Y.encodeStateAsUpdate(new Y.Doc()))).toEqual({ inserts: [], deletes: [] })
    expect(idsOfUpdate(deleted[0]!)).toEqual({ inserts: [], deletes: [7, 2, 3] })
  })
})

describe('records', () => {
  it('round-trip through their binary form, concatenated too', () => {
    const { records } = history(1, 60)
    const a = encodeRecords(records.slice(0, 20))
    const b = encodeRecords(records.slice(20))
    const both = new Uint8Array(a.length + b.length)
    both.set(a)
    both.set(b, a.length)
    expect(decodeRecords(both)).toEqual(records)
    // One at a time, as the append path writes them: the same bytes.
    for (const record of records) expect(encodeRecord(record)).toEqual(encodeRecords([record]))
    const big = { author: 2 ** 40, timeMs: 2 ** 50, inserts: [], deletes: [] as number[] }
    for (let i = 0; i < 200; i++) big.deletes.push(2 ** 32 - 1 - i, 0, 2 ** 30)
    big.deletes = normalizeRanges(big.deletes)
    expect(encodeRecord(big)).toEqual(encodeRecords([big]))
    expect(decodeRecords(encodeRecord(big))).toEqual([big])
  })

  it('coalesce one author within the window, and keep each id with its first record', () => {
    const records: AttributionRecord[] = [
      { author: 1, timeMs: 0, inserts: [5, 0, 3], deletes: [] },
      { author: 1, timeMs: 900, inserts: [5, 3, 2], deletes: [9, 0, 1] },
      { author: 2, timeMs: 950, inserts: [6, 0, 1], deletes: [9, 0, 4] },
      { author: 1, timeMs: 1000, inserts: [5, 5, 1], deletes: [] },
      { author: 1, timeMs: 5000, inserts: [], deletes: [9, 0, 4] },
    ]
    expect(coalesceRecords(records, 1000)).toEqual([
      { author: 1, timeMs: 0, inserts: [5, 0, 5], deletes: [9, 0, 1] },
      { author: 2, timeMs: 950, inserts: [6, 0, 1], deletes: [9, 1, 3] },
      { author: 1, timeMs: 1000, inserts: [5, 5, 1], deletes: [] },
    ])
  })
})

describe('attributeText', () => {
  it('names the writer of every character', () => {
    const { docs, records } = history(2, 200)
    const text = docs[0]!.getText('t')
    const spans = attributeText(text, records)
    const str = text.toString()
    expect(spans.at(-1)?.to).toBe(str.length)
    // Rebuild the expectation from the items: every character's client names its writer.
    let pos = 0
    for (let item = text._start; item; item = item.right) {
      if (item.deleted || !(item.content instanceof Y.ContentString)) continue
      for (let i = 0; i < item.length; i++, pos++) {
        const span = spans.find((s) => s.from <= pos && pos < s.to)
        expect(span?.author).toBe(item.id.client === 101 ? 0 : 1)
      }
    }
    expect(spans.every((s) => s.timeMs !== null)).toBe(true)
  })

  it('leaves text no record covers unattributed', () => {
    const doc = new Y.Doc()
    doc.getText('t').insert(0, 'abc')
    expect(attributeText(doc.getText('t'), [])).toEqual([
      { from: 0, to: 3, author: null, timeMs: null },
    ])
  })
})

describe('Playback', () => {
  it('shows the text after every record, and the changes between any two steps', () => {
    const { updates, texts, records } = history(3, 300)
    const full = new Y.Doc({ gc: false })
    for (const u of updates) Y.applyUpdate(full, u)
    const playback = Playback.of(full.getText('t'), records)
    expect(playback.steps).toBe(300)
    expect(playback.textAt(-1)).toBe('')
    for (let k = 0; k < texts.length; k++) expect(playback.textAt(k)).toBe(texts[k])
    const rand = random(9)
    for (let n = 0; n < 200; n++) {
      const a = Math.floor(rand() * 301) - 1
      const b = Math.floor(rand() * 301) - 1
      let text = playback.textAt(a)
      let shift = 0
      for (const c of playback.changes(a, b)) {
        text = text.slice(0, c.from + shift) + c.insert + text.slice(c.to + shift)
        shift += c.insert.length - (c.to - c.from)
      }
      expect(text).toBe(playback.textAt(b))
    }
  })

  it('says who deleted the text gone between two steps', () => {
    const { updates, texts, records } = history(5, 120)
    const full = new Y.Doc({ gc: false })
    for (const u of updates) Y.applyUpdate(full, u)
    const playback = Playback.of(full.getText('t'), records)
    for (const [a, b] of [
      [10, 60],
      [40, 119],
      [-1, 119],
    ] as const) {
      const before = a < 0 ? '' : texts[a]!
      const removed = playback.removals(a, b)
      let kept = ''
      let at = 0
      for (const span of removed) {
        kept += before.slice(at, span.from)
        at = span.to
        // Deleted after `a` and by `b`, by one of the two writers.
        expect([0, 1]).toContain(span.author)
        const step = records.findIndex((r) => r.timeMs === span.timeMs)
        expect(step).toBeGreaterThan(a)
        expect(step).toBeLessThanOrEqual(b)
        // That record's deletions name the characters' ids: it is the deleter, as recorded.
        expect(records[step]!.deletes.length).toBeGreaterThan(0)
      }
      kept += before.slice(at)
      // What is left of the text at `a` is what the changes from `a` to `b` keep of it.
      const dropped = playback.changes(a, b).reduce((n, c) => n + (c.to - c.from), 0)
      expect(before.length - kept.length).toBe(dropped)
    }
    expect(playback.removals(40, 119).length).toBeGreaterThan(0)
  })

  it('colours each step by who wrote it', () => {
    const { updates, records } = history(4, 80)
    const full = new Y.Doc({ gc: false })
    for (const u of updates) Y.applyUpdate(full, u)
    const playback = Playback.of(full.getText('t'), records)
    const now = playback.spansAt(79)
    expect(now).toEqual(attributeText(full.getText('t'), records))
  })
})

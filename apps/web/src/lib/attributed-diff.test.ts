import { type AttributionRecord, idsOfUpdate, Playback } from '@tandem/protocol'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { attributeDiff, stepAt, versionDeletions, versionStep } from './attributed-diff'
import { diffText } from './diff'

describe('attributeDiff', () => {
  it('cuts what was added by who deleted it and what was removed by who wrote it', () => {
    // Version: "Hello brave world"; current: "Hello world again" (again by 3), brave deleted by 2.
    const version = 'Hello brave world'
    const current = 'Hello world again'
    const segments = diffText(current, version)
    const pieces = attributeDiff(
      segments,
      [
        { from: 0, to: 11, author: 1, timeMs: 1 },
        { from: 11, to: 17, author: 3, timeMs: 3 },
      ],
      [{ from: 6, to: 12, author: 2, timeMs: 2 }],
    )
    expect(pieces.map((piece) => piece.text).join('')).toBe(
      segments.map((segment) => segment.text).join(''),
    )
    // Whatever the diff aligns, each changed word goes with the one who made the change.
    const authorOf = (word: string, kind: string) =>
      pieces.filter((piece) => piece.kind === kind && piece.text.includes(word))[0]?.author
    expect(authorOf('brave', 'added')).toBe(2)
    expect(authorOf('again', 'removed')).toBe(3)
    for (const piece of pieces) if (piece.kind === 'same') expect(piece.author).toBeNull()
  })

  it("colours a version's text deleted since by who deleted it, not who wrote it", () => {
    // Ada and Grace edit their own copies, each change sent to the other as an update and kept
    // as a record of its ids, as the server keeps them.
    const ada = new Y.Doc({ gc: false })
    const grace = new Y.Doc({ gc: false })
    const records: AttributionRecord[] = []
    const edit = (doc: Y.Doc, author: number, change: (text: Y.Text) => void) => {
      const other = doc === ada ? grace : ada
      doc.once('update', (update: Uint8Array) => {
        records.push({ author, timeMs: (records.length + 1) * 1_000, ...idsOfUpdate(update) })
        Y.applyUpdate(other, update)
      })
      doc.transact(() => change(doc.getText('t')))
    }
    edit(ada, 1, (text) => text.insert(0, 'Ada wrote this.'))
    edit(grace, 2, (text) => text.insert(15, ' Grace too.'))
    const version = 'Ada wrote this. Grace too.'
    // Grace deletes Ada's "wrote "; Ada deletes Grace's " too" and adds " Then more." at the end.
    edit(grace, 2, (text) => text.delete(4, 6))
    edit(ada, 1, (text) => {
      text.delete(15, 4)
      text.insert(16, ' Then more.')
    })
    const current = grace.getText('t').toString()
    expect(current).toBe('Ada this. Grace. Then more.')

    const playback = Playback.of(ada.getText('t'), records)
    const deleted = versionDeletions(playback, records, 2_000, version)
    expect(deleted).toEqual([
      { from: 4, to: 10, author: 2, timeMs: 3_000 },
      { from: 21, to: 25, author: 1, timeMs: 4_000 },
    ])
    const pieces = attributeDiff(
      diffText(current, version),
      playback.spansAt(playback.steps - 1),
      deleted ?? [],
    )
    const added = pieces.filter((piece) => piece.kind === 'added')
    const removed = pieces.filter((piece) => piece.kind === 'removed')
    // Ada wrote "wrote" and Grace deleted it: it is Grace's; " too" the other way round.
    expect(added.map(({ text, author }) => [text.trim(), author])).toEqual([
      ['wrote', 2],
      ['too', 1],
    ])
    // Whatever else the diff aligns, what Ada added is hers.
    expect(removed.find((piece) => piece.text.includes('Then more'))?.author).toBe(1)
    // A version not found in the history has no deletions to name.
    expect(versionDeletions(playback, records, 2_000, 'Never written')).toBeNull()
  })

  it('reads text no span covers as unattributed, and joins pieces of one author', () => {
    const pieces = attributeDiff(
      [
        { kind: 'removed', text: 'abcdef' },
        { kind: 'same', text: 'x' },
      ],
      [
        { from: 0, to: 2, author: 5, timeMs: 1 },
        { from: 2, to: 4, author: 5, timeMs: 2 },
      ],
      [],
    )
    expect(pieces).toEqual([
      { kind: 'removed', text: 'abcd', author: 5 },
      { kind: 'removed', text: 'ef', author: null },
      { kind: 'same', text: 'x', author: null },
    ])
  })
})

describe('versionStep', () => {
  // Two people's edits as records, played back from a document that keeps deleted text.
  function history() {
    const doc = new Y.Doc({ gc: false })
    const text = doc.getText('t')
    const records: { author: number; timeMs: number; inserts: number[]; deletes: number[] }[] = []
    // Each step's update gives its ids; Y.decodeUpdate reads them.
    let state = Y.encodeStateVector(doc)
    const step = (author: number, timeMs: number, change: () => void) => {
      change()
      const update = Y.encodeStateAsUpdate(doc, state)
      state = Y.encodeStateVector(doc)
      const { structs, ds } = Y.decodeUpdate(update)
      const inserts = structs.flatMap((s) => [s.id.client, s.id.clock, s.length])
      const deletes: number[] = []
      ds.clients.forEach((items, client) => {
        for (const item of items) deletes.push(client, item.clock, item.len)
      })
      records.push({ author, timeMs, inserts, deletes })
    }
    step(1, 1_000, () => text.insert(0, 'Hello world'))
    step(2, 2_000, () => text.insert(5, ' brave'))
    step(1, 3_000, () => text.delete(0, 6))
    return { playback: Playback.of(text, records), records }
  }

  it("finds the step whose text is the version's", () => {
    const { playback, records } = history()
    expect(playback.textAt(1)).toBe('Hello brave world')
    expect(stepAt(records, 2_500)).toBe(1)
    expect(stepAt(records, 500)).toBe(-1)
    expect(versionStep(playback, records, 2_500, 'Hello brave world')).toBe(1)
    // A version kept a moment before its record was stored still finds it.
    expect(versionStep(playback, records, 1_999, 'Hello brave world')).toBe(1)
    expect(versionStep(playback, records, 3_000, 'brave world')).toBe(2)
    expect(versionStep(playback, records, 3_000, 'Never written')).toBeNull()
    expect(playback.spansAt(1).map((span) => span.author)).toEqual([1, 2, 1])
  })
})

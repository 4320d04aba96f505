import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { poisonousPair, textEdit } from '../../test/poison.js'
import { MemoryStore } from '../persistence/memory.js'
import type { SetAsideUpdate } from '../persistence/store.js'
import { DocState, fold, UndecodableUpdateError } from './doc-state.js'
import { TEXT_NAME, textOf, withDoc } from './text.js'

const [chain, deletion] = poisonousPair()

/** The good edits around the poisonous pair, and the four updates in the order stored. */
const hello = textEdit(null, 'hello', 1)
const world = textEdit(hello, ' world', 2, 5)
const log = [hello, chain, deletion, world]

/** The `codemirror` text of a fresh document with `updates` applied as Yjs applies them. */
function applyAll(updates: Uint8Array[]): string {
  const doc = new Y.Doc()
  try {
    for (const u of updates) Y.applyUpdate(doc, u)
    return doc.getText(TEXT_NAME).toString()
  } finally {
    doc.destroy()
  }
}

const textRead = (doc: Y.Doc) => doc.getText(TEXT_NAME).toString()

describe('fold (Q2)', () => {
  it('the poisonous pair overflows the stack when Yjs applies it as is', () => {
    expect(() => applyAll(log)).toThrow(RangeError)
  })

  it('Q2: sets aside the update that throws and keeps every other one', () => {
    const { value, setAside } = fold(
      { base: new Uint8Array([0, 0]), baseSeq: 0, updates: log, seqs: [1, 2, 3, 4] },
      textRead,
    )
    expect(value).toBe('hello world')
    expect(setAside).toEqual([
      {
        seq: 3,
        kind: 'update',
        bytes: deletion,
        reason: expect.stringMatching(/^RangeError: Maximum call stack size exceeded/),
        setAsideAtMs: expect.any(Number),
      },
    ])
  })

  it('Q2: the fold of a clean log sets nothing aside and reads what Yjs reads', () => {
    const clean = [hello, chain, world]
    const { value, setAside } = fold(
      { base: new Uint8Array([0, 0]), baseSeq: 0, updates: clean, seqs: [1, 2, 3] },
      textRead,
    )
    expect(setAside).toEqual([])
    expect(value).toBe(applyAll(clean))
  })

  it('Q2: sets aside several poisonous updates, each on its own, and a snapshot that throws', () => {
    const [chain2, deletion2] = poisonousPair(20_000, 777)
    // A snapshot holding a chain and its deletion, as merging the pair would store it.
    const poisonedBase = Y.mergeUpdates([chain2, deletion2])
    const updates = [hello, chain, deletion, world, chain2, deletion2, textEdit(null, '!', 3)]
    const { value, setAside } = fold(
      { base: poisonedBase, baseSeq: 10, updates, seqs: [11, 12, 13, 14, 15, 16, 17] },
      (doc) => ({ text: textRead(doc), nest: doc.getArray('nest').length }),
    )
    expect(setAside.map((e) => [e.kind, e.seq])).toEqual([
      ['snapshot', 10],
      ['update', 13],
      ['update', 16],
    ])
    expect(value.text).toMatch(/^(hello world!|!hello world)$/)
    // Both chains are kept: only their deletions are set aside.
    expect(value.nest).toBe(2)
  })

  it('Q1: an update that does not decode throws UndecodableUpdateError (quarantine), not set aside', () => {
    const garbage = new Uint8Array([3, 250, 7, 1, 9, 9, 9, 200, 1])
    expect(() =>
      fold(
        { base: new Uint8Array([0, 0]), baseSeq: 0, updates: [hello, garbage], seqs: [1, 2] },
        textRead,
      ),
    ).toThrow(UndecodableUpdateError)
  })

  it('withDoc refuses a single state that throws instead of reading an empty document', () => {
    expect(() => withDoc(Y.mergeUpdates([chain, deletion]), textRead)).toThrow(/does not apply/)
    expect(textOf(Y.mergeUpdates([hello, world]))).toBe('hello world')
  })
})

describe('DocState with a poisoned log (Q2, Q3)', () => {
  it('serves everything else, reports the set-aside update once, and hands it to compaction', async () => {
    const reported: SetAsideUpdate[][] = []
    const state = new DocState(null, log, 4, {
      onSetAside: (e) => {
        reported.push([...e])
      },
    })
    state.validate()
    expect(textOf(state.update)).toBe('hello world')
    // What is served applies in a fresh document (a stock client) without throwing.
    expect(applyAll([state.update])).toBe('hello world')
    expect(reported.map((r) => r.map((e) => e.seq))).toEqual([[3]])

    // Later edits fold without reporting the same update again.
    const exclamation = textEdit(state.update, '!', 5, 11)
    state.push(exclamation, 5)
    expect(textOf(state.update)).toBe('hello world!')
    expect(reported).toHaveLength(1)

    // Compaction stores the set-aside update apart in the same transaction as the snapshot.
    const store = new MemoryStore()
    for (const u of log) await store.append('doc', u)
    await store.append('doc', exclamation)
    const snapshot = state.snapshot()
    expect(snapshot.setAside.map((e) => e.seq)).toEqual([3])
    expect(await store.compact('doc', snapshot.bytes, snapshot.throughSeq, snapshot.setAside)).toBe(
      true,
    )
    state.snapshotStored(snapshot)
    expect(state.setAside).toEqual([])
    expect((await store.listSetAside('doc')).map((e) => [e.seq, [...e.bytes]])).toEqual([
      [3, [...deletion]],
    ])
    const stored = (await store.load('doc'))!
    expect(stored.updates).toEqual([])
    expect(textOf(stored.snapshot!)).toBe('hello world!')
  })

  it('numbers the updates after a snapshot from the snapshot on', () => {
    const reported: SetAsideUpdate[] = []
    // A snapshot covering 1–9, then updates 10–12.
    const state = new DocState(hello, [chain, deletion, world], 12, {
      onSetAside: (e) => {
        reported.push(...e)
      },
    })
    expect(textOf(state.update)).toBe('hello world')
    expect(reported.map((e) => e.seq)).toEqual([11])
  })
})

describe('DocState.diff (U6)', () => {
  it('answers a repeated state vector from its cache until the document changes', () => {
    const hello = textEdit(null, 'hello', 1)
    const state = new DocState(null, [hello], 1)
    // A peer that has only its own edit, as a reconnecting one might.
    const own = textEdit(null, '>', 3)
    const sv = Y.encodeStateVectorFromUpdate(own)
    const first = state.diff(sv)
    expect(state.diff(sv.slice())).toBe(first)
    state.push(textEdit(hello, '!', 2, 5), 2)
    const after = state.diff(sv)
    expect(after).not.toBe(first)
    const peer = new Y.Doc()
    Y.applyUpdate(peer, own)
    Y.applyUpdate(peer, after)
    expect(peer.getText(TEXT_NAME).toString()).toMatch(/^>?hello!>?$/)
  })
})

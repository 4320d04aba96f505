import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { TEXT_NAME, textOf, updateReplacingText } from './text.js'

function stateOf(text: string, clientID = 1): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = clientID
  doc.getText(TEXT_NAME).insert(0, text)
  return Y.encodeStateAsUpdate(doc)
}

/** `update` applied on top of `state`, as text. */
function applied(state: Uint8Array, update: Uint8Array): string {
  return textOf(Y.mergeUpdates([state, update]))
}

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31
    return s / 2 ** 31
  }
}

describe('text helpers', () => {
  it('textOf reads the codemirror text of an update; empty for an empty document', () => {
    expect(textOf(stateOf('hello'))).toBe('hello')
    expect(textOf(new Uint8Array([0, 0]))).toBe('')
  })

  it('updateReplacingText makes the text equal to the target with one deletion and one insertion', () => {
    const state = stateOf('The quick brown fox')
    const update = updateReplacingText(state, 'The slow brown fox')
    expect(applied(state, update)).toBe('The slow brown fox')
    const { structs, ds } = Y.decodeUpdate(update)
    expect(structs).toHaveLength(1)
    expect([...ds.clients.values()].flat()).toHaveLength(1)
    // A new client id: never one of the document's writers.
    expect(structs[0]!.id.client).not.toBe(1)
  })

  it('updateReplacingText gives an empty update when nothing changes', () => {
    expect([...updateReplacingText(stateOf('same'), 'same')]).toEqual([0, 0])
  })

  it('updateReplacingText merges with a concurrent edit', () => {
    const state = stateOf('one two three')
    const replacement = updateReplacingText(state, 'one 2 three')
    const other = new Y.Doc()
    other.clientID = 7
    Y.applyUpdate(other, state)
    const before = Y.encodeStateVector(other)
    other.getText(TEXT_NAME).insert(13, '!')
    const concurrent = Y.encodeStateAsUpdate(other, before)
    expect(textOf(Y.mergeUpdates([state, replacement, concurrent]))).toBe('one 2 three!')
  })

  it('updateReplacingText reaches any target from any text', () => {
    const next = random(42)
    const alphabet = ['a', 'b', ' ', '\n', 'é', '😀', '😁']
    const word = () =>
      Array.from(
        { length: Math.floor(next() * 12) },
        () => alphabet[Math.floor(next() * alphabet.length)],
      ).join('')
    for (let i = 0; i < 200; i++) {
      const [from, to] = [word(), word()]
      expect(applied(stateOf(from), updateReplacingText(stateOf(from), to))).toBe(to)
    }
  })
})

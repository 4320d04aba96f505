import { ChangeSet, EditorState } from '@codemirror/state'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { seededRandom } from '../lib/test-random'
import { textChanges } from './y-sync'

// `textChanges` must turn every remote transaction into the same editor text as Yjs's own
// delta does (what y-codemirror.next applies), without visiting the whole text.

function check(seed: number, rounds: number) {
  const random = seededRandom(seed)
  const writers = [new Y.Doc(), new Y.Doc(), new Y.Doc()]
  const reader = new Y.Doc()
  const text = reader.getText('codemirror')
  let viaChanges = EditorState.create().doc
  let viaDelta = EditorState.create().doc
  text.observe((event, transaction) => {
    const before = viaChanges.length
    viaChanges = ChangeSet.of(textChanges(event, transaction), before).apply(viaChanges)
    let position = 0
    const delta = []
    for (const op of event.delta) {
      if (op.insert != null) delta.push({ from: position, insert: String(op.insert) })
      else if (op.delete != null) {
        delta.push({ from: position, to: position + op.delete })
        position += op.delete
      } else position += op.retain ?? 0
    }
    viaDelta = ChangeSet.of(delta, viaDelta.length).apply(viaDelta)
  })
  const pending: Uint8Array[] = []
  for (const writer of writers) writer.on('update', (update: Uint8Array) => pending.push(update))
  for (let round = 0; round < rounds; round++) {
    const writer = writers[Math.floor(random() * writers.length)] as Y.Doc
    const shared = writer.getText('codemirror')
    // Several edits in one transaction, some deleting what another inserted.
    writer.transact(() => {
      const edits = 1 + Math.floor(random() * 4)
      for (let e = 0; e < edits; e++) {
        const length = shared.length
        if (length > 0 && random() < 0.4) {
          const from = Math.floor(random() * length)
          shared.delete(from, Math.min(length - from, 1 + Math.floor(random() * 8)))
        } else {
          const word = 'abcdefgh\n'.slice(0, 1 + Math.floor(random() * 9))
          shared.insert(Math.floor(random() * (length + 1)), word)
        }
      }
    })
    // Deliver to the reader (sometimes several updates merged into one transaction), and to
    // the other writers, so that they edit each other's text.
    if (random() < 0.5 || round === rounds - 1) {
      const merged = Y.mergeUpdates(pending.splice(0))
      Y.applyUpdate(reader, merged)
      for (const other of writers) Y.applyUpdate(other, merged)
    }
    expect(viaChanges.toString()).toBe(viaDelta.toString())
  }
  expect(viaChanges.toString()).toBe(text.toString())
}

describe('ySync: changes from elsewhere', () => {
  it('turn into the same text as the event delta, over random edits of three writers', () => {
    for (const seed of [1, 2, 3, 4, 5]) check(seed, 200)
  })

  it('are none for a transaction that changed another type, and one change for an insert', () => {
    const reader = new Y.Doc()
    const text = reader.getText('codemirror')
    text.insert(0, 'unchanged')
    let seen: unknown = null
    text.observe((event, transaction) => {
      seen = textChanges(event, transaction)
    })
    reader.getMap('other').set('key', 'value')
    expect(seen).toBeNull()
    text.insert(9, '!')
    expect(seen).toEqual([{ from: 9, to: 9, insert: '!' }])
  })
})

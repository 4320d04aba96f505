import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { changedRange, replaceText } from './text'

describe('changedRange', () => {
  it('keeps the common prefix and suffix', () => {
    expect(changedRange('hello world', 'hello brave world')).toEqual({
      from: 6,
      to: 6,
      insert: 'brave ',
    })
    expect(changedRange('abc', 'abc')).toEqual({ from: 3, to: 3, insert: '' })
    expect(changedRange('abc', '')).toEqual({ from: 0, to: 3, insert: '' })
    expect(changedRange('', 'xyz')).toEqual({ from: 0, to: 0, insert: 'xyz' })
    // Prefix and suffix never overlap, even when the text repeats.
    expect(changedRange('aaa', 'aaaa')).toEqual({ from: 3, to: 3, insert: 'a' })
  })

  it('never splits a surrogate pair', () => {
    // 😀 is \ud83d\ude00 and 😁 is \ud83d\ude01: they share the high surrogate.
    expect(changedRange('a😀b', 'a😁b')).toEqual({ from: 1, to: 3, insert: '😁' })
    // Two pairs with different high and the same low surrogate.
    const left = '\ud83c\ude00'
    const right = '\ud83d\ude00'
    expect(changedRange(`x${left}`, `x${right}`)).toEqual({ from: 1, to: 3, insert: right })
  })
})

describe('replaceText', () => {
  it('makes the text equal to the new one in one undoable step', () => {
    const doc = new Y.Doc()
    const text = doc.getText('t')
    text.insert(0, 'The quick brown fox')
    const origin = { name: 'import' }
    const undo = new Y.UndoManager(text, { trackedOrigins: new Set([origin]) })
    let updates = 0
    doc.on('update', () => updates++)
    doc.transact(() => replaceText(text, 'The slow brown dog 😀'), origin)
    expect(text.toString()).toBe('The slow brown dog 😀')
    expect(updates).toBe(1)
    undo.undo()
    expect(text.toString()).toBe('The quick brown fox')
    doc.destroy()
  })

  it('leaves a cursor in the unchanged part where it was', () => {
    const doc = new Y.Doc()
    const text = doc.getText('t')
    text.insert(0, 'keep this; change that')
    const cursor = Y.createRelativePositionFromTypeIndex(text, 5)
    replaceText(text, 'keep this; changed it all')
    expect(Y.createAbsolutePositionFromRelativePosition(cursor, doc)?.index).toBe(5)
    doc.destroy()
  })
})

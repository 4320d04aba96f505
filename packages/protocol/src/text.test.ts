import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { minimalEdit, replaceText, TEXT_NAME } from './text.js'

describe('minimalEdit', () => {
  it('keeps the common prefix and suffix', () => {
    expect(minimalEdit('hello world', 'hello brave world')).toEqual({
      index: 6,
      deleteCount: 0,
      insert: 'brave ',
    })
    expect(minimalEdit('abc', 'abc')).toEqual({ index: 3, deleteCount: 0, insert: '' })
    expect(minimalEdit('abc', '')).toEqual({ index: 0, deleteCount: 3, insert: '' })
    expect(minimalEdit('', 'xyz')).toEqual({ index: 0, deleteCount: 0, insert: 'xyz' })
    expect(minimalEdit('aaa', 'aaaa')).toEqual({ index: 3, deleteCount: 0, insert: 'a' })
  })

  it('never splits a surrogate pair, whichever half two emoji share', () => {
    const cases: [string, string][] = [
      ['a😀b', 'a😁b'],
      ['x😂', 'x🙂'],
      ['😀😀', '😀😁'],
      ['👋 hi', '😀 hi'],
    ]
    for (const [from, to] of cases) {
      const edit = minimalEdit(from, to)
      expect(
        from.slice(0, edit.index) + edit.insert + from.slice(edit.index + edit.deleteCount),
      ).toBe(to)
      expect(edit.insert.isWellFormed()).toBe(true)
      expect(from.slice(edit.index, edit.index + edit.deleteCount).isWellFormed()).toBe(true)
    }
  })

  it('replaces a whole emoji', () => {
    // 😀 and 😁 share their high surrogate; the edit still replaces the whole emoji.
    expect(minimalEdit('a😀b', 'a😁b')).toEqual({ index: 1, deleteCount: 2, insert: '😁' })
    expect(minimalEdit('x😀', 'x😁')).toEqual({ index: 1, deleteCount: 2, insert: '😁' })
  })
})

describe('replaceText', () => {
  it('makes the text equal to the target and leaves a cursor in the unchanged prefix alone', () => {
    const doc = new Y.Doc()
    const text = doc.getText(TEXT_NAME)
    text.insert(0, 'keep this, change that')
    const cursor = Y.createRelativePositionFromTypeIndex(text, 4)
    doc.transact(() => replaceText(text, 'keep this, and more'))
    expect(text.toString()).toBe('keep this, and more')
    expect(Y.createAbsolutePositionFromRelativePosition(cursor, doc)?.index).toBe(4)
  })
})

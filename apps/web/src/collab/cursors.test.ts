import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { cursorKey, cursorRange } from './cursors'

describe('cursorRange', () => {
  it('finds a published selection in the text, also after edits before it', () => {
    const doc = new Y.Doc()
    const text = doc.getText('codemirror')
    text.insert(0, 'hello world')
    const state = {
      cursor: {
        anchor: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(text, 6)),
        head: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(text, 11)),
      },
    }
    expect(cursorRange(state, text)).toEqual({ anchor: 6, head: 11 })
    text.insert(0, '>> ')
    expect(cursorRange(state, text)).toEqual({ anchor: 9, head: 14 })
    doc.destroy()
  })

  it('is null without a cursor, for another type, or for garbage', () => {
    const doc = new Y.Doc()
    const text = doc.getText('codemirror')
    const other = doc.getText('other')
    other.insert(0, 'x')
    const elsewhere = Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(other, 1))
    expect(cursorRange(undefined, text)).toBeNull()
    expect(cursorRange({ cursor: null }, text)).toBeNull()
    expect(cursorRange({ cursor: { anchor: elsewhere, head: elsewhere } }, text)).toBeNull()
    expect(cursorRange({ cursor: { anchor: 'x', head: 42 } }, text)).toBeNull()
    expect(cursorRange({ cursor: { anchor: null, head: {} } }, text)).toBeNull()
    const bogus = { type: null, tname: 'codemirror', item: { client: 'x', clock: {} }, assoc: 0 }
    expect(cursorRange({ cursor: { anchor: bogus, head: bogus } }, text)).toBeNull()
    doc.destroy()
  })

  it('never defines a root type a remote position names', () => {
    const doc = new Y.Doc()
    const text = doc.getText('codemirror')
    const position = (tname: string) => ({ type: null, tname, item: null, assoc: 0 })
    for (let i = 0; i < 100; i++) {
      const state = { cursor: { anchor: position(`x${i}`), head: position(`x${i}`) } }
      expect(cursorRange(state, text)).toBeNull()
    }
    expect([...doc.share.keys()]).toEqual(['codemirror'])
    const end = { cursor: { anchor: position('codemirror'), head: position('codemirror') } }
    text.insert(0, 'abc')
    expect(cursorRange(end, text)).toEqual({ anchor: 3, head: 3 })
    doc.destroy()
  })
})

describe('cursorKey', () => {
  it('changes with the selection only', () => {
    expect(cursorKey({ cursor: { anchor: 1, head: 2 }, user: { name: 'A' } })).toBe(
      cursorKey({ cursor: { anchor: 1, head: 2 }, user: { name: 'B' } }),
    )
    expect(cursorKey({ cursor: { anchor: 1, head: 3 } })).not.toBe(
      cursorKey({ cursor: { anchor: 1, head: 2 } }),
    )
    expect(cursorKey({})).toBe('')
  })
})

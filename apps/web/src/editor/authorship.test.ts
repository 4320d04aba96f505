import { EditorState } from '@codemirror/state'
import { type AttributionRecord, attributeText, idsOfUpdate } from '@tandem/protocol'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { hexColor } from '../collab/remote-user'
import type { AuthorStyle } from '../lib/author-colors'
import { authorship, passageAt, setAuthorship } from './authorship'

const style = (name: string, color: string, verified = true): AuthorStyle => {
  const checked = hexColor(color)
  if (checked === null) throw new Error(color)
  return { name, verified, color: checked }
}

/** Two people editing one text; each change recorded as the server would record it. */
function twoWriters() {
  const ada = new Y.Doc()
  const grace = new Y.Doc()
  const records: AttributionRecord[] = []
  const sync = (from: Y.Doc, to: Y.Doc, author: number, timeMs: number) => {
    const update = Y.encodeStateAsUpdate(from, Y.encodeStateVector(to))
    Y.applyUpdate(to, update)
    records.push({ author, timeMs, ...idsOfUpdate(update) })
  }
  ada.getText('t').insert(0, 'Hello world.')
  sync(ada, grace, 1, 1_000)
  grace.getText('t').insert(5, ', dear')
  sync(grace, ada, 2, 2_000)
  return { text: ada.getText('t'), records }
}

describe('authorship', () => {
  const authors = new Map([
    [1, style('Ada', '#2a7e3b')],
    [2, style('Grace', '#8145b5', false)],
  ])

  it('marks each passage with who wrote it, for the hover', () => {
    const { text, records } = twoWriters()
    expect(text.toString()).toBe('Hello, dear world.')
    let state = EditorState.create({ doc: text.toString(), extensions: authorship() })
    const spans = attributeText(text, records)
    state = state.update({ effects: setAuthorship.of({ spans, authors }) }).state
    expect(passageAt(state, 2)).toMatchObject({ from: 0, to: 5, timeMs: 1_000 })
    expect(passageAt(state, 2)?.author.name).toBe('Ada')
    expect(passageAt(state, 7)).toMatchObject({ from: 5, to: 11, timeMs: 2_000 })
    expect(passageAt(state, 7)?.author).toEqual(authors.get(2))
    expect(passageAt(state, 14)?.author.name).toBe('Ada')
    // At a boundary the side decides: the character before the position, or the one after.
    expect(passageAt(state, 5, -1)?.author.name).toBe('Ada')
    expect(passageAt(state, 5, 1)?.author.name).toBe('Grace')
    // Hidden again.
    state = state.update({ effects: setAuthorship.of(null) }).state
    expect(passageAt(state, 2)).toBeNull()
  })

  it('keeps the marks in place as the text changes, leaving new text unmarked', () => {
    const { text, records } = twoWriters()
    let state = EditorState.create({ doc: text.toString(), extensions: authorship() })
    state = state.update({
      effects: setAuthorship.of({ spans: attributeText(text, records), authors }),
    }).state
    state = state.update({ changes: { from: 0, insert: 'Oh! ' } }).state
    expect(passageAt(state, 2)).toBeNull()
    expect(passageAt(state, 6)).toMatchObject({ from: 4, to: 9 })
    expect(passageAt(state, 6)?.author.name).toBe('Ada')
    expect(passageAt(state, 10)?.author.name).toBe('Grace')
  })

  it('leaves unattributed text and unknown authors unmarked, and spans past the end out', () => {
    let state = EditorState.create({ doc: 'abcdef', extensions: authorship() })
    state = state.update({
      effects: setAuthorship.of({
        spans: [
          { from: 0, to: 2, author: null, timeMs: null },
          { from: 2, to: 4, author: 9, timeMs: 1 },
          { from: 4, to: 10, author: 1, timeMs: 1 },
        ],
        authors,
      }),
    }).state
    expect(passageAt(state, 1)).toBeNull()
    expect(passageAt(state, 3)).toBeNull()
    expect(passageAt(state, 5)).toMatchObject({ from: 4, to: 6 })
  })

  it("joins one author's passages into one mark, yet tells each passage's time", () => {
    let state = EditorState.create({ doc: 'aaabbbccc', extensions: authorship() })
    state = state.update({
      effects: setAuthorship.of({
        spans: [
          { from: 0, to: 3, author: 1, timeMs: 10 },
          { from: 3, to: 6, author: 1, timeMs: 20 },
          { from: 6, to: 9, author: 2, timeMs: 30 },
        ],
        authors,
      }),
    }).state
    expect(passageAt(state, 1)).toMatchObject({ from: 0, to: 6, timeMs: 10 })
    expect(passageAt(state, 4)).toMatchObject({ from: 0, to: 6, timeMs: 20 })
    // After edits before and inside them, each character keeps its time.
    state = state.update({
      changes: [
        { from: 0, insert: 'xx' },
        { from: 4, to: 5 },
      ],
    }).state
    expect(state.doc.toString()).toBe('xxaaabbccc')
    expect(passageAt(state, 2)).toMatchObject({ from: 2, to: 7, timeMs: 10 })
    expect(passageAt(state, 6)).toMatchObject({ timeMs: 20 })
    expect(passageAt(state, 7)).toMatchObject({ from: 7, to: 10, timeMs: 30 })
    expect(passageAt(state, 7, -1)).toMatchObject({ timeMs: 20 })
  })
})

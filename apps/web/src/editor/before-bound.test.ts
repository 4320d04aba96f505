import { EditorState } from '@codemirror/state'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import {
  applyToText,
  bindingAnnotations,
  bindingChanges,
  difference,
  pendingEdits,
  showBase,
} from './before-bound'

/** An editor state that showed `base` and then had `edits` typed into it. */
function typed(base: string, edits: { from: number; to?: number; insert?: string }[]) {
  let state = EditorState.create({ extensions: pendingEdits })
  const show = showBase(state, base)
  if (show) state = state.update(show).state
  for (const edit of edits) state = state.update({ changes: edit }).state
  return state
}

function shared(content: string): Y.Text {
  const text = new Y.Doc().getText('codemirror')
  text.insert(0, content)
  return text
}

describe('binding an editor that showed the stored text', () => {
  it('carries what was typed into a shared text that reads the same base', () => {
    const state = typed('# Notes\n\nsome text', [
      { from: 7, insert: ' and more' },
      { from: 0, to: 2 },
    ])
    const text = shared('# Notes\n\nsome text')
    const { toShared, toEditor } = bindingChanges(state, text.toString())
    expect(toEditor.empty).toBe(true)
    applyToText(text, toShared)
    expect(text.toString()).toBe('Notes and more\n\nsome text')
    expect(text.toString()).toBe(state.doc.toString())
  })

  it('rebases the typing onto a shared text that moved on, and moves the editor with it', () => {
    const state = typed('one two three', [
      { from: 0, insert: 'A ' },
      { from: 15, insert: '!' },
    ])
    expect(state.doc.toString()).toBe('A one two three!')
    // Another tab stored an edit in the copy after its text was kept.
    const text = shared('one 2 three')
    const { toShared, toEditor } = bindingChanges(state, text.toString())
    applyToText(text, toShared)
    const editor = state.update({ changes: toEditor, annotations: bindingAnnotations }).state
    expect(text.toString()).toBe('A one 2 three!')
    expect(editor.doc.toString()).toBe(text.toString())
  })

  it('with nothing shown and nothing typed, the editor takes the shared text', () => {
    const state = typed('', [])
    const text = shared('the whole document')
    const { toShared, toEditor } = bindingChanges(state, text.toString())
    expect(toShared.empty).toBe(true)
    applyToText(text, toShared)
    const editor = state.update({ changes: toEditor, annotations: bindingAnnotations }).state
    expect(editor.doc.toString()).toBe('the whole document')
  })

  it('does not replace what was typed before the stored text arrived', () => {
    const state = typed('', [{ from: 0, insert: 'early' }])
    expect(showBase(state, 'stored text')).toBeNull()
  })

  it('difference is one change between the common start and end', () => {
    const change = difference('abcXYZdef', 'abc123def')
    expect(change.apply(EditorState.create({ doc: 'abcXYZdef' }).doc).toString()).toBe('abc123def')
    const spans: [number, number][] = []
    change.iterChangedRanges((from, to) => spans.push([from, to]))
    expect(spans).toEqual([[3, 6]])
    expect(difference('same', 'same').empty).toBe(true)
  })
})

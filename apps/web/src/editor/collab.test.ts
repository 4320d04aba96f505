import { EditorState, type Transaction } from '@codemirror/state'
import { EditorView, type KeyBinding, keymap } from '@codemirror/view'
import { afterEach, describe, expect, it } from 'vitest'
import { yRemoteSelections, ySyncFacet } from 'y-codemirror.next'
import { Awareness } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { collaboration } from './collab'

// Vitest runs the web app's unit tests in Node, without a DOM, so an `EditorView` cannot be
// built here (the e2e specs drive the real one in Chromium: editor.spec.ts undoes per person).
// These tests check what the extension does through an `EditorState` and its facets, which
// is where its commands and hooks live: the key bindings are state commands, and the focus
// hook is a facet function that the view calls.

/** This client's edits (the session tracks its own origins the same way). */
const local = { edit: 'local' }

interface Setup {
  doc: Y.Doc
  text: Y.Text
  awareness: Awareness
  undoManager: Y.UndoManager
  state: EditorState
}

const opened: Setup[] = []

function setup(): Setup {
  const doc = new Y.Doc()
  const text = doc.getText('codemirror')
  const awareness = new Awareness(doc)
  // Tracks `local` only: an undo manager that the extension made itself would not track it.
  const undoManager = new Y.UndoManager(text, { trackedOrigins: new Set([local]) })
  const state = EditorState.create({
    extensions: collaboration({ text, awareness, undoManager }),
  })
  const made = { doc, text, awareness, undoManager, state }
  opened.push(made)
  return made
}

afterEach(() => {
  for (const { doc, awareness, undoManager } of opened.splice(0)) {
    undoManager.destroy()
    awareness.destroy()
    doc.destroy()
  }
})

/** Runs the command bound to `key` the way the view's keymap would, with no view. */
function press(state: EditorState, key: string): boolean {
  const binding = state
    .facet(keymap)
    .flat()
    .find((candidate: KeyBinding) => candidate.key === key)
  if (binding?.run === undefined) throw new Error(`nothing is bound to ${key}`)
  const target = { state, dispatch: (_tr: Transaction) => {} }
  return binding.run(target as unknown as EditorView)
}

/** Tells the extension that the editor gained or lost the focus, as the view does. */
function focusChanged(state: EditorState, focusing: boolean): void {
  for (const effect of state.facet(EditorView.focusChangeEffect)) effect(state, focusing)
}

/** An edit made by another client, arriving through the provider. */
function remoteInsert(into: Y.Doc, index: number, content: string): void {
  const other = new Y.Doc()
  Y.applyUpdate(other, Y.encodeStateAsUpdate(into))
  other.getText('codemirror').insert(index, content)
  Y.applyUpdate(into, Y.encodeStateAsUpdate(other, Y.encodeStateVector(into)), 'provider')
  other.destroy()
}

describe('collaboration', () => {
  it('binds the editor to the given shared text and awareness (ySync)', () => {
    const { text, awareness, state } = setup()
    const sync = state.facet(ySyncFacet)
    expect(sync.ytext).toBe(text)
    expect(sync.awareness).toBe(awareness)
  })

  it("Mod-z undoes this client's edits only, never another person's; Mod-Shift-z and Mod-y redo", () => {
    const { doc, text, state } = setup()
    doc.transact(() => text.insert(0, 'mine'), local)
    remoteInsert(doc, 4, ' theirs')
    expect(text.toString()).toBe('mine theirs')

    expect(press(state, 'Mod-z')).toBe(true)
    expect(text.toString()).toBe(' theirs')
    press(state, 'Mod-Shift-z')
    expect(text.toString()).toBe('mine theirs')
    press(state, 'Mod-z')
    press(state, 'Mod-y')
    expect(text.toString()).toBe('mine theirs')
  })

  it('a change of focus ends an undo step, however quickly the next edit follows', () => {
    const { doc, text, state } = setup()
    // Without a change of focus, edits made within 500 ms are one step.
    doc.transact(() => text.insert(0, 'one'), local)
    doc.transact(() => text.insert(3, ' two'), local)
    press(state, 'Mod-z')
    expect(text.toString()).toBe('')

    doc.transact(() => text.insert(0, 'one'), local)
    focusChanged(state, false)
    focusChanged(state, true)
    doc.transact(() => text.insert(3, ' two'), local)
    press(state, 'Mod-z')
    expect(text.toString()).toBe('one')
    press(state, 'Mod-z')
    expect(text.toString()).toBe('')
  })

  it("leaves out yCollab's remote selections, which collab.ts replaces by its own", () => {
    const { text, awareness, undoManager } = setup()
    // Which view plugins a state holds is visible only to a view; this checks the extension.
    const parts: unknown[] = [collaboration({ text, awareness, undoManager })].flat(4)
    expect(parts).not.toContain(yRemoteSelections)
  })
})

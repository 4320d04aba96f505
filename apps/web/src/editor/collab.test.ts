import { describe, expect, it } from 'vitest'
import { yRemoteSelections } from 'y-codemirror.next'
import { Awareness } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { collaboration } from './collab'

describe('collaboration', () => {
  it("replaces yCollab's remote selections and keeps the rest of yCollab", () => {
    const doc = new Y.Doc()
    const text = doc.getText('codemirror')
    const awareness = new Awareness(doc)
    const extension = collaboration({ text, awareness, undoManager: new Y.UndoManager(text) })
    const flat = (extension as unknown[]).flat(3)
    expect(flat).not.toContain(yRemoteSelections)
    // ySyncFacet, ySync, theme, our selections, undo facet, undo plugin, beforeinput handler, keymap
    expect(flat.length).toBeGreaterThanOrEqual(8)
    awareness.destroy()
    doc.destroy()
  })
})

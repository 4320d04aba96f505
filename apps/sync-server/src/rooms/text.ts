import { minimalEdit, TEXT_NAME } from '@tandem/protocol'
import * as Y from 'yjs'
import { EMPTY_UPDATE } from './doc-state.js'

export { TEXT_NAME }

/**
 * Runs `fn` with a scratch `Y.Doc` holding `update` (deleted content garbage-collected), and
 * destroys the document afterwards. Throws if `update` does not decode.
 */
export function withDoc<T>(update: Uint8Array, fn: (doc: Y.Doc) => T): T {
  const doc = new Y.Doc({ gc: true })
  try {
    Y.applyUpdate(doc, update)
    return fn(doc)
  } finally {
    doc.destroy()
  }
}

/** The text of the shared `codemirror` text in the document that `update` encodes. */
export function textOf(update: Uint8Array): string {
  return withDoc(update, (doc) => doc.getText(TEXT_NAME).toString())
}

/**
 * A Yjs update that, applied to the document `state` encodes, makes its `codemirror` text equal
 * to `target`: one deletion and one insertion (the smallest, see {@link minimalEdit}) by a new
 * client id. It is an edit like any other, so it merges with concurrent edits. Returns an empty
 * update (`[0, 0]`) if the text already equals `target`.
 */
export function updateReplacingText(state: Uint8Array, target: string): Uint8Array {
  return withDoc(state, (doc) => {
    const text = doc.getText(TEXT_NAME)
    const edit = minimalEdit(text.toString(), target)
    let captured: Uint8Array = EMPTY_UPDATE
    doc.on('update', (update: Uint8Array) => {
      captured = update
    })
    doc.transact(() => {
      if (edit.deleteCount > 0) text.delete(edit.index, edit.deleteCount)
      if (edit.insert.length > 0) text.insert(edit.index, edit.insert)
    })
    return captured
  })
}

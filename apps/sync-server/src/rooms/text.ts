import { minimalEdit, TEXT_NAME } from '@tandem/protocol'
import type * as Y from 'yjs'
import { EMPTY_UPDATE, fold } from './doc-state.js'

export { TEXT_NAME }

/**
 * Runs `fn` with a scratch `Y.Doc` holding `update`, one whole state (a fold's result, a
 * version), with deleted content garbage-collected, and destroys the document afterwards.
 * Throws if `update` does not decode or does not apply: a single state has nothing to keep
 * without it.
 */
export function withDoc<T>(update: Uint8Array, fn: (doc: Y.Doc) => T): T {
  return fold({ base: update, baseSeq: 0, updates: [], seqs: [] }, (doc, setAside) => {
    if (setAside[0]) throw new Error(`the update does not apply: ${setAside[0].reason}`)
    return fn(doc)
  }).value
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

import * as Y from 'yjs'

/** The shared `Y.Text` that the web app (y-codemirror.next) edits. */
export const TEXT_NAME = 'codemirror'

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

/** One replacement that turns one string into another. */
export interface TextEdit {
  /** Where the replacement starts, in UTF-16 code units. */
  index: number
  /** How many code units are deleted there. */
  deleteCount: number
  /** What is inserted there. */
  insert: string
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff

/**
 * The smallest single replacement (common prefix and suffix kept) that turns `from` into `to`.
 * It never splits a surrogate pair, so an emoji is replaced whole.
 */
export function minimalEdit(from: string, to: string): TextEdit {
  const max = Math.min(from.length, to.length)
  let prefix = 0
  while (prefix < max && from.charCodeAt(prefix) === to.charCodeAt(prefix)) prefix++
  if (prefix > 0 && isHighSurrogate(from.charCodeAt(prefix - 1))) prefix--
  let suffix = 0
  while (
    suffix < max - prefix &&
    from.charCodeAt(from.length - 1 - suffix) === to.charCodeAt(to.length - 1 - suffix)
  ) {
    suffix++
  }
  if (suffix > 0 && isLowSurrogate(from.charCodeAt(from.length - suffix))) suffix--
  return {
    index: prefix,
    deleteCount: from.length - prefix - suffix,
    insert: to.slice(prefix, to.length - suffix),
  }
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
    let captured: Uint8Array = new Uint8Array([0, 0])
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

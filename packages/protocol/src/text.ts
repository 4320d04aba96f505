import type * as Y from 'yjs'

/** The name of the shared `Y.Text` that Tandem's editor (y-codemirror.next) edits. */
export const TEXT_NAME = 'codemirror'

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
 * Makes `text` equal to `next` with the {@link minimalEdit}, so that cursors in the unchanged
 * parts stay where they are. Call it inside a transaction to make it one edit.
 */
export function replaceText(text: Y.Text, next: string): void {
  const edit = minimalEdit(text.toString(), next)
  if (edit.deleteCount > 0) text.delete(edit.index, edit.deleteCount)
  if (edit.insert.length > 0) text.insert(edit.index, edit.insert)
}

import type * as Y from 'yjs'

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff

/**
 * The part of `before` that changes to turn it into `after`: the common prefix and suffix are
 * kept, and neither boundary splits a surrogate pair.
 */
export function changedRange(
  before: string,
  after: string,
): { from: number; to: number; insert: string } {
  const max = Math.min(before.length, after.length)
  let prefix = 0
  while (prefix < max && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++
  if (prefix > 0 && isHighSurrogate(before.charCodeAt(prefix - 1))) prefix--
  let suffix = 0
  while (
    suffix < max - prefix &&
    before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)
  ) {
    suffix++
  }
  if (suffix > 0 && isLowSurrogate(before.charCodeAt(before.length - suffix))) suffix--
  return {
    from: prefix,
    to: before.length - suffix,
    insert: after.slice(prefix, after.length - suffix),
  }
}

/**
 * Makes `text` equal to `next`, touching only what differs, so that other people's cursors in
 * the unchanged parts stay where they are. Call it inside a transaction to make it one edit.
 */
export function replaceText(text: Y.Text, next: string): void {
  const { from, to, insert } = changedRange(text.toString(), next)
  if (to > from) text.delete(from, to - from)
  if (insert.length > 0) text.insert(from, insert)
}

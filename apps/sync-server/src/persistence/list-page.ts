import type { ListPage } from './store.js'

/** The most documents one {@link DocStore.list} call returns. */
export const MAX_LIST_LIMIT = 500

/** Throws a `RangeError` unless `page.limit` is an integer from 1 to {@link MAX_LIST_LIMIT}. */
export function checkListPage(page: ListPage): void {
  if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > MAX_LIST_LIMIT) {
    throw new RangeError(`list: limit must be an integer from 1 to ${MAX_LIST_LIMIT}`)
  }
}

/**
 * The smallest string, in code-point order, greater than every string that starts with
 * `prefix`: so `name >= prefix AND name < prefixEnd(prefix)` is the prefix as an index range.
 * `null` when there is none (an empty prefix, or one made only of U+10FFFF).
 */
export function prefixEnd(prefix: string): string | null {
  const points = [...prefix]
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!
    if (last < 0x10ffff) {
      // Skip the surrogates: no well-formed string holds one alone.
      return points.join('') + String.fromCodePoint(last === 0xd7ff ? 0xe000 : last + 1)
    }
  }
  return null
}

/** Orders names by code point, as SQLite's BINARY and PostgreSQL's "C" collations do. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

/**
 * Where a page starts: the names from `from` on, but not `after` itself (the cursor, when it
 * is past the prefix's start). One lower bound, so the store seeks its index once.
 */
export function pageStart(page: ListPage): { from: string; after: string } {
  const prefix = page.prefix ?? ''
  const after = page.after ?? ''
  return compareNames(after, prefix) >= 0 ? { from: after, after } : { from: prefix, after }
}

import type { DocumentInfo, ListPage, ScanPage, ScanResult } from './store.js'
import { TRASH_KEY_PREFIX } from './trash.js'

/** The most documents one {@link DocStore.list} call returns. */
export const MAX_LIST_LIMIT = 500

/** The most names one {@link DocStore.scan} call reads. */
export const MAX_SCAN_NAMES = 10_000

/** Throws a `RangeError` unless `page.limit` is an integer from 1 to {@link MAX_LIST_LIMIT}. */
export function checkListPage(page: ListPage): void {
  if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > MAX_LIST_LIMIT) {
    throw new RangeError(`list: limit must be an integer from 1 to ${MAX_LIST_LIMIT}`)
  }
}

/** As {@link checkListPage}, and `page.scan` an integer from 1 to {@link MAX_SCAN_NAMES}. */
export function checkScanPage(page: ScanPage): void {
  checkListPage(page)
  if (!Number.isInteger(page.scan) || page.scan < 1 || page.scan > MAX_SCAN_NAMES) {
    throw new RangeError(`scan: scan must be an integer from 1 to ${MAX_SCAN_NAMES}`)
  }
}

/**
 * The part of {@link DocStore.scan} every store shares: it is given the names in range, in order,
 * and keeps the ones `page.match` accepts, skipping trashed documents' rows, until it has
 * `page.limit` of them or has read `page.scan` names; then it takes one name more, if there is
 * one, only to know whether the range goes on.
 */
export class NameScan {
  readonly #page: ScanPage
  /** The names kept, in the order read. */
  readonly kept: string[] = []
  #scanned = 0
  #last: string | null = null
  #stopped = false
  #more = false

  constructor(page: ScanPage) {
    checkScanPage(page)
    this.#page = page
  }

  /** How many more names it takes at most (the one that says whether the range goes on included). */
  get remaining(): number {
    if (this.#stopped) return this.#more ? 0 : 1
    return this.#page.scan - this.#scanned + 1
  }

  /** Takes the next name; `false` once it wants no more. */
  read(name: string): boolean {
    if (this.#stopped) {
      this.#more = true
      return false
    }
    this.#scanned++
    this.#last = name
    if (!name.startsWith(TRASH_KEY_PREFIX) && this.#page.match(name)) this.kept.push(name)
    this.#stopped = this.kept.length === this.#page.limit || this.#scanned === this.#page.scan
    return true
  }

  /** The answer, given the kept names' documents (in the same order; gone ones left out). */
  result(documents: DocumentInfo[]): ScanResult {
    return { documents, next: this.#more ? this.#last : null, scanned: this.#scanned }
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

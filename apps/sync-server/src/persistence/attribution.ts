import {
  type AttributionAuthor,
  coalesceRecords,
  decodeRecords,
  encodeRecord,
  encodeRecords,
} from '@tandem/protocol'
import {
  ATTRIBUTION_WINDOW_MS,
  type Author,
  type DocAttribution,
  type UpdateAttribution,
} from './store.js'

/**
 * What every store does with attribution (SPEC B): authors are numbered once per store (a row
 * of an authors table, so every server of a cluster names them alike), a stored update carries
 * one record naming its author by number, and compaction folds the records of the updates it
 * replaces into the document's coalesced records.
 */

/**
 * The key an author is numbered under: equal authors share a number. The colour is not part of
 * it (a person who changes colour is the same person); a store keeps the first one it was given.
 */
export function authorKey(author: Author): string {
  return JSON.stringify([author.subject ?? null, author.name, author.verified])
}

/** An author as a row stores it: its key's parts and its colour. */
export function authorOfKey(key: string, color: string | null): Author {
  const [subject, name, verified] = JSON.parse(key) as [string | null, string, boolean]
  return {
    name,
    verified,
    ...(subject === null ? {} : { subject }),
    ...(color === null ? {} : { color }),
  }
}

/** The bytes a log row keeps for `attribution`, its author numbered `authorId`. */
export function rowAttribution(authorId: number, attribution: UpdateAttribution): Uint8Array {
  return encodeRecord({
    author: authorId,
    timeMs: attribution.timeMs,
    inserts: attribution.inserts,
    deletes: attribution.deletes,
  })
}

/** `parts` (a document's kept records, then its rows' in order) as one coalesced encoding. */
export function foldAttribution(parts: readonly (Uint8Array | null | undefined)[]): Uint8Array {
  const records = parts.flatMap((p) => (p ? decodeRecords(p) : []))
  return encodeRecords(coalesceRecords(records, ATTRIBUTION_WINDOW_MS))
}

/**
 * A document's attribution from its stored `parts`, with the authors they name (looked up by
 * `authorsById`; a number it does not know is named "Unknown").
 */
export function docAttribution(
  parts: readonly (Uint8Array | null | undefined)[],
  authorsById: ReadonlyMap<number, Author>,
): DocAttribution {
  const records = coalesceRecords(
    parts.flatMap((p) => (p ? decodeRecords(p) : [])),
    ATTRIBUTION_WINDOW_MS,
  )
  const ids = [...new Set(records.map((r) => r.author))].sort((a, b) => a - b)
  const authors: AttributionAuthor[] = ids.map((id) => {
    const author = authorsById.get(id)
    return {
      id,
      name: author?.name ?? 'Unknown',
      verified: author?.verified ?? false,
      ...(author?.color ? { color: author.color } : {}),
    }
  })
  return { authors, records }
}

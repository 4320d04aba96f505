/** The longest filter query `GET /api/docs?q=` takes, in UTF-16 code units. */
export const MAX_NAME_QUERY_LENGTH = 256

/** Printable ASCII: nothing to decompose or strip, only letters to lower. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/
/** Combining accents (nonspacing marks that are diacritics); spacing ones like `^` or `ー` stay. */
const ACCENTS = /(?=\p{Diacritic})\p{Mn}/gu
const SPACES = /\s+/u

/**
 * `text` as names are compared: compatibility forms unfolded (full-width letters, ligatures),
 * accents dropped, lower case whatever the locale.
 */
function fold(text: string): string {
  if (PRINTABLE_ASCII.test(text)) return text.toLowerCase()
  return text.normalize('NFKD').replace(ACCENTS, '').toLowerCase()
}

/**
 * Whether a document name matches `query`, as the home page's filter means it: the name contains
 * every word of the query, in any order, ignoring case, accents and full-width or ligature forms
 * (`plans team` and `TEAM/Plàns` both find `team/plans 2024`). `null` for a blank query, which
 * every name matches. The server's `GET /api/docs?q=` and the web app use this one definition.
 */
export function nameMatcher(query: string): ((name: string) => boolean) | null {
  const words = [...new Set(fold(query).split(SPACES))].filter((word) => word !== '')
  if (words.length === 0) return null
  return (name) => {
    const folded = fold(name)
    return words.every((word) => folded.includes(word))
  }
}

import { defaultLimits } from './limits.js'

/** Why a document name was refused. */
export type DocNameProblem =
  | 'empty'
  | 'too-long'
  | 'bad-encoding'
  | 'control-character'
  | 'format-character'
  | 'reserved-character'
  | 'bad-segment'

export type DocNameResult = { ok: true; name: string } | { ok: false; problem: DocNameProblem }

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u
const RESERVED = /[?#\\%]/u
/** Invisible characters that change how text around them shows (U+202E, U+200B, U+200D, …). */
const FORMAT = /\p{Cf}/u

/**
 * Checks a document name as it appears in a URL path (`/<name>`, percent-encoded). A valid name
 * is 1–128 code points of printable Unicode without `?`, `#`, `%` or `\` and without invisible
 * format characters (`\p{Cf}`: bidi overrides, zero-width spaces and joiners); it may use `/` to
 * form segments (`team/notes`), but no segment may be empty, `.` or `..`. The name it returns is
 * in Unicode normalization form C, so "café" typed either way is one document.
 */
export function parseDocName(
  encoded: string,
  maxChars: number = defaultLimits.maxDocNameChars,
): DocNameResult {
  let name: string
  try {
    name = decodeURIComponent(encoded)
  } catch {
    return { ok: false, problem: 'bad-encoding' }
  }
  return validateDocName(name, maxChars)
}

/** Checks an already decoded document name and returns it in NFC; see {@link parseDocName}. */
export function validateDocName(
  given: string,
  maxChars: number = defaultLimits.maxDocNameChars,
): DocNameResult {
  if (given.length === 0) return { ok: false, problem: 'empty' }
  if (!given.isWellFormed()) return { ok: false, problem: 'bad-encoding' }
  const name = given.normalize('NFC')
  if ([...name].length > maxChars) return { ok: false, problem: 'too-long' }
  if (CONTROL.test(name)) return { ok: false, problem: 'control-character' }
  if (RESERVED.test(name)) return { ok: false, problem: 'reserved-character' }
  for (const segment of name.split('/')) {
    if (segment === '' || segment === '.' || segment === '..' || segment.trim() !== segment) {
      return { ok: false, problem: 'bad-segment' }
    }
  }
  if (FORMAT.test(name)) return { ok: false, problem: 'format-character' }
  return { ok: true, name }
}

/** The URL path segment(s) for `name`, the inverse of {@link parseDocName}. */
export function encodeDocName(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/')
}

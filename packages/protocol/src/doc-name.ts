import { defaultLimits } from './limits.js'

/** Why a document name was refused. */
export type DocNameProblem =
  | 'empty'
  | 'too-long'
  | 'bad-encoding'
  | 'control-character'
  | 'reserved-character'
  | 'bad-segment'

export type DocNameResult = { ok: true; name: string } | { ok: false; problem: DocNameProblem }

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u
const RESERVED = /[?#\\%]/u

/**
 * Checks a document name as it appears in a URL path (`/<name>`, percent-encoded). A valid name
 * is 1–128 code points of printable Unicode without `?`, `#`, `%` or `\`; it may use `/` to
 * form segments (`team/notes`), but no segment may be empty, `.` or `..`.
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

/** Checks an already decoded document name; see {@link parseDocName}. */
export function validateDocName(
  name: string,
  maxChars: number = defaultLimits.maxDocNameChars,
): DocNameResult {
  if (name.length === 0) return { ok: false, problem: 'empty' }
  if (!name.isWellFormed()) return { ok: false, problem: 'bad-encoding' }
  if ([...name].length > maxChars) return { ok: false, problem: 'too-long' }
  if (CONTROL.test(name)) return { ok: false, problem: 'control-character' }
  if (RESERVED.test(name)) return { ok: false, problem: 'reserved-character' }
  for (const segment of name.split('/')) {
    if (segment === '' || segment === '.' || segment === '..' || segment.trim() !== segment) {
      return { ok: false, problem: 'bad-segment' }
    }
  }
  return { ok: true, name }
}

/** The URL path segment(s) for `name`, the inverse of {@link parseDocName}. */
export function encodeDocName(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/')
}

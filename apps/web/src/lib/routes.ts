import { type DocNameProblem, encodeDocName, parseDocName } from '@tandem/protocol'

/** What a URL path shows. */
export type Route =
  | { kind: 'home' }
  | { kind: 'doc'; name: string }
  | { kind: 'bad-doc-name'; problem: DocNameProblem }
  | { kind: 'not-found' }

const DOC_PREFIX = '/d/'

/** The shareable path of a document. */
export function docPath(name: string): string {
  return DOC_PREFIX + encodeDocName(name)
}

/** Maps `location.pathname` to a route. */
export function parseRoute(pathname: string): Route {
  if (pathname === '/' || pathname === '') return { kind: 'home' }
  if (!pathname.startsWith(DOC_PREFIX)) return { kind: 'not-found' }
  const parsed = parseDocName(pathname.slice(DOC_PREFIX.length))
  return parsed.ok
    ? { kind: 'doc', name: parsed.name }
    : { kind: 'bad-doc-name', problem: parsed.problem }
}

/**
 * Reads what a user typed into "open a document": a bare name, or a pasted Tandem link whose
 * path is `/d/<name>`. Returns the text itself when it is not such a link.
 */
export function docNameFromInput(input: string): string {
  const text = input.trim()
  if (!/^https?:\/\//i.test(text)) return text
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return text
  }
  const route = parseRoute(url.pathname)
  return route.kind === 'doc' ? route.name : text
}

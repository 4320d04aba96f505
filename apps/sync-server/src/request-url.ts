import type { IncomingMessage } from 'node:http'

/**
 * The request's target as a URL, read as a path (so `//name` stays a path, not a host), or
 * `null` if it is not a valid origin-form target.
 */
export function requestUrl(req: IncomingMessage): URL | null {
  const target = req.url ?? '/'
  if (!target.startsWith('/')) return null
  try {
    return new URL(`http://localhost${target}`)
  } catch {
    return null
  }
}

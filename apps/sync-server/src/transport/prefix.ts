import type { IncomingMessage } from 'node:http'

/** The request target each request had before a mount prefix was taken off it. */
const originals = new WeakMap<IncomingMessage, string>()

/**
 * A mount prefix such as `/collab`, normalised: a leading `/`, no trailing one; `''` for the
 * root. Throws if it is not a plain path.
 */
export function normalisePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/\/+$/, '')
  if (trimmed === '') return ''
  if (!/^(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$/.test(trimmed)) {
    throw new TypeError(`prefix ${JSON.stringify(prefix)} is not a path such as /collab`)
  }
  return trimmed
}

/**
 * If `req`'s target is under `prefix` (the prefix itself, or below it), takes the prefix off
 * `req.url` (as Express does for a mounted app; the original stays readable through
 * {@link originalUrl}) and returns true; else leaves `req` alone and returns false.
 */
export function enterPrefix(req: IncomingMessage, prefix: string): boolean {
  const target = req.url ?? '/'
  // At the root every target is Tandem's: one that is not a path gets 400 from its handlers.
  if (prefix === '') return true
  if (!target.startsWith(prefix)) return false
  const rest = target.slice(prefix.length)
  if (rest !== '' && rest[0] !== '/' && rest[0] !== '?') return false
  if (!originals.has(req)) originals.set(req, target)
  req.url = rest === '' || rest[0] === '?' ? `/${rest}` : rest
  return true
}

/** The target `req` was sent to, before {@link enterPrefix} took a prefix off it. */
export function originalUrl(req: IncomingMessage | undefined): string | undefined {
  if (!req) return undefined
  return originals.get(req) ?? (req as { originalUrl?: string }).originalUrl ?? req.url
}

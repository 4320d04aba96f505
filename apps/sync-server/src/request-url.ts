import type { IncomingMessage } from 'node:http'
import { addressKey } from './limits/address-key.js'

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

/**
 * The client's address. Behind `trustedProxyHops` reverse proxies (each appending the address it
 * received from to `X-Forwarded-For`), it is the entry that the outermost trusted proxy wrote;
 * entries further left are the client's own claims and are ignored. With 0, or with fewer
 * entries than trusted hops (a request that did not come through all the proxies, so every
 * entry may be the client's own), the socket's peer.
 */
export function clientAddress(req: IncomingMessage, trustedProxyHops: number): string {
  const peer = req.socket.remoteAddress ?? 'unknown'
  if (trustedProxyHops <= 0) return peer
  const header = req.headers['x-forwarded-for']
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
  // The nearest proxy is the socket's peer; it wrote the last entry, and so on outwards.
  if (forwarded.length < trustedProxyHops) return peer
  return forwarded[forwarded.length - trustedProxyHops] ?? peer
}

/**
 * The key per-address limits count the client under: {@link clientAddress}, with an IPv6
 * address reduced to its /64 network (see `addressKey`).
 */
export function clientKey(req: IncomingMessage, trustedProxyHops: number): string {
  return addressKey(clientAddress(req, trustedProxyHops))
}

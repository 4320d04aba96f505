import type { IncomingMessage } from 'node:http'
import { isIP } from 'node:net'

/** What decides which `Host` and `Origin` headers the server accepts. */
export interface HostRules {
  /** The address the server listens on (`HOST`). */
  listenHost: string
  /** The port it listens on, once it does. */
  port: () => number | undefined
  /**
   * The names users reach the server by (`ALLOWED_HOSTS`): `host` (any port), `host:port`,
   * `*.example.com` (its subdomains), or `*` alone (every name: the check is off).
   */
  allowedHosts: readonly string[]
  /** `ALLOWED_ORIGINS`: the browser origins allowed, or `null` for the server's own names. */
  allowedOrigins: readonly string[] | null
}

interface NamePattern {
  /** Lowercase hostname without brackets; with `wildcard`, the suffix after `*.`. */
  hostname: string
  wildcard: boolean
  port: string | null
}

/** A `Host` value split into lowercase hostname (IPv6 without brackets) and port, or null. */
function splitHost(value: string): { hostname: string; port: string } | null {
  if (value === '' || /[\s/?#@\\]/.test(value)) return null
  try {
    const url = new URL(`http://${value}`)
    if (url.username || url.password || url.pathname !== '/') return null
    return { hostname: bare(url.hostname), port: url.port || '80' }
  } catch {
    return null
  }
}

function bare(hostname: string): string {
  const lower = hostname.toLowerCase().replace(/\.$/, '')
  return lower.startsWith('[') ? lower.slice(1, -1) : lower
}

/** Parses one `ALLOWED_HOSTS` entry; null if it is not one. */
export function parseHostPattern(entry: string): NamePattern | null {
  const wildcard = entry.startsWith('*.')
  const split = splitHost(wildcard ? entry.slice(2) : entry)
  if (!split) return null
  const explicitPort = /:\d+$/.test(entry) && !/^\[[^\]]*\]$/.test(entry)
  return { hostname: split.hostname, wildcard, port: explicitPort ? split.port : null }
}

function isLoopbackName(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '::1' ||
    (isIP(hostname) === 4 && hostname.startsWith('127.'))
  )
}

const unspecified = new Set(['0.0.0.0', '::', '[::]'])

/**
 * Which names this server answers to, against DNS rebinding: a page of `evil.example` whose
 * name was made to resolve to this server sends `Host: evil.example`, and is refused. Accepted
 * `Host` values: none at all (not a browser), an IP address literal (a rebinding attack needs a
 * name the attacker controls, so an address is the server reached directly, bound address and
 * NAT-forwarded ones alike), the loopback names (`localhost`, `*.localhost`), the name `HOST`
 * gives, and `ALLOWED_HOSTS`.
 */
export class HostPolicy {
  readonly #rules: HostRules
  readonly #patterns: NamePattern[]
  readonly #any: boolean
  readonly #origins: ReadonlySet<string> | null
  readonly #listenHost: string | null

  constructor(rules: HostRules) {
    this.#rules = rules
    this.#any = rules.allowedHosts.includes('*')
    this.#patterns = rules.allowedHosts.flatMap((entry) => {
      const pattern = entry === '*' ? null : parseHostPattern(entry)
      return pattern ? [pattern] : []
    })
    this.#origins = rules.allowedOrigins ? new Set(rules.allowedOrigins) : null
    this.#listenHost = unspecified.has(rules.listenHost) ? null : bare(rules.listenHost)
  }

  /** Whether names other than addresses and loopback ones are configured (else: a start-up warning). */
  get namesConfigured(): boolean {
    return this.#any || this.#patterns.length > 0
  }

  /** Whether every `Host` is accepted (`ALLOWED_HOSTS=*`). */
  get anyHost(): boolean {
    return this.#any
  }

  /** Whether the request's `Host` header names this server (see the class comment). */
  hostAllowed(req: IncomingMessage): boolean {
    const value = req.headers.host
    if (value === undefined || this.#any) return true
    const host = splitHost(value)
    if (!host) return false
    if (isIP(host.hostname) !== 0 || isLoopbackName(host.hostname)) return true
    if (host.hostname === this.#listenHost) return true
    return this.#matches(host.hostname, host.port)
  }

  /**
   * Whether a browser request may come from its `Origin`. Requests without one (not from a
   * browser page) pass; tokens guard those. With `ALLOWED_ORIGINS`, exactly those. Else the
   * server's own names: the origin of the request's own `Host` (which {@link hostAllowed} has
   * checked, so a rebinding page cannot pass as it), a configured name, or a loopback name or
   * the listening address on the port the server listens on.
   */
  originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin
    if (origin === undefined) return true
    if (this.#origins) return this.#origins.has(origin)
    let url: URL
    try {
      url = new URL(origin)
    } catch {
      return false
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false
    if (req.headers.host !== undefined && url.host === req.headers.host.toLowerCase()) {
      return this.hostAllowed(req)
    }
    const hostname = bare(url.hostname)
    const port = url.port || (url.protocol === 'https:' ? '443' : '80')
    if (this.#matches(hostname, port)) return true
    const own = String(this.#rules.port() ?? '')
    return port === own && (isLoopbackName(hostname) || hostname === this.#listenHost)
  }

  #matches(hostname: string, port: string): boolean {
    return this.#patterns.some(
      (p) =>
        (p.wildcard ? hostname.endsWith(`.${p.hostname}`) : hostname === p.hostname) &&
        (p.port === null || p.port === port),
    )
  }
}

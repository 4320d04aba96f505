import type { AccessMode } from '@tandem/protocol'

/** What a page's access token grants, as read from the token itself (for display only). */
export interface TokenInfo {
  readonly mode: AccessMode
  /** When it expires, in milliseconds since the epoch; `null` when it does not say. */
  readonly expiresAtMs: number | null
  /** The display name the server stamps into this user's presence, if any. */
  readonly name: string | null
}

/** The `token` query parameter of a page address (`location.search`), or `null`. */
export function pageToken(search: string): string | null {
  const token = new URLSearchParams(search).get('token')?.trim()
  return token ? token : null
}

function base64UrlDecode(part: string): string | null {
  if (!/^[A-Za-z0-9_-]*$/.test(part)) return null
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/')
  try {
    const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4))
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0))
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return null
  }
}

/**
 * Reads a Tandem token's claims WITHOUT verifying its signature: only to show the page as
 * view-only or to say that a link has expired. The server checks every token and enforces what
 * it grants. `null` for something that is not a readable JWT; a token that names no mode reads
 * as `edit` (the server decides).
 */
export function readToken(token: string): TokenInfo | null {
  const parts = token.split('.')
  if (parts.length !== 3 || parts[1] === undefined) return null
  const json = base64UrlDecode(parts[1])
  if (json === null) return null
  let payload: unknown
  try {
    payload = JSON.parse(json)
  } catch {
    return null
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return null
  const claims = payload as Record<string, unknown>
  return {
    mode: claims.mode === 'view' ? 'view' : 'edit',
    expiresAtMs:
      typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp * 1000 : null,
    name: typeof claims.name === 'string' && claims.name.trim() !== '' ? claims.name : null,
  }
}

import { randomBytes } from 'node:crypto'
import type { LinkRecord } from '../persistence/store.js'
import type { Context } from './context.js'
import { ApiError } from './errors.js'
import { readJsonObject, sendJson } from './http.js'

/** How long a link works unless asked for less (and never longer than the minter's access). */
export const LINK_TTL_SECONDS = 30 * 24 * 60 * 60

/** The name a link's holders appear under unless the minter gives one. */
export const DEFAULT_LINK_NAME = 'Guest'

/** Longest link name, in UTF-16 code units. */
const MAX_LINK_NAME_LENGTH = 60

/** Largest body of a mint request: it holds a name and two small fields. */
const MAX_MINT_BODY_BYTES = 4 * 1024

/** A link id: 16 random bytes, base64url. */
const LINK_ID = /^[A-Za-z0-9_-]{22}$/

/** A link as the API lists it (without its token: that is shown once, when minted). */
function linkJson(link: LinkRecord) {
  return {
    id: link.id,
    name: link.name,
    mode: link.mode,
    createdAt: new Date(link.createdAtMs).toISOString(),
    expiresAt: new Date(link.expiresAtMs).toISOString(),
  }
}

/** The link name of a mint request: trimmed, NFC, 1–60 characters, no control or format ones. */
function linkName(value: unknown): string {
  if (value === undefined) return DEFAULT_LINK_NAME
  const name = typeof value === 'string' ? value.normalize('NFC').trim() : ''
  if (name === '' || name.length > MAX_LINK_NAME_LENGTH || /[\p{Cc}\p{Cf}]/u.test(name)) {
    throw new ApiError(
      'invalid_body',
      `"name" must be 1–${MAX_LINK_NAME_LENGTH} characters without control or format characters`,
    )
  }
  return name
}

/**
 * `POST /api/docs/{name}/links`: mints a share link of the document (needs `edit` access), with
 * an id (`jti`) the server records so that it can be listed and revoked. The body (optional,
 * JSON) may give `name` (what its holders appear as; default "Guest"), `mode` (`view`, the
 * default, or `edit`) and `ttlSeconds` (default and most: 30 days). The link never outlives the
 * minter's own token; only the admin key (or open mode without a token) mints the full term.
 */
export async function createLinks(ctx: Context): Promise<void> {
  const hasBody =
    ctx.req.headers['content-length'] !== undefined && ctx.req.headers['content-length'] !== '0'
  const body =
    hasBody || ctx.req.headers['transfer-encoding'] !== undefined
      ? await readJsonObject(ctx.req, MAX_MINT_BODY_BYTES)
      : {}
  const name = linkName(body.name)
  const mode = body.mode ?? 'view'
  if (mode !== 'view' && mode !== 'edit') {
    throw new ApiError('invalid_body', '"mode" must be "view" or "edit"')
  }
  const ttlSeconds = body.ttlSeconds ?? LINK_TTL_SECONDS
  if (
    typeof ttlSeconds !== 'number' ||
    !Number.isInteger(ttlSeconds) ||
    ttlSeconds < 1 ||
    ttlSeconds > LINK_TTL_SECONDS
  ) {
    throw new ApiError(
      'invalid_body',
      `"ttlSeconds" must be a whole number of seconds from 1 to ${LINK_TTL_SECONDS}`,
    )
  }
  const nowMs = Date.now()
  let expiresAtMs = Math.floor((nowMs + ttlSeconds * 1000) / 1000) * 1000
  // A link never outlives the access that minted it (the admin key has no expiry).
  const minterExpiresAtMs = ctx.access?.expiresAtMs
  if (minterExpiresAtMs !== undefined) expiresAtMs = Math.min(expiresAtMs, minterExpiresAtMs)
  if (expiresAtMs <= nowMs) {
    throw new ApiError('invalid_body', 'the access that asks for this link expires now')
  }
  const id = randomBytes(16).toString('base64url')
  const subject = `link:${id}`
  const link: LinkRecord = {
    id,
    doc: ctx.name,
    name,
    mode,
    createdAtMs: nowMs,
    expiresAtMs,
    mintedBy: ctx.access?.subject ?? null,
  }
  const token = await ctx.deps.signer.signUntil(
    { doc: ctx.name, mode, sub: subject, name, jti: id },
    expiresAtMs,
  )
  await ctx.deps.store.saveLink(link)
  ctx.log.info({ link: id, mode, expiresAtMs }, 'share link minted')
  const expiresAt = new Date(expiresAtMs).toISOString()
  sendJson(ctx.res, 201, {
    link: { ...linkJson(link), token },
    // The answer's shape before links were named and listed; kept for clients that read it.
    ...(mode === 'view' ? { view: { token, expiresAt } } : {}),
  })
}

/** `GET /api/docs/{name}/links`: the document's links neither revoked nor expired (edit access). */
export async function listLinks(ctx: Context): Promise<void> {
  const links = await ctx.deps.store.listLinks(ctx.name)
  sendJson(ctx.res, 200, { links: links.map(linkJson) })
}

/**
 * `DELETE /api/docs/{name}/links/{link}`: revokes a link of the document (edit access). Its
 * token is refused from then on (401 `token_revoked`), and its open connections, on every server
 * of a cluster, are closed with 4403 within seconds.
 */
export async function revokeLink(ctx: Context): Promise<void> {
  const id = ctx.linkId
  const revocations = ctx.deps.revocations
  const revoked =
    LINK_ID.test(id) &&
    (await (revocations
      ? revocations.revoke(ctx.name, id)
      : ctx.deps.store.revokeLink(ctx.name, id)))
  if (!revoked) {
    throw new ApiError('not_found', 'the document has no such link (or it expired or is revoked)')
  }
  ctx.log.info({ link: id }, 'share link revoked')
  ctx.res.writeHead(204, { 'Cache-Control': 'no-store' })
  ctx.res.end()
}

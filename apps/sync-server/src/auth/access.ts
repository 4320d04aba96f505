import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { AccessMode } from '@tandem/protocol'
import { type HttpErrorCode, statusOf } from '../errors.js'
import { requestUrl } from '../request-url.js'
import type { Identity } from '../rooms/peer.js'
import type { SignInRule } from './sign-in.js'
import { InvalidTokenError, type TokenSigner, tokenCovers } from './tokens.js'

export type { AccessMode, Identity }

/** The outcome of an access check: allowed with a mode, or refused with an HTTP status. */
export type Access =
  | {
      ok: true
      mode: AccessMode
      user?: Identity
      expiresAtMs?: number
      /**
       * Who the request acts as, for per-subject budgets and presence ownership: `admin` for
       * the admin key, `sub:<sub>` for a token with a subject, else one key per token
       * (`token:` and a digest of it). Absent without a token.
       */
      subject?: string
      /** The id (`jti`) of the share link the request carries, if it is one. */
      linkId?: string
    }
  | Refusal<AccessError>

/** A refusal: a code of the server's catalogue (`../errors.ts`) and the status it gives. */
export interface Refusal<Code extends HttpErrorCode> {
  ok: false
  status: number
  code: Code
  message: string
}

export type AccessError = Extract<
  HttpErrorCode,
  | 'token_required'
  | 'token_invalid'
  | 'token_expired'
  | 'token_revoked'
  | 'token_wrong_document'
  | 'origin_not_allowed'
  | 'sign_in_refused'
  | 'sign_in_unavailable'
>

function refusal<Code extends HttpErrorCode>(code: Code, message: string): Refusal<Code> {
  return { ok: false, status: statusOf(code), code, message }
}

/** Decides what `req` may do with document `name`. */
export type Authorize = (req: IncomingMessage, name: string) => Promise<Access>

/**
 * Decides what a token may do with document `name`; `undefined` and `""` are no token (a
 * Hocuspocus provider without one sends `""`). `req` is the request it came with (for a
 * Hocuspocus provider's in-band token, its socket's upgrade), for an application's sign-in.
 */
export type AuthorizeToken = (
  token: string | undefined,
  name: string,
  req?: IncomingMessage,
) => Promise<Access>

/** One access rule, asked two ways: of an HTTP request (an upgrade, the API) and of a token. */
export type AccessRule = Authorize & {
  readonly token: AuthorizeToken
  /**
   * {@link token} for a token sent in-band by a Hocuspocus provider, which applications fill
   * with their own session tokens: in open mode, one that is not a Tandem token at all counts
   * as none (anyone may edit anyway); a Tandem token keeps its limits (SPEC Y3).
   */
  readonly inBand: AuthorizeToken
}

/** Open mode without token checks: anyone who knows a document's name may edit it. */
export const allowAll: AccessRule = Object.assign(
  async (): Promise<Access> => ({ ok: true, mode: 'edit' }),
  {
    token: async (): Promise<Access> => ({ ok: true, mode: 'edit' }),
    inBand: async (): Promise<Access> => ({ ok: true, mode: 'edit' }),
  },
)

/** The token a request carries: `?token=` (as y-websocket sends it) or `Authorization: Bearer`. */
export function requestToken(req: IncomingMessage): string | undefined {
  return bearerToken(req) ?? requestUrl(req)?.searchParams.get('token') ?? undefined
}

/**
 * The access rule of an auth mode. `open`: no token needed, and a request without one may
 * edit; a token, if present, must be valid and then limits the request to what it grants (so
 * a view link stays a view link). `token`: every request needs a valid token for the document.
 * An empty token is no token. The admin key, if configured, opens every document to a request
 * that carries it as `Authorization: Bearer` (never as a token: it is not one). A share link
 * that `isRevoked` names is refused with 401 `token_revoked`, in either mode.
 *
 * With `signIn` (the application's: the `authenticate` hook, `AUTH_CALLBACK_URL` or
 * `AUTH_JWKS_URL`), `mode` does not matter: the admin key and Tandem's own tokens (share links)
 * keep working as above, and every other request (no token, or one Tandem did not sign) is
 * the sign-in's to let in or refuse.
 */
export function createAuthorize(
  mode: 'open' | 'token',
  signer: TokenSigner,
  adminKey?: string,
  isRevoked: (linkId: string) => boolean = () => false,
  signIn?: SignInRule,
): AccessRule {
  const byToken: AuthorizeToken = async (token, name, req) => {
    if (!signIn) return tandemToken(token, name)
    if (token !== undefined && token !== '') {
      const own = await tandemToken(token, name)
      // A token Tandem signed decides; any other is the sign-in's (an identity provider's).
      if (own.ok || own.code !== 'token_invalid') return own
    }
    return signIn(req, name, token === '' ? undefined : token)
  }
  const tandemToken = async (token: string | undefined, name: string): Promise<Access> => {
    if (token === undefined || token === '') {
      if (mode === 'open') return { ok: true, mode: 'edit' }
      return refusal('token_required', 'a token is required')
    }
    let claims: Awaited<ReturnType<TokenSigner['verify']>>
    try {
      claims = await signer.verify(token)
    } catch (err) {
      const expired = err instanceof InvalidTokenError && err.reason === 'expired'
      return expired
        ? refusal('token_expired', 'the token has expired')
        : refusal('token_invalid', 'the token is not valid')
    }
    if (claims.jti !== undefined && isRevoked(claims.jti)) {
      return refusal('token_revoked', 'this link has been revoked')
    }
    if (!tokenCovers(claims, name)) {
      return refusal('token_wrong_document', 'the token is for another document')
    }
    const subject =
      claims.sub !== undefined
        ? `sub:${claims.sub}`
        : `token:${createHash('sha256').update(token).digest('base64url').slice(0, 22)}`
    return {
      ok: true,
      mode: claims.mode,
      expiresAtMs: claims.expiresAtMs,
      subject,
      ...(claims.jti !== undefined ? { linkId: claims.jti } : {}),
      ...(claims.name !== undefined
        ? {
            user: {
              name: claims.name,
              ...(claims.color ? { color: claims.color } : {}),
              subject,
            },
          }
        : {}),
    }
  }
  const byRequest: Authorize = async (req, name) => {
    if (adminKey && secretMatches(bearerToken(req), adminKey)) {
      return { ok: true, mode: 'edit', subject: 'admin' }
    }
    return byToken(requestToken(req), name, req)
  }
  const inBand: AuthorizeToken = async (token, name, req) => {
    const access = await byToken(token, name, req)
    if (!signIn && mode === 'open' && !access.ok && access.code === 'token_invalid') {
      return { ok: true, mode: 'edit' }
    }
    return access
  }
  return Object.assign(byRequest, { token: byToken, inBand })
}

/** Whether `given` equals `secret`, in time that does not depend on where they differ. */
export function secretMatches(given: string | undefined, secret: string): boolean {
  if (given === undefined) return false
  const a = Buffer.from(given)
  const b = Buffer.from(secret)
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * The admin rule: with `adminKey`, a request needs `Authorization: Bearer <adminKey>`; without
 * one, open mode lets every request through and token mode none.
 */
export function createAdmin(
  mode: 'open' | 'token',
  adminKey: string | undefined,
): (req: IncomingMessage) => { ok: true } | Refusal<'admin_key_required'> {
  const refused = refusal(
    'admin_key_required',
    adminKey ? 'this needs the admin key' : 'token mode: set ADMIN_KEY to use this',
  )
  return (req) => {
    if (adminKey) return secretMatches(bearerToken(req), adminKey) ? { ok: true } : refused
    return mode === 'open' ? { ok: true } : refused
  }
}

/** The token of an `Authorization: Bearer <token>` header, if the request has one. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined
}

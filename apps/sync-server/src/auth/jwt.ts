import { createHash, createPublicKey, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose'
import type { Config } from '../config.js'
import { statusOf } from '../errors.js'
import type { Logger } from '../log.js'
import type { Access } from './access.js'
import { type SignInRule, unavailable } from './sign-in.js'

/** The algorithms an identity provider's tokens may use. */
const ALGORITHMS = ['ES256', 'RS256']
/** Clock difference between the provider and this server that is forgiven. */
const CLOCK_TOLERANCE_S = 5
/** How long a key set read from `AUTH_JWKS_URL` is used before it is read again. */
const JWKS_MAX_AGE_MS = 10 * 60_000
/** After a read, a token signed by a key the set lacks waits this long before another read. */
const JWKS_COOLDOWN_MS = 30_000
const JWKS_TIMEOUT_MS = 5_000
/** Longest display name taken from a token, in code points. */
const MAX_NAME_CHARS = 200

/** What a JWT sign-in needs of the settings. */
export type JwtSettings = Pick<
  Config,
  | 'AUTH_JWKS_URL'
  | 'AUTH_PUBLIC_KEY_FILE'
  | 'AUTH_JWT_ISSUER'
  | 'AUTH_JWT_AUDIENCE'
  | 'AUTH_JWT_DOCUMENT_CLAIM'
  | 'AUTH_JWT_MODE_CLAIM'
  | 'AUTH_JWT_NAME_CLAIM'
>

function refused(
  code: 'token_required' | 'token_invalid' | 'token_expired' | 'token_wrong_document',
  message: string,
): Access {
  return { ok: false, status: statusOf(code), code, message }
}

/**
 * `AUTH_JWKS_URL` or `AUTH_PUBLIC_KEY_FILE`: tokens an identity provider signs (ES256 or RS256)
 * open documents. A token must carry `exp`, the configured `iss` and `aud`, and in its
 * document claim the document's name, a list with it, or `*`. Its mode claim gives `edit` or
 * `view` (absent: `view`), its name claim the display name, `sub` the user. No token: 401
 * `token_required`; a bad one: 401 `token_invalid` (`token_expired`); another document's: 403
 * `token_wrong_document`; a key set that cannot be read: 503 `sign_in_unavailable`.
 */
export function jwtSignIn(settings: JwtSettings, log: Logger): SignInRule {
  const key: KeyObject | ReturnType<typeof createRemoteJWKSet> = settings.AUTH_JWKS_URL
    ? createRemoteJWKSet(new URL(settings.AUTH_JWKS_URL), {
        timeoutDuration: JWKS_TIMEOUT_MS,
        cooldownDuration: JWKS_COOLDOWN_MS,
        cacheMaxAge: JWKS_MAX_AGE_MS,
      })
    : createPublicKey(readFileSync(settings.AUTH_PUBLIC_KEY_FILE ?? '', 'utf8'))
  const issuer = settings.AUTH_JWT_ISSUER ?? ''
  const audience = settings.AUTH_JWT_AUDIENCE ?? ''
  return async (_req, name, token) => {
    if (token === undefined || token === '') return refused('token_required', 'a token is required')
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, key as KeyObject, {
        algorithms: ALGORITHMS,
        issuer,
        audience,
        requiredClaims: ['exp'],
        clockTolerance: CLOCK_TOLERANCE_S,
      }))
    } catch (err) {
      if (err instanceof errors.JWTExpired) return refused('token_expired', 'the token has expired')
      if (
        err instanceof errors.JWKSTimeout ||
        err instanceof errors.JWKSInvalid ||
        !(err instanceof errors.JOSEError) ||
        // The key set answered with something other than 200.
        err.code === 'ERR_JOSE_GENERIC'
      ) {
        log.warn({ err, doc: name }, 'the key set (AUTH_JWKS_URL) cannot be read: refused')
        return unavailable()
      }
      log.debug({ err, doc: name }, 'token refused')
      return refused('token_invalid', 'the token is not valid')
    }
    const docs = payload[settings.AUTH_JWT_DOCUMENT_CLAIM]
    const list = typeof docs === 'string' ? [docs] : Array.isArray(docs) ? docs : null
    if (!list?.every((d) => typeof d === 'string')) {
      return refused('token_invalid', `the token has no ${settings.AUTH_JWT_DOCUMENT_CLAIM} claim`)
    }
    if (!list.some((d) => d === '*' || d.normalize('NFC') === name)) {
      return refused('token_wrong_document', 'the token is for another document')
    }
    const mode = payload[settings.AUTH_JWT_MODE_CLAIM] ?? 'view'
    if (mode !== 'edit' && mode !== 'view') {
      return refused(
        'token_invalid',
        `the token's ${settings.AUTH_JWT_MODE_CLAIM} claim is not edit or view`,
      )
    }
    const display = payload[settings.AUTH_JWT_NAME_CLAIM]
    const subject =
      typeof payload.sub === 'string' && payload.sub !== ''
        ? `sub:${payload.sub}`
        : `token:${createHash('sha256').update(token).digest('base64url').slice(0, 22)}`
    const displayName =
      typeof display === 'string' && display.trim() !== ''
        ? [...display].slice(0, MAX_NAME_CHARS).join('')
        : undefined
    return {
      ok: true,
      mode,
      subject,
      expiresAtMs: (payload.exp ?? 0) * 1000,
      ...(displayName ? { user: { name: displayName, subject } } : {}),
    }
  }
}

import { type TokenClaims, validateDocName } from '@tandem/protocol'
import { errors, jwtVerify, SignJWT } from 'jose'

const ISSUER = 'tandem'
const ALGORITHM = 'HS256'

export type { TokenClaims }

/** A verified token's claims and its expiry. */
export interface VerifiedToken extends TokenClaims {
  /** Milliseconds since the epoch at which the token expires. */
  expiresAtMs: number
}

export type TokenError = 'malformed' | 'bad-signature' | 'expired' | 'bad-claims'

export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError'
  constructor(readonly reason: TokenError) {
    super(`invalid token: ${reason}`)
  }
}

/** Signs and verifies Tandem's access tokens (JWT, HS256, issuer `tandem`). */
export class TokenSigner {
  readonly #key: Uint8Array

  constructor(key: Uint8Array) {
    if (key.length < 32) throw new Error('the signing key must have at least 32 bytes')
    this.#key = key
  }

  /** A token granting `claims` for `ttlSeconds`. */
  async sign(claims: TokenClaims, ttlSeconds: number): Promise<string> {
    return this.signUntil(
      claims,
      (Math.floor(Date.now() / 1000) + Math.max(1, Math.floor(ttlSeconds))) * 1000,
    )
  }

  /** A token granting `claims` until `expiresAtMs` (rounded down to a whole second). */
  async signUntil(claims: TokenClaims, expiresAtMs: number): Promise<string> {
    if ((claims.doc === undefined) === (claims.prefix === undefined)) {
      throw new Error('a token names either a document or a prefix')
    }
    if (claims.prefix !== undefined && !validPrefix(claims.prefix)) {
      throw new Error(
        'a prefix must be a valid document name (the admin key, not an empty prefix, opens every document)',
      )
    }
    if (claims.sub === '' || claims.jti === '') throw new Error('sub and jti may not be empty')
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: ALGORITHM })
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAtMs / 1000))
      .sign(this.#key)
  }

  /** The claims of `token`; throws {@link InvalidTokenError} if it is not valid now. */
  async verify(token: string): Promise<VerifiedToken> {
    let payload: Record<string, unknown>
    try {
      ;({ payload } = await jwtVerify(token, this.#key, {
        issuer: ISSUER,
        algorithms: [ALGORITHM],
        requiredClaims: ['exp'],
      }))
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new InvalidTokenError('expired')
      if (err instanceof errors.JWSSignatureVerificationFailed) {
        throw new InvalidTokenError('bad-signature')
      }
      if (err instanceof errors.JWTClaimValidationFailed) throw new InvalidTokenError('bad-claims')
      throw new InvalidTokenError('malformed')
    }
    const { doc, prefix, mode, sub, name, color, jti, exp } = payload
    const text = (v: unknown) => v === undefined || (typeof v === 'string' && v.length <= 200)
    if (
      (mode !== 'edit' && mode !== 'view') ||
      !text(doc) ||
      !text(prefix) ||
      (doc === undefined) === (prefix === undefined) ||
      (prefix !== undefined && !validPrefix(prefix as string)) ||
      !text(sub) ||
      sub === '' ||
      !text(name) ||
      !text(color) ||
      !text(jti) ||
      jti === '' ||
      typeof exp !== 'number'
    ) {
      throw new InvalidTokenError('bad-claims')
    }
    return {
      mode,
      ...(doc !== undefined ? { doc: doc as string } : { prefix: prefix as string }),
      ...(sub !== undefined ? { sub: sub as string } : {}),
      ...(name !== undefined ? { name: name as string } : {}),
      ...(color !== undefined ? { color: color as string } : {}),
      ...(jti !== undefined ? { jti: jti as string } : {}),
      expiresAtMs: exp * 1000,
    }
  }
}

/** A prefix without its trailing `/` (`team/` is `team`), in NFC as document names are. */
function prefixPath(prefix: string): string {
  return (prefix.endsWith('/') ? prefix.slice(0, -1) : prefix).normalize('NFC')
}

/** Whether `prefix` names whole segments of some document name: not empty, no `//`, `.` … */
function validPrefix(prefix: string): boolean {
  return validateDocName(prefixPath(prefix)).ok
}

/**
 * Whether `token` opens document `name` (a valid name, so in NFC): its `doc` exactly, or a name
 * whose leading whole segments are its `prefix`.
 */
export function tokenCovers(token: TokenClaims, name: string): boolean {
  if (token.doc !== undefined) return token.doc.normalize('NFC') === name
  if (token.prefix === undefined || !validPrefix(token.prefix)) return false
  const prefix = prefixPath(token.prefix)
  return name === prefix || name.startsWith(`${prefix}/`)
}

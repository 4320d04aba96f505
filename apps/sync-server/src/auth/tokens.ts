import { errors, jwtVerify, SignJWT } from 'jose'
import type { AccessMode } from './access.js'

const ISSUER = 'tandem'
const ALGORITHM = 'HS256'

/** What a token grants. */
export interface TokenClaims {
  /** The document it opens, exactly, or every document whose name starts with `prefix`. */
  doc?: string
  prefix?: string
  mode: AccessMode
  /** Display name and colour the server stamps into this user's presence. */
  name?: string
  color?: string
}

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
    if ((claims.doc === undefined) === (claims.prefix === undefined)) {
      throw new Error('a token names either a document or a prefix')
    }
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: ALGORITHM })
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + Math.max(1, Math.floor(ttlSeconds)))
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
    const { doc, prefix, mode, name, color, exp } = payload
    const text = (v: unknown) => v === undefined || (typeof v === 'string' && v.length <= 200)
    if (
      (mode !== 'edit' && mode !== 'view') ||
      !text(doc) ||
      !text(prefix) ||
      (doc === undefined) === (prefix === undefined) ||
      !text(name) ||
      !text(color) ||
      typeof exp !== 'number'
    ) {
      throw new InvalidTokenError('bad-claims')
    }
    return {
      mode,
      ...(doc !== undefined ? { doc: doc as string } : { prefix: prefix as string }),
      ...(name !== undefined ? { name: name as string } : {}),
      ...(color !== undefined ? { color: color as string } : {}),
      expiresAtMs: exp * 1000,
    }
  }
}

/** Whether `token` opens document `name`. */
export function tokenCovers(token: TokenClaims, name: string): boolean {
  return token.doc !== undefined ? token.doc === name : name.startsWith(token.prefix ?? '\0')
}

import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { z } from 'zod'
import { statusOf } from '../errors.js'
import type { Logger } from '../log.js'
import { originalUrl } from '../transport/prefix.js'
import type { Access } from './access.js'

/** What an application's sign-in is told about a request to open a document. */
export interface SignInRequest {
  /**
   * The request's headers: a WebSocket upgrade's, an HTTP API request's, or, for a document a
   * Hocuspocus provider opens on its socket, that socket's upgrade.
   */
  readonly headers: IncomingHttpHeaders
  /** The cookies of its `Cookie` header, by name. */
  readonly cookies: Readonly<Record<string, string>>
  /** The URL it was sent to, as the client sent it (a mount prefix such as `/collab` included). */
  readonly url: URL
  /** The document it would open (a valid name, NFC). */
  readonly document: string
  /**
   * The token it carries that is not one of Tandem's own: `?token=`, `Authorization: Bearer`,
   * or a Hocuspocus provider's `token`. Absent without one.
   */
  readonly token: string | undefined
}

/** An application's yes: what the request may do, and who makes it. */
export interface SignedIn {
  /** `edit` may change the document; `view` may only read it (its updates are dropped). */
  readonly mode: 'edit' | 'view'
  /**
   * Who the user is, stable across their connections (a user id): presence ownership, the
   * per-user budgets and the rate-limit cooldown key on it. 1 to 256 characters.
   */
  readonly subject: string
  /** A display name shown with the user's cursor, vouched for by the application. */
  readonly name?: string
  /** A CSS colour for the user's cursor (`#rrggbb`). */
  readonly color?: string
}

/**
 * The application decides whether a request may open a document, and as whom: a
 * {@link SignedIn} to let it in; `null` (or `false`) to refuse it (401 `sign_in_refused`). A
 * hook that throws or rejects refuses too, with 503 `sign_in_unavailable`: never open.
 */
export type Authenticate = (
  request: SignInRequest,
) => SignedIn | null | false | Promise<SignedIn | null | false>

/** A {@link SignedIn} as the hook or `AUTH_CALLBACK_URL` must give it; anything else is a failure. */
export const signedInSchema = z.object({
  mode: z.enum(['edit', 'view']),
  subject: z.string().min(1).max(256),
  name: z.string().min(1).max(200).optional(),
  color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/)
    .optional(),
})

/** The cookies of a `Cookie` header, by name (the first of a repeated name wins). */
export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = Object.create(null)
  if (!header) return cookies
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq <= 0) continue
    const name = part.slice(0, eq).trim()
    if (!name || name in cookies) continue
    let value = part.slice(eq + 1).trim()
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2)
      value = value.slice(1, -1)
    try {
      cookies[name] = decodeURIComponent(value)
    } catch {
      cookies[name] = value
    }
  }
  return cookies
}

/** The {@link SignInRequest} of `req` for document `name`. */
export function signInRequest(
  req: IncomingMessage | undefined,
  name: string,
  token: string | undefined,
): SignInRequest {
  const headers = req?.headers ?? {}
  let url: URL
  try {
    url = new URL(originalUrl(req) ?? '/', `http://${headers.host ?? 'localhost'}`)
  } catch {
    url = new URL(originalUrl(req) ?? '/', 'http://localhost')
  }
  return { headers, cookies: parseCookies(headers.cookie), url, document: name, token }
}

/** Asks a sign-in about a request and turns its answer into an {@link Access}. */
export type SignInRule = (
  req: IncomingMessage | undefined,
  name: string,
  token: string | undefined,
) => Promise<Access>

/**
 * The {@link SignInRule} of an {@link Authenticate} hook (the library's, or `AUTH_CALLBACK_URL`'s
 * client): its yes becomes the access it grants, a `null` a 401 `sign_in_refused`, and a throw,
 * a rejection or an answer that is not a {@link SignedIn} a 503 `sign_in_unavailable`.
 */
export function hookSignIn(authenticate: Authenticate, log: Logger): SignInRule {
  return async (req, name, token) => {
    let answer: unknown
    try {
      answer = await authenticate(signInRequest(req, name, token))
    } catch (err) {
      log.warn({ err, doc: name }, 'sign-in failed: refused')
      return unavailable()
    }
    if (answer === null || answer === false || answer === undefined) {
      return {
        ok: false,
        status: statusOf('sign_in_refused'),
        code: 'sign_in_refused',
        message: 'the sign-in refused this request',
      }
    }
    const parsed = signedInSchema.safeParse(answer)
    if (!parsed.success) {
      log.error(
        {
          doc: name,
          problems: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
        },
        'sign-in answered something that is not { mode, subject, name?, color? }: refused',
      )
      return unavailable()
    }
    return signedInAccess(parsed.data)
  }
}

/** The access a {@link SignedIn} grants. */
export function signedInAccess(signedIn: z.infer<typeof signedInSchema>): Access {
  const subject = `sub:${signedIn.subject}`
  return {
    ok: true,
    mode: signedIn.mode,
    subject,
    ...(signedIn.name !== undefined
      ? {
          user: {
            name: signedIn.name,
            ...(signedIn.color ? { color: signedIn.color } : {}),
            subject,
          },
        }
      : {}),
  }
}

/** The refusal for a sign-in that could not answer. */
export function unavailable(): Access {
  return {
    ok: false,
    status: statusOf('sign_in_unavailable'),
    code: 'sign_in_unavailable',
    message: 'the sign-in could not answer; try again later',
  }
}

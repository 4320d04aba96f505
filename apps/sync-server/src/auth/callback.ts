import { createHash } from 'node:crypto'
import type { Logger } from '../log.js'
import { type SignedIn, type SignInRequest, signedInSchema } from './sign-in.js'

export interface CallbackOptions {
  /** The application's endpoint (`AUTH_CALLBACK_URL`). */
  url: string
  /** Request headers passed on, lowercase (`AUTH_CALLBACK_HEADERS`); never `cookie`. */
  headers: readonly string[]
  /** Cookies passed on (`AUTH_CALLBACK_COOKIES`); `*` for all. */
  cookies: readonly string[]
  /** An answer later than this is a failure. */
  timeoutMs: number
  /** How long an answer (yes or no) is reused; 0: never. */
  cacheMs: number
}

/** Answers remembered at once; beyond it the oldest is forgotten. */
const MAX_CACHED = 10_000
/** Largest answer read; a longer one is a failure. */
const MAX_ANSWER_BYTES = 16 * 1024

/** A failed sign-in check: the request is refused with 503 `sign_in_unavailable`. */
export class SignInUnavailableError extends Error {
  override readonly name = 'SignInUnavailableError'
}

type Answer = SignedIn | null
type Fetch = typeof globalThis.fetch

/**
 * `AUTH_CALLBACK_URL`: asks the application's service whether a request may open a document.
 * Tandem POSTs `{ "document": name, "token": token or null }` (JSON) with the request's allowed
 * headers and cookies; a 2xx answer `{ "mode", "subject", "name"?, "color"? }` lets it in as
 * that user, 401 or 403 refuses it. Anything else (no answer within the timeout, another
 * status, a redirect, a body that is not such an object) fails, and the request is refused:
 * never let through. Answers are cached per document, token, headers and cookies, for
 * `cacheMs`; identical checks in flight share one request.
 */
export class CallbackSignIn {
  readonly #options: CallbackOptions
  readonly #log: Logger
  readonly #fetch: Fetch
  readonly #headers: readonly string[]
  readonly #allCookies: boolean
  readonly #cookies: ReadonlySet<string>
  readonly #cache = new Map<string, { answer: Answer; untilMs: number }>()
  readonly #inflight = new Map<string, Promise<Answer>>()

  constructor(options: CallbackOptions, log: Logger, fetch: Fetch = globalThis.fetch) {
    this.#options = options
    this.#log = log
    this.#fetch = fetch
    this.#headers = options.headers.map((h) => h.toLowerCase()).filter((h) => h !== 'cookie')
    this.#allCookies = options.cookies.includes('*')
    this.#cookies = new Set(options.cookies)
  }

  /** The `authenticate` hook this check is: throws {@link SignInUnavailableError} on failure. */
  readonly authenticate = (request: SignInRequest): Promise<Answer> => {
    const headers: Record<string, string> = {}
    for (const name of this.#headers) {
      const value = request.headers[name]
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
    }
    const cookies = Object.entries(request.cookies)
      .filter(([name]) => this.#allCookies || this.#cookies.has(name))
      .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
      .join('; ')
    if (cookies) headers.cookie = cookies
    const body = JSON.stringify({ document: request.document, token: request.token ?? null })
    const key = createHash('sha256')
      .update(body)
      .update('\0')
      .update(JSON.stringify(headers))
      .digest('base64url')
    const nowMs = Date.now()
    const cached = this.#cache.get(key)
    if (cached && cached.untilMs > nowMs) return Promise.resolve(cached.answer)
    if (cached) this.#cache.delete(key)
    let asking = this.#inflight.get(key)
    if (!asking) {
      asking = this.#ask(headers, body, request.document).then((answer) => {
        this.#remember(key, answer)
        return answer
      })
      asking.finally(() => this.#inflight.delete(key)).catch(() => {})
      this.#inflight.set(key, asking)
    }
    return asking
  }

  #remember(key: string, answer: Answer): void {
    if (this.#options.cacheMs <= 0) return
    if (this.#cache.size >= MAX_CACHED) {
      const oldest = this.#cache.keys().next().value
      if (oldest !== undefined) this.#cache.delete(oldest)
    }
    this.#cache.set(key, { answer, untilMs: Date.now() + this.#options.cacheMs })
  }

  async #ask(headers: Record<string, string>, body: string, doc: string): Promise<Answer> {
    const signal = AbortSignal.timeout(this.#options.timeoutMs)
    const shown = new URL(this.#options.url).origin
    let response: Response
    try {
      response = await this.#fetch(this.#options.url, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', accept: 'application/json' },
        body,
        redirect: 'manual',
        signal,
      })
    } catch (err) {
      const timedOut = signal.aborted
      this.#log.warn(
        { err: timedOut ? undefined : err, url: shown, doc, timeoutMs: this.#options.timeoutMs },
        timedOut ? 'sign-in check timed out' : 'sign-in check could not be sent',
      )
      throw new SignInUnavailableError('the sign-in service did not answer')
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel()
      return null
    }
    if (response.status < 200 || response.status > 299) {
      await response.body?.cancel()
      this.#log.warn({ url: shown, doc, status: response.status }, 'sign-in check failed')
      throw new SignInUnavailableError(`the sign-in service answered ${response.status}`)
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(await readBounded(response, MAX_ANSWER_BYTES, signal))
    } catch (err) {
      this.#log.warn({ err, url: shown, doc }, 'sign-in check answered no JSON')
      throw new SignInUnavailableError('the sign-in service answered no JSON')
    }
    const answer = signedInSchema.safeParse(parsed)
    if (!answer.success) {
      this.#log.error(
        {
          url: shown,
          doc,
          problems: answer.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
        },
        'sign-in check answered something that is not { mode, subject, name?, color? }',
      )
      throw new SignInUnavailableError('the sign-in service answered an invalid body')
    }
    return answer.data
  }
}

/** The body of `response` as text, failing beyond `maxBytes`. */
async function readBounded(
  response: Response,
  maxBytes: number,
  signal: AbortSignal,
): Promise<string> {
  const reader = response.body?.getReader()
  if (!reader) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    signal.throwIfAborted()
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel()
      throw new Error(`the answer is larger than ${maxBytes} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

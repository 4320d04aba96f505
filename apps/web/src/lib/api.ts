/** An HTTP API request that failed: the server's `{ error, message }`, or a network failure. */
export class ApiError extends Error {
  constructor(
    message: string,
    /** The HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    /** The server's error code (`error`), or `network` / `bad-response`. */
    readonly code: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** "no such version" → "No such version." */
function sentence(text: string): string {
  const trimmed = text.trim()
  const capital = trimmed.charAt(0).toLocaleUpperCase() + trimmed.slice(1)
  return /[.!?…]$/.test(capital) ? capital : `${capital}.`
}

/** The base path of a document's API: the name is one percent-encoded path segment. */
export function docApiPath(apiUrl: string, name: string): string {
  return `${apiUrl}/api/docs/${encodeURIComponent(name)}`
}

/**
 * Calls the server's JSON API and resolves with the parsed body; a failure throws
 * {@link ApiError} (an abort throws the `AbortError` as it is). `token` is sent as
 * `Authorization: Bearer`.
 */
export async function apiRequest(
  fetchImpl: Fetch,
  url: string,
  init?: RequestInit,
  token: string | null = null,
): Promise<unknown> {
  let response: Response
  try {
    response = await fetchImpl(url, {
      ...init,
      headers: {
        accept: 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...init?.headers,
      },
    })
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err
    throw new ApiError('The server cannot be reached.', 0, 'network')
  }
  const body: unknown = await response.json().catch(() => null)
  if (!response.ok) {
    const message =
      isRecord(body) && typeof body.message === 'string' && body.message.trim() !== ''
        ? sentence(body.message)
        : `The server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}.`
    const code = isRecord(body) && typeof body.error === 'string' ? body.error : 'http'
    throw new ApiError(message, response.status, code)
  }
  return body
}

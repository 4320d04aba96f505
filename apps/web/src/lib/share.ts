import { ApiError, apiRequest, docApiPath, type Fetch, isRecord } from './api'
import { docPath } from './routes'

/** A view-only link's token and when it stops working. */
export interface ViewLink {
  readonly token: string
  readonly expiresAtMs: number
}

/** The address of document `name` on `origin`, carrying `token` when there is one. */
export function docUrl(origin: string, name: string, token: string | null = null): string {
  const path = docPath(name)
  return `${origin}${path}${token ? `?token=${encodeURIComponent(token)}` : ''}`
}

/** Reads `POST /api/docs/{name}/links`' answer, `{ view: { token, expiresAt } }`. */
export function parseViewLink(body: unknown): ViewLink {
  const view = isRecord(body) ? body.view : null
  const token = isRecord(view) && typeof view.token === 'string' ? view.token : ''
  const expiresAtMs =
    isRecord(view) && typeof view.expiresAt === 'string' ? Date.parse(view.expiresAt) : Number.NaN
  if (token === '' || !Number.isFinite(expiresAtMs)) {
    throw new ApiError('The server sent an unexpected answer.', 200, 'bad-response')
  }
  return { token, expiresAtMs }
}

/**
 * Asks the server for a view-only link to `name` (it needs edit access: `token` is the page's
 * own, if it has one).
 */
export async function createViewLink(
  apiUrl: string,
  name: string,
  token: string | null,
  fetchImpl: Fetch = fetch,
): Promise<ViewLink> {
  const body = await apiRequest(
    fetchImpl,
    `${docApiPath(apiUrl, name)}/links`,
    { method: 'POST' },
    token,
  )
  return parseViewLink(body)
}

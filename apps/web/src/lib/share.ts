import { ApiError, apiRequest, docApiPath, type Fetch, isRecord } from './api'
import { docPath } from './routes'

/** A view-only link's token and when it stops working. */
export interface ViewLink {
  readonly token: string
  readonly expiresAtMs: number
  /** The link's id on the server (to revoke it); `null` from a server that does not say. */
  readonly id: string | null
}

/** A document's share link as the server lists it (without its token). */
export interface ShareLink {
  readonly id: string
  /** What its holders appear as. */
  readonly name: string
  readonly mode: 'view' | 'edit'
  readonly createdAtMs: number
  readonly expiresAtMs: number
}

/** The address of document `name` on `origin`, carrying `token` when there is one. */
export function docUrl(origin: string, name: string, token: string | null = null): string {
  const path = docPath(name)
  return `${origin}${path}${token ? `?token=${encodeURIComponent(token)}` : ''}`
}

/** Reads `POST /api/docs/{name}/links`' answer, `{ link: { id, … }, view: { token, expiresAt } }`. */
export function parseViewLink(body: unknown): ViewLink {
  const view = isRecord(body) ? body.view : null
  const link = isRecord(body) ? body.link : null
  const id = isRecord(link) && typeof link.id === 'string' ? link.id : null
  const token = isRecord(view) && typeof view.token === 'string' ? view.token : ''
  const expiresAtMs =
    isRecord(view) && typeof view.expiresAt === 'string' ? Date.parse(view.expiresAt) : Number.NaN
  if (token === '' || !Number.isFinite(expiresAtMs)) {
    throw new ApiError('The server sent an unexpected answer.', 200, 'bad-response')
  }
  return { token, expiresAtMs, id }
}

const badResponse = () => new ApiError('The server sent an unexpected answer.', 200, 'bad-response')

/** Reads `GET /api/docs/{name}/links`' answer, `{ links: [{ id, name, mode, createdAt, expiresAt }] }`. */
export function parseLinks(body: unknown): ShareLink[] {
  const links = isRecord(body) ? body.links : null
  if (!Array.isArray(links)) throw badResponse()
  return links.map((link: unknown) => {
    if (!isRecord(link)) throw badResponse()
    const { id, name, mode, createdAt, expiresAt } = link
    const createdAtMs = typeof createdAt === 'string' ? Date.parse(createdAt) : Number.NaN
    const expiresAtMs = typeof expiresAt === 'string' ? Date.parse(expiresAt) : Number.NaN
    if (
      typeof id !== 'string' ||
      typeof name !== 'string' ||
      (mode !== 'view' && mode !== 'edit') ||
      !Number.isFinite(createdAtMs) ||
      !Number.isFinite(expiresAtMs)
    ) {
      throw badResponse()
    }
    return { id, name, mode, createdAtMs, expiresAtMs }
  })
}

/** The document's active share links (it needs edit access: `token` is the page's own). */
export async function listLinks(
  apiUrl: string,
  name: string,
  token: string | null,
  fetchImpl: Fetch = fetch,
): Promise<ShareLink[]> {
  return parseLinks(await apiRequest(fetchImpl, `${docApiPath(apiUrl, name)}/links`, {}, token))
}

/**
 * Revokes share link `id` of `name`: its token stops working and its holders are disconnected
 * (it needs edit access).
 */
export async function revokeLink(
  apiUrl: string,
  name: string,
  id: string,
  token: string | null,
  fetchImpl: Fetch = fetch,
): Promise<void> {
  await apiRequest(
    fetchImpl,
    `${docApiPath(apiUrl, name)}/links/${encodeURIComponent(id)}`,
    { method: 'DELETE' },
    token,
  )
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

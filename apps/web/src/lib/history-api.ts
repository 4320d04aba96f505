import type { VersionKind } from '@tandem/protocol'
import { ApiError, apiRequest, docApiPath, type Fetch, isRecord } from './api'
import { type Author, parseAuthor } from './attribution-api'

export type { VersionKind }

/** A stored version of a document, as the history list shows it. */
export interface Version {
  readonly id: string
  readonly createdAtMs: number
  /** The name given when it was saved, if any. */
  readonly label: string | null
  readonly kind: VersionKind
  /** Display names of the people who were editing. */
  readonly authors: readonly string[]
  /**
   * Who changed the text since the previous version, as the server attests it; empty when the
   * server records no attribution.
   */
  readonly changedBy: readonly Author[]
  /** Length of its text, in UTF-16 code units. */
  readonly textLength: number
}

const kinds: ReadonlySet<string> = new Set<VersionKind>(['auto', 'named', 'restore', 'import'])

function timeOf(raw: Record<string, unknown>): number | null {
  if (typeof raw.createdAtMs === 'number' && Number.isFinite(raw.createdAtMs))
    return raw.createdAtMs
  if (typeof raw.createdAt === 'string') {
    const ms = Date.parse(raw.createdAt)
    if (Number.isFinite(ms)) return ms
  }
  if (typeof raw.createdAt === 'number' && Number.isFinite(raw.createdAt)) return raw.createdAt
  return null
}

/**
 * Reads one version from the API's JSON, or `null` when it lacks an id or a time. Takes the
 * time from `createdAtMs` (milliseconds) or `createdAt` (ISO text or milliseconds); an unknown
 * kind reads as `auto`, so a newer server's kinds still list.
 */
export function parseVersion(raw: unknown): Version | null {
  if (!isRecord(raw)) return null
  const id = typeof raw.id === 'string' || typeof raw.id === 'number' ? String(raw.id) : null
  const createdAtMs = timeOf(raw)
  if (id === null || id === '' || createdAtMs === null) return null
  const label = typeof raw.label === 'string' && raw.label.trim() !== '' ? raw.label : null
  const kind =
    typeof raw.kind === 'string' && kinds.has(raw.kind) ? (raw.kind as VersionKind) : 'auto'
  const authors = Array.isArray(raw.authors)
    ? raw.authors.filter((name): name is string => typeof name === 'string' && name.trim() !== '')
    : []
  const changedBy = Array.isArray(raw.changedBy)
    ? raw.changedBy.map(parseAuthor).filter((author) => author !== null)
    : []
  const textLength =
    typeof raw.textLength === 'number' && Number.isFinite(raw.textLength) ? raw.textLength : 0
  return { id, createdAtMs, label, kind, authors, changedBy, textLength }
}

/** Reads the list answer `{ versions: [...] }`, newest first whatever order it came in. */
export function parseVersionList(body: unknown): Version[] {
  const list = isRecord(body) && Array.isArray(body.versions) ? body.versions : null
  if (list === null)
    throw new ApiError('The server sent an unexpected answer.', 200, 'bad-response')
  return list
    .map(parseVersion)
    .filter((version): version is Version => version !== null)
    .sort((a, b) => b.createdAtMs - a.createdAtMs)
}

/** Reads `{ version, text }`. */
export function parseVersionText(body: unknown): { version: Version; text: string } {
  const version = isRecord(body) ? parseVersion(body.version) : null
  if (!isRecord(body) || version === null || typeof body.text !== 'string') {
    throw new ApiError('The server sent an unexpected answer.', 200, 'bad-response')
  }
  return { version, text: body.text }
}

/** Version history of one document over the server's HTTP API. */
export interface HistoryApi {
  list(signal?: AbortSignal): Promise<Version[]>
  create(label: string): Promise<Version | null>
  get(id: string, signal?: AbortSignal): Promise<{ version: Version; text: string }>
  restore(id: string): Promise<void>
}

/**
 * `apiUrl` is the server's HTTP base URL without a trailing slash ('' for the page's own);
 * `token`, when the page has one, goes along as `Authorization: Bearer`.
 */
export function historyApi(
  apiUrl: string,
  name: string,
  fetchImpl: Fetch = fetch,
  token: string | null = null,
): HistoryApi {
  const base = `${docApiPath(apiUrl, name)}/versions`
  const request = (url: string, init?: RequestInit) => apiRequest(fetchImpl, url, init, token)
  return {
    list: async (signal) => parseVersionList(await request(base, { signal: signal ?? null })),
    create: async (label) => {
      const body = await request(base, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ label }),
      })
      return parseVersion(isRecord(body) && 'version' in body ? body.version : body)
    },
    get: async (id, signal) =>
      parseVersionText(
        await request(`${base}/${encodeURIComponent(id)}`, { signal: signal ?? null }),
      ),
    restore: async (id) => {
      await request(`${base}/${encodeURIComponent(id)}/restore`, { method: 'POST' })
    },
  }
}

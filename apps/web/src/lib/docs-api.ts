import { ApiError, apiRequest, type Fetch, isRecord } from './api'

/** A stored document, as the home page lists it. */
export interface DocSummary {
  readonly name: string
  /** When it last changed, in milliseconds since the epoch. */
  readonly updatedAtMs: number
  /** Open connections to it on the server that answered. */
  readonly connected: number
}

/** Reads `GET /api/docs`' answer, newest first; unreadable entries are skipped. */
export function parseDocList(body: unknown): DocSummary[] {
  const list = isRecord(body) && Array.isArray(body.documents) ? body.documents : null
  if (list === null) {
    throw new ApiError('The server sent an unexpected answer.', 200, 'bad-response')
  }
  const docs: DocSummary[] = []
  for (const raw of list as unknown[]) {
    if (!isRecord(raw) || typeof raw.name !== 'string' || raw.name === '') continue
    const updatedAtMs = typeof raw.updatedAt === 'string' ? Date.parse(raw.updatedAt) : Number.NaN
    if (!Number.isFinite(updatedAtMs)) continue
    const connected =
      typeof raw.connected === 'number' && Number.isInteger(raw.connected) && raw.connected > 0
        ? raw.connected
        : 0
    docs.push({ name: raw.name, updatedAtMs, connected })
  }
  return docs.sort((a, b) => b.updatedAtMs - a.updatedAtMs || a.name.localeCompare(b.name))
}

/** Every stored document, newest first. */
export async function listDocs(
  apiUrl: string,
  signal?: AbortSignal,
  fetchImpl: Fetch = fetch,
): Promise<DocSummary[]> {
  return parseDocList(await apiRequest(fetchImpl, `${apiUrl}/api/docs`, { signal: signal ?? null }))
}

/**
 * The documents whose name contains every word of `query`, ignoring case and accents; all of
 * them for a blank query.
 */
export function filterDocs<T extends { readonly name: string }>(
  docs: readonly T[],
  query: string,
): readonly T[] {
  const words = fold(query).split(/\s+/).filter(Boolean)
  if (words.length === 0) return docs
  return docs.filter((doc) => {
    const name = fold(doc.name)
    return words.every((word) => name.includes(word))
  })
}

function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLocaleLowerCase()
}

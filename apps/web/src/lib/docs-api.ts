import type { DeletedJson } from '@tandem/protocol'
import { ApiError, apiRequest, docApiPath, type Fetch, isRecord } from './api'

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

/** Documents asked for per page, and pages read at most (the server pages by name). */
const PAGE_SIZE = 500
const MAX_PAGES = 20

/**
 * The stored documents, newest first: the server's pages read one after another (by name, at
 * most {@link MAX_PAGES} of {@link PAGE_SIZE}: the home page sorts by date, which needs them
 * together).
 */
export async function listDocs(
  apiUrl: string,
  signal?: AbortSignal,
  fetchImpl: Fetch = fetch,
): Promise<DocSummary[]> {
  const docs: DocSummary[] = []
  let cursor: string | null = null
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) })
    if (cursor !== null) query.set('cursor', cursor)
    const body = await apiRequest(fetchImpl, `${apiUrl}/api/docs?${query}`, {
      signal: signal ?? null,
    })
    docs.push(...parseDocList(body))
    cursor = isRecord(body) && typeof body.nextCursor === 'string' ? body.nextCursor : null
    if (cursor === null) break
  }
  return docs.sort((a, b) => b.updatedAtMs - a.updatedAtMs || a.name.localeCompare(b.name))
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

/** What the server answered to a deletion: the name and the days it stays in the trash. */
export type DeletedDoc = Readonly<Pick<DeletedJson, 'name' | 'retentionDays'>>

const jsonPost = (body?: unknown): RequestInit => ({
  method: 'POST',
  ...(body === undefined
    ? {}
    : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
})

/** Moves `name` to the server's trash (`DELETE /api/docs/{name}`). */
export async function deleteDoc(
  apiUrl: string,
  name: string,
  fetchImpl: Fetch = fetch,
): Promise<DeletedDoc> {
  const body = await apiRequest(fetchImpl, docApiPath(apiUrl, name), { method: 'DELETE' })
  const days = isRecord(body) ? body.retentionDays : undefined
  return {
    name,
    retentionDays: typeof days === 'number' && Number.isInteger(days) && days > 0 ? days : 30,
  }
}

/** Gives `name` the name `to` (`POST /api/docs/{name}/rename`). */
export async function renameDoc(
  apiUrl: string,
  name: string,
  to: string,
  fetchImpl: Fetch = fetch,
): Promise<void> {
  await apiRequest(fetchImpl, `${docApiPath(apiUrl, name)}/rename`, jsonPost({ to }))
}

/** Brings the most recently deleted `name` back from the trash. */
export async function restoreDoc(
  apiUrl: string,
  name: string,
  fetchImpl: Fetch = fetch,
): Promise<void> {
  await apiRequest(fetchImpl, `${apiUrl}/api/trash/${encodeURIComponent(name)}/restore`, jsonPost())
}

/** What the user tried to do with a document, for {@link describeDocChangeError}. */
export type DocChange =
  | { kind: 'delete'; name: string }
  | { kind: 'rename'; name: string; to: string }
  | { kind: 'restore'; name: string }

/** Why the server refused `change`, as a sentence that says what to do about it. */
export function describeDocChangeError(err: unknown, change: DocChange): string {
  const code = err instanceof ApiError ? err.code : null
  const name = `“${change.name}”`
  switch (code) {
    case 'document_open':
      return `${name} is open in another tab or by someone else. Close it there first, then ${change.kind} it.`
    case 'name_taken':
      return change.kind === 'rename'
        ? `A document named “${change.to}” already exists or is open. Choose another name.`
        : `A document named ${name} exists again. Rename or delete it first, then restore this one.`
    case 'not_found':
      return change.kind === 'restore'
        ? `${name} is no longer in the trash.`
        : `${name} no longer exists on the server.`
    case 'read_only':
    case 'token_required':
    case 'admin_key_required':
      return `This server does not let you ${change.kind} documents from here.`
    default:
      return err instanceof Error ? err.message : String(err)
  }
}

import { type DeletedJson, nameMatcher } from '@tandem/protocol'
import { ApiError, apiRequest, docApiPath, type Fetch, isRecord } from './api'

/** A stored document, as the home page lists it. */
export interface DocSummary {
  readonly name: string
  /** When it last changed, in milliseconds since the epoch. */
  readonly updatedAtMs: number
  /** Open connections to it on the server that answered. */
  readonly connected: number
}

/** Documents as the server pages them: by name, with where the next page starts. */
export interface DocPage {
  readonly docs: readonly DocSummary[]
  /** The `cursor` of the next page; `null` after the last. */
  readonly nextCursor: string | null
}

/** Reads a page of `GET /api/docs`, in the server's order (by name); unreadable entries are skipped. */
export function parseDocPage(body: unknown): DocPage {
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
  const nextCursor = isRecord(body) && typeof body.nextCursor === 'string' ? body.nextCursor : null
  return { docs, nextCursor }
}

/** The most documents one request asks for (the server's bound). */
const MAX_PAGE_LIMIT = 500

/**
 * The most requests one {@link readDocs} makes. With a filter, each request reads at most 5,000
 * names on the server, so this covers 100,000 documents before the user is asked to go on.
 */
export const MAX_REQUESTS_PER_READ = 20

/** What {@link readDocs} reads. */
export interface DocListRead {
  /** The filter (`q`); blank for every document. */
  readonly query: string
  /** Where to start (a page's `nextCursor`); from the first document if `null`. */
  readonly cursor: string | null
  /**
   * When to stop: once it has `docs` documents, or once it has read on to `through` (the name a
   * list shown before ended at, to read that range again; `null`: to the end).
   */
  readonly until: { readonly docs: number } | { readonly through: string | null }
  /** Documents asked for per request, at most 500. */
  readonly limit: number
}

/**
 * Reads the server's documents by name from `read.cursor` on, a page after another, until
 * `read.until`, the last page, or {@link MAX_REQUESTS_PER_READ} requests: with a filter a page
 * may hold fewer documents than asked for, even none, since the server reads a bounded number
 * of names per request.
 */
export async function readDocs(
  apiUrl: string,
  read: DocListRead,
  signal?: AbortSignal,
  fetchImpl: Fetch = fetch,
): Promise<DocPage> {
  const docs: DocSummary[] = []
  let cursor = read.cursor
  const q = read.query.trim()
  for (let requests = 0; requests < MAX_REQUESTS_PER_READ; requests++) {
    const wanted = 'docs' in read.until ? read.until.docs - docs.length : read.limit
    const limit = Math.max(1, Math.min(MAX_PAGE_LIMIT, read.limit, wanted))
    const params = new URLSearchParams({ limit: String(limit) })
    if (q !== '') params.set('q', q)
    if (cursor !== null) params.set('cursor', cursor)
    const page = parseDocPage(
      await apiRequest(fetchImpl, `${apiUrl}/api/docs?${params}`, { signal: signal ?? null }),
    )
    docs.push(...page.docs)
    cursor = page.nextCursor
    if (cursor === null) break
    if ('docs' in read.until ? docs.length >= read.until.docs : reached(cursor, read.until.through))
      break
  }
  return { docs, nextCursor: cursor }
}

/** Whether a read that got to `cursor` has read on to `through` (code-point order, the server's). */
function reached(cursor: string, through: string | null): boolean {
  return through !== null && compareNames(cursor, through) >= 0
}

/** Orders names by code point, as the server does (UTF-16 order differs past U+FFFF). */
export function compareNames(a: string, b: string): number {
  const x = [...a]
  const y = [...b]
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!
    if (d !== 0) return d
  }
  return x.length - y.length
}

/**
 * The documents whose name contains every word of `query`, ignoring case and accents, as the
 * server's `q` matches them; all of them for a blank query.
 */
export function filterDocs<T extends { readonly name: string }>(
  docs: readonly T[],
  query: string,
): readonly T[] {
  const match = nameMatcher(query)
  return match === null ? docs : docs.filter((doc) => match(doc.name))
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

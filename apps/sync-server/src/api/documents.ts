import {
  type DeletedJson,
  type DocumentListJson,
  type ImportedJson,
  MAX_NAME_QUERY_LENGTH,
  type NamedJson,
  nameMatcher,
  TEXT_NAME,
  validateDocName,
} from '@tandem/protocol'
import { MAX_LIST_LIMIT } from '../persistence/list-page.js'
import type { DocumentInfo } from '../persistence/store.js'
import { isEmptyUpdate, loadDocState } from '../rooms/doc-state.js'
import { DocumentOpenError } from '../rooms/rooms.js'
import { apiAuthor, type Context, versionJson } from './context.js'
import { ApiError } from './errors.js'
import { expectContentType, readJsonObject, readText, sendJson, sendText } from './http.js'

const DAY_MS = 24 * 60 * 60 * 1000
/** Largest JSON body, in bytes. */
const MAX_JSON_BYTES = 64 * 1024

/** How many documents a page of `GET /api/docs` holds without `limit`. */
const DEFAULT_PAGE_LIMIT = 100

/** The most names a page of `GET /api/docs?q=` reads before it answers with what it found. */
export const LIST_SCAN_NAMES = 5000

/**
 * `GET /api/docs?cursor=&limit=&prefix=&q=`: one page of the stored documents, by name
 * (code-point order), the names starting with `prefix`; `nextCursor` asks for the next page. One
 * index range of the store per request, however many documents are stored. With `q`, the names
 * that {@link nameMatcher} matches, found by reading at most {@link LIST_SCAN_NAMES} names: the
 * page may then hold fewer than `limit`, even none, and still have a next one.
 */
export async function listDocuments({ req, res, deps }: Context): Promise<void> {
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams
  const limitParam = query.get('limit')
  const limit = limitParam === null ? DEFAULT_PAGE_LIMIT : Number(limitParam)
  if (!/^\d+$/.test(limitParam ?? '1') || !(limit >= 1 && limit <= MAX_LIST_LIMIT)) {
    throw new ApiError('invalid_query', `limit must be an integer from 1 to ${MAX_LIST_LIMIT}`)
  }
  const q = query.get('q') ?? ''
  if (q.length > MAX_NAME_QUERY_LENGTH) {
    throw new ApiError('invalid_query', `q must be at most ${MAX_NAME_QUERY_LENGTH} characters`)
  }
  const cursor = query.get('cursor') || undefined
  const prefix = query.get('prefix') || undefined
  const match = nameMatcher(q)
  let documents: DocumentInfo[]
  let nextCursor: string | null
  let scanned: number | undefined
  if (match === null) {
    documents = await deps.store.list({ after: cursor, limit, prefix })
    // A full page may be the last: the next one is then empty.
    nextCursor = documents.length === limit ? documents.at(-1)!.name : null
  } else {
    const found = await deps.store.scan({
      after: cursor,
      limit,
      prefix,
      match,
      scan: LIST_SCAN_NAMES,
    })
    documents = found.documents
    nextCursor = found.next
    scanned = found.scanned
  }
  const connected = await Promise.all(
    documents.map((d) =>
      deps.rooms.get(d.name).then(
        (room) => room?.size ?? 0,
        () => 0,
      ),
    ),
  )
  sendJson(res, 200, {
    documents: documents.map((d, i) => ({
      name: d.name,
      updatedAt: new Date(d.updatedAtMs).toISOString(),
      storedBytes: d.storedBytes,
      // Connections to this server; with several servers, each counts its own.
      connected: connected[i] ?? 0,
    })),
    nextCursor,
    ...(scanned === undefined ? {} : { scanned }),
  } satisfies DocumentListJson)
}

/**
 * `POST /api/compact`: folds every stored document's log into one snapshot now, one document at
 * a time (each through its room, so edits carry on meanwhile), reading the list a page at a time.
 */
export async function compactAll({ res, deps }: Context): Promise<void> {
  let count = 0
  let after: string | undefined
  for (;;) {
    const page = await deps.store.list({ after, limit: MAX_LIST_LIMIT })
    for (const { name } of page) await deps.rooms.use(name, (room) => room.compact())
    count += page.length
    if (page.length < MAX_LIST_LIMIT) break
    after = page.at(-1)!.name
  }
  sendJson(res, 200, { ok: true, documents: count })
}

/**
 * `GET /api/docs/{name}/text`: the current text; 404 for a document never stored. Read from the
 * room when this server has the document open, else from the store; either way folded at most
 * once per change (see {@link TextCache}).
 */
export async function getText({ res, deps, name, texts }: Context): Promise<void> {
  const room = await deps.rooms.get(name)?.catch(() => undefined)
  if (room && room.lastSeq > 0) {
    const seq = room.lastSeq
    let text = texts.get(name, seq)
    if (text === undefined) {
      text = await room.text(deps.folder, TEXT_NAME)
      texts.set(name, seq, text)
    }
    sendText(res, text)
    return
  }
  const seq = (await deps.store.lastSeqs([name])).get(name)
  if (seq === undefined) throw new ApiError('not_found', 'no such document')
  const cached = texts.get(name, seq)
  if (cached !== undefined) {
    sendText(res, cached)
    return
  }
  // Folded as the room folds it (off the event loop when it can be), so the API reads exactly
  // what clients are served.
  const state = await loadDocState(deps.store, name, deps.log)
  if (!state) throw new ApiError('not_found', 'no such document')
  let text: string
  try {
    text = await state.text(deps.folder, TEXT_NAME)
  } catch {
    throw new ApiError('document_corrupt', 'the stored document does not decode')
  }
  texts.set(name, state.lastSeq, text)
  sendText(res, text)
}

/**
 * `PUT /api/docs/{name}/text`: replaces the text with the body, as one edit made by the server
 * that connected clients receive live. The text before is saved first as an `import` version
 * (unless the document was empty), so the import can be undone by restoring it.
 */
export async function putText(ctx: Context): Promise<void> {
  expectContentType(ctx.req, 'text/plain')
  const text = await readText(ctx.req, ctx.maxBodyBytes)
  const version = await ctx.change(async (room) => {
    const saved = room.isEmpty ? null : await room.history.save('import')
    // Computed off the event loop for a large document; applied as any peer's edit.
    const update = await room.replaceText(text)
    if (!isEmptyUpdate(update)) {
      await room.applyUpdate(update, apiAuthor(ctx.access))
      if (ctx.access?.user) room.history.addAuthor(ctx.access.user.name)
    }
    return saved?.version ?? null
  })
  ctx.log.info({ textLength: text.length, version: version?.id }, 'text imported')
  sendJson(ctx.res, 200, {
    ok: true,
    textLength: text.length,
    version: version && versionJson(version),
  } satisfies ImportedJson)
}

/**
 * `DELETE /api/docs/{name}`: moves the document (its log, snapshot and versions) to the trash,
 * where it stays restorable for `trashRetentionDays`; the name is free at once. Refused with
 * `document_open` while anyone is connected to it.
 */
export async function deleteDocument(ctx: Context): Promise<void> {
  const deletedAtMs = Date.now()
  const trashed = await ctx.unloaded([], () => ctx.deps.store.trash(ctx.name, deletedAtMs))
  ctx.texts.delete(ctx.name)
  if (!trashed) throw new ApiError('not_found', 'no such document')
  const retentionDays = ctx.deps.trashRetentionDays ?? 30
  ctx.log.info({ retentionDays }, 'document moved to the trash')
  sendJson(ctx.res, 200, {
    ok: true,
    name: ctx.name,
    deletedAt: new Date(deletedAtMs).toISOString(),
    purgeAt: new Date(deletedAtMs + retentionDays * DAY_MS).toISOString(),
    retentionDays,
  } satisfies DeletedJson)
}

/**
 * `POST /api/docs/{name}/rename` with `{ "to": "new name" }`: the document's log, snapshot and
 * versions move to the new name in one transaction. Refused with `document_open` while anyone
 * is connected to it, and with `name_taken` if a document of the new name is stored or open.
 */
export async function renameDocument(ctx: Context): Promise<void> {
  expectContentType(ctx.req, 'application/json')
  const body = await readJsonObject(ctx.req, Math.min(MAX_JSON_BYTES, ctx.maxBodyBytes))
  if (typeof body.to !== 'string') {
    throw new ApiError('invalid_body', 'the body must be { "to": "the new name" }')
  }
  const checked = validateDocName(body.to)
  if (!checked.ok) throw new ApiError('invalid_name', `invalid new name: ${checked.problem}`)
  const to = checked.name
  if (to === ctx.name) throw new ApiError('name_taken', 'the document already has that name')
  // The target is a document too: the request must be allowed to edit it.
  await ctx.authorizeOther(to, 'edit')
  let outcome: Awaited<ReturnType<typeof ctx.deps.store.rename>>
  try {
    outcome = await ctx.unloaded([to], () => ctx.deps.store.rename(ctx.name, to))
  } catch (err) {
    if (err instanceof DocumentOpenError && err.doc === to) {
      throw new ApiError('name_taken', 'a document of that name is open')
    }
    throw err
  }
  ctx.texts.delete(ctx.name)
  ctx.texts.delete(to)
  if (outcome === 'not_found') throw new ApiError('not_found', 'no such document')
  if (outcome === 'name_taken') throw new ApiError('name_taken', 'a document of that name exists')
  ctx.log.info({ to }, 'document renamed')
  sendJson(ctx.res, 200, { ok: true, name: to } satisfies NamedJson)
}

import { type AttributionAuthor, TEXT_NAME } from '@tandem/protocol'
import { loadDocState } from '../rooms/doc-state.js'
import type { Context } from './context.js'
import { ApiError } from './errors.js'
import { sendJson } from './http.js'

/**
 * Who wrote what (SPEC B, docs/API.md "Attribution"): the attribution the store keeps, and the
 * document read from the room when this server has it open, else from the store.
 */

/** The document's state as a room would hold it, for a read: open here, or loaded for once. */
async function documentOf(ctx: Context) {
  const { deps, name } = ctx
  const room = await deps.rooms.get(name)?.catch(() => undefined)
  if (room && room.lastSeq > 0) {
    return {
      state: () => room.state(),
      attributed: (records: Parameters<typeof room.attributed>[0]) => room.attributed(records),
    }
  }
  const state = await loadDocState(deps.store, name, deps.log).catch(() => {
    throw new ApiError('document_corrupt', 'the stored document does not decode')
  })
  if (!state) throw new ApiError('not_found', 'no such document')
  state.keepDeleted = true
  return {
    state: () => state.stateOff(deps.folder),
    attributed: (records: Parameters<typeof state.attributed>[2]) =>
      state.attributed(deps.folder, TEXT_NAME, records),
  }
}

function authorJson(author: AttributionAuthor): AttributionAuthor {
  return {
    id: author.id,
    name: author.name,
    verified: author.verified,
    ...(author.color ? { color: author.color } : {}),
  }
}

/**
 * `GET /api/docs/{name}/attribution`: the text and who wrote each span of it; with
 * `?view=ids`, the records themselves (by Yjs ids), for a client to attribute its own copy.
 */
export async function getAttribution(ctx: Context): Promise<void> {
  const { req, res, deps, name } = ctx
  const view = new URL(req.url ?? '/', 'http://localhost').searchParams.get('view')
  if (view !== null && view !== 'ids' && view !== 'text') {
    throw new ApiError('invalid_query', 'view must be ids or text')
  }
  const enabled = deps.attribution !== false
  const doc = await documentOf(ctx)
  const { authors, records } = await deps.store.loadAttribution(name)
  if (view === 'ids') {
    sendJson(res, 200, { enabled, authors: authors.map(authorJson), records })
    return
  }
  const byId = new Map(authors.map((a) => [a.id, authorJson(a)]))
  const { text, spans } = await doc.attributed(records)
  sendJson(res, 200, {
    enabled,
    text,
    spans: spans.map((s) => ({
      from: s.from,
      to: s.to,
      author: s.author === null ? null : (byId.get(s.author) ?? null),
      time: s.timeMs === null ? null : new Date(s.timeMs).toISOString(),
    })),
    authors: authors.map(authorJson),
  })
}

/**
 * `GET /api/docs/{name}/timeline`: what a client needs to play the document's history back:
 * the records, their authors, and the whole state with deleted content kept (base64).
 */
export async function getTimeline(ctx: Context): Promise<void> {
  const { res, deps, name } = ctx
  const doc = await documentOf(ctx)
  const { authors, records } = await deps.store.loadAttribution(name)
  const state = await doc.state()
  sendJson(res, 200, {
    enabled: deps.attribution !== false,
    keepsDeletedText: deps.keepDeletedText ?? deps.attribution !== false,
    authors: authors.map(authorJson),
    records,
    state: Buffer.from(state.buffer, state.byteOffset, state.byteLength).toString('base64'),
  })
}

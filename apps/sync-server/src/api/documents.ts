import { isEmptyUpdate } from '../rooms/doc-state.js'
import { textOf, updateReplacingText } from '../rooms/text.js'
import { type Context, storedState, versionJson } from './context.js'
import { ApiError } from './errors.js'
import { expectContentType, readText, sendJson, sendText } from './http.js'

/** `GET /api/docs`: every stored document, most recently changed first. */
export async function listDocuments({ res, deps }: Context): Promise<void> {
  const documents = await deps.store.list()
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
      connected: connected[i],
    })),
  })
}

/**
 * `POST /api/compact`: folds every stored document's log into one snapshot now, one document at
 * a time (each through its room, so edits carry on meanwhile).
 */
export async function compactAll({ res, deps }: Context): Promise<void> {
  const documents = await deps.store.list()
  for (const { name } of documents) await deps.rooms.use(name, (room) => room.compact())
  sendJson(res, 200, { ok: true, documents: documents.length })
}

/** `GET /api/docs/{name}/text`: the current text; 404 for a document never stored. */
export async function getText({ res, deps, name }: Context): Promise<void> {
  const state = await storedState(deps.store, name)
  if (state === null) throw new ApiError('not_found', 'no such document')
  sendText(res, textOf(state))
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
    const saved = isEmptyUpdate(room.update) ? null : await room.history.save('import')
    const update = updateReplacingText(room.update, text)
    if (!isEmptyUpdate(update)) {
      await room.applyUpdate(update, ctx.access?.user?.name)
      if (ctx.access?.user) room.history.addAuthor(ctx.access.user.name)
    }
    return saved?.version ?? null
  })
  ctx.log.info({ textLength: text.length, version: version?.id }, 'text imported')
  sendJson(ctx.res, 200, {
    ok: true,
    textLength: text.length,
    version: version && versionJson(version),
  })
}

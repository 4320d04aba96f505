import type { NamedJson, TrashListJson } from '@tandem/protocol'
import { DocumentOpenError } from '../rooms/rooms.js'
import type { Context } from './context.js'
import { ApiError } from './errors.js'
import { sendJson } from './http.js'

const DAY_MS = 24 * 60 * 60 * 1000

/** `GET /api/trash`: the deleted documents that can still be restored, most recently deleted first. */
export async function listTrash({ res, deps }: Context): Promise<void> {
  const retentionMs = (deps.trashRetentionDays ?? 30) * DAY_MS
  const trashed = await deps.store.listTrash()
  sendJson(res, 200, {
    documents: trashed.map((t) => ({
      name: t.name,
      deletedAt: new Date(t.deletedAtMs).toISOString(),
      purgeAt: new Date(t.deletedAtMs + retentionMs).toISOString(),
      updatedAt: new Date(t.updatedAtMs).toISOString(),
      storedBytes: t.storedBytes,
    })),
  } satisfies TrashListJson)
}

/**
 * `POST /api/trash/{name}/restore`: brings the most recently deleted document of that name back,
 * with its versions; `name_taken` if the name is in use again.
 */
export async function restoreFromTrash(ctx: Context): Promise<void> {
  let outcome: Awaited<ReturnType<typeof ctx.deps.store.restore>>
  try {
    outcome = await ctx.unloaded([], () => ctx.deps.store.restore(ctx.name))
    ctx.texts.delete(ctx.name)
  } catch (err) {
    // Someone opened the (empty) name since: it is in use.
    if (err instanceof DocumentOpenError) {
      throw new ApiError('name_taken', 'a document of that name is open')
    }
    throw err
  }
  if (outcome === 'not_found') throw new ApiError('not_found', 'no such document in the trash')
  if (outcome === 'name_taken') throw new ApiError('name_taken', 'a document of that name exists')
  ctx.log.info('document restored from the trash')
  sendJson(ctx.res, 200, { ok: true, name: ctx.name } satisfies NamedJson)
}

import {
  type RestoredJson,
  TEXT_NAME,
  type VersionJson,
  type VersionListJson,
  type VersionTextJson,
} from '@tandem/protocol'
import { isEmptyUpdate, textOfState } from '../rooms/doc-state.js'
import { apiAuthor, type Context, versionJson } from './context.js'
import { ApiError } from './errors.js'
import { expectContentType, readJsonObject, sendJson } from './http.js'

/** Longest label, in code points. */
const MAX_LABEL_CHARS = 200
/** Largest JSON body, in bytes. */
const MAX_JSON_BYTES = 64 * 1024
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u

/**
 * `GET /api/docs/{name}/versions`: newest first, without content; each with who changed the
 * document since the version before it, by the attribution records' times (SPEC B6).
 */
export async function listVersions({ res, deps, name }: Context): Promise<void> {
  const versions = await deps.store.listVersions(name)
  // Whether the document is stored, without reading all of it.
  if (versions.length === 0 && !(await deps.store.lastSeqs([name])).has(name)) {
    throw new ApiError('not_found', 'no such document')
  }
  const { authors, records } = await deps.store.loadAttribution(name)
  const byId = new Map(authors.map((a) => [a.id, a]))
  // Records are in the order stored, their times growing (a window each): one pass, oldest first.
  const changedBy = new Map<number, VersionJson['changedBy']>()
  let r = 0
  for (const version of [...versions].reverse()) {
    const ids = new Set<number>()
    while (r < records.length && records[r]!.timeMs <= version.createdAtMs) {
      ids.add(records[r]!.author)
      r++
    }
    changedBy.set(
      version.id,
      [...ids].flatMap((id) => {
        const a = byId.get(id)
        return a
          ? [{ id, name: a.name, verified: a.verified, ...(a.color ? { color: a.color } : {}) }]
          : []
      }),
    )
  }
  sendJson(res, 200, {
    versions: versions.map((v) => ({ ...versionJson(v), changedBy: changedBy.get(v.id) ?? [] })),
  } satisfies VersionListJson)
}

/** `POST /api/docs/{name}/versions` with `{ "label": "..." }`: a named version of the text now. */
export async function createVersion(ctx: Context): Promise<void> {
  expectContentType(ctx.req, 'application/json')
  const body = await readJsonObject(ctx.req, Math.min(MAX_JSON_BYTES, ctx.maxBodyBytes))
  const label = typeof body.label === 'string' ? body.label.trim() : null
  if (
    label === null ||
    label === '' ||
    [...label].length > MAX_LABEL_CHARS ||
    CONTROL.test(label)
  ) {
    throw new ApiError(
      'invalid_label',
      `label must be 1–${MAX_LABEL_CHARS} characters of text without control characters`,
    )
  }
  const saved = await ctx.change(async (room) => {
    // Nothing stored yet (reading `room.update` instead would fold the whole document here,
    // on the event loop, before the history folds it again in a worker).
    if (room.lastSeq === 0) throw new ApiError('not_found', 'no such document')
    return room.history.save('named', label)
  })
  ctx.log.info({ version: saved.version.id }, 'named version saved')
  sendJson(ctx.res, 201, { version: versionJson(saved.version) })
}

/** `GET /api/docs/{name}/versions/{id}`: the version and its text. */
export async function getVersion({ res, deps, name, id }: Context): Promise<void> {
  const version = await deps.store.loadVersion(name, id)
  if (!version) throw new ApiError('not_found', 'no such version')
  sendJson(res, 200, {
    version: versionJson(version),
    text: await textOfState(deps.folder, version.bytes, TEXT_NAME),
  } satisfies VersionTextJson)
}

/**
 * `POST /api/docs/{name}/versions/{id}/restore`: one edit by the server that makes the text equal
 * to the version's, which connected clients receive live. The text before is saved first as a
 * `restore` version, so restoring that one undoes this.
 */
export async function restoreVersion(ctx: Context): Promise<void> {
  const version = await ctx.deps.store.loadVersion(ctx.name, ctx.id)
  if (!version) throw new ApiError('not_found', 'no such version')
  const text = await textOfState(ctx.deps.folder, version.bytes, TEXT_NAME)
  const before = await ctx.change(async (room) => {
    const saved = await room.history.save('restore')
    // Computed off the event loop for a large document; applied as any peer's edit.
    const update = await room.replaceText(text)
    if (!isEmptyUpdate(update)) {
      await room.applyUpdate(update, apiAuthor(ctx.access))
      if (ctx.access?.user) room.history.addAuthor(ctx.access.user.name)
    }
    return saved.version
  })
  ctx.log.info({ restored: version.id, version: before.id }, 'version restored')
  sendJson(ctx.res, 200, {
    ok: true,
    version: versionJson(before),
    textLength: text.length,
  } satisfies RestoredJson)
}

import type { Context } from './context.js'
import { sendJson } from './http.js'

/** How long a view link works. */
const VIEW_LINK_TTL_SECONDS = 30 * 24 * 60 * 60

/**
 * `POST /api/docs/{name}/links`: a token for a view-only link to the document (needs `edit`
 * access, so only someone who may edit can hand out reading).
 */
export async function createLinks(ctx: Context): Promise<void> {
  const token = await ctx.deps.signer.sign({ doc: ctx.name, mode: 'view' }, VIEW_LINK_TTL_SECONDS)
  const expiresAt = new Date(Date.now() + VIEW_LINK_TTL_SECONDS * 1000).toISOString()
  sendJson(ctx.res, 201, { view: { token, expiresAt } })
}

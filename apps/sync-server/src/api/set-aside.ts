import { loadDocState } from '../rooms/doc-state.js'
import type { Context } from './context.js'
import { ApiError } from './errors.js'
import { sendJson } from './http.js'

/**
 * `GET /api/docs/{name}/set-aside` (admin): whether the stored document is quarantined (it does
 * not decode, so it is not served: close code 4422, `document_corrupt`), and the stored updates
 * kept apart because applying them threw, each with its bytes (base64). The document is folded
 * from the store as a room loads it, so what that fold sets aside is listed (and kept) too.
 */
export async function listSetAside({ res, deps, name, log }: Context): Promise<void> {
  let stored = false
  let quarantine: string | null = null
  try {
    const state = await loadDocState(deps.store, name, log)
    stored = state !== null
    // Folded and read off the event loop when the document is large.
    await state?.validateOff(deps.folder)
    await state?.recorded()
  } catch (err) {
    quarantine = err instanceof Error ? err.message : String(err)
  }
  const entries = await deps.store.listSetAside(name)
  if (!stored && entries.length === 0) throw new ApiError('not_found', 'no such document')
  sendJson(res, 200, {
    name,
    quarantined: quarantine !== null,
    quarantineReason: quarantine,
    setAside: entries.map((e) => ({
      seq: e.seq,
      kind: e.kind,
      bytes: e.bytes.length,
      reason: e.reason,
      setAsideAt: new Date(e.setAsideAtMs).toISOString(),
      data: Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.length).toString('base64'),
    })),
  })
}

import { recordSetAside } from '../persistence/set-aside.js'
import { DocState } from '../rooms/doc-state.js'
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
  const stored = await deps.store.load(name)
  let quarantine: string | null = null
  let recorded: Promise<void> = Promise.resolve()
  if (stored) {
    try {
      const state = new DocState(stored.snapshot, stored.updates, stored.lastSeq, {
        onSetAside: (entries) => {
          recorded = recordSetAside(deps.store, name, entries, log)
        },
      })
      state.validate()
    } catch (err) {
      quarantine = err instanceof Error ? err.message : String(err)
    }
  }
  await recorded
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

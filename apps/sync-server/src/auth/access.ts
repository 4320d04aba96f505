import type { IncomingMessage } from 'node:http'

/** What a request may do with a document. */
export type AccessMode = 'view' | 'edit'

/** The outcome of an access check: allowed with a mode, or refused with an HTTP status. */
export type Access =
  | { ok: true; mode: AccessMode; user?: { name: string; color?: string } }
  | { ok: false; status: 401 | 403; code: string; message: string }

/** Decides what `req` may do with document `name`. */
export type Authorize = (req: IncomingMessage, name: string) => Access

/** Open mode: anyone who knows a document's name may edit it. */
export const allowAll: Authorize = () => ({ ok: true, mode: 'edit' })

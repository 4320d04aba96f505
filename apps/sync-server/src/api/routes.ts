import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Authorize } from '../auth/access.js'
import type { Logger } from '../log.js'
import type { DocStore } from '../persistence/store.js'
import type { Rooms } from '../rooms/rooms.js'

export interface ApiDeps {
  rooms: Rooms
  store: DocStore
  authorize: Authorize
  log: Logger
}

/** Handles a request under `/api/`; resolves `false` if no route matches. */
export type ApiHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
) => Promise<boolean>

/** The HTTP API (documented in docs/API.md). */
export function createApiHandler(_deps: ApiDeps): ApiHandler {
  return async () => false
}

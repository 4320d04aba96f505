import type { IncomingMessage, ServerResponse } from 'node:http'
import type { VersionJson } from '@tandem/protocol'
import type { Access, Authorize, Refusal } from '../auth/access.js'
import type { Revocations } from '../auth/revocations.js'
import type { TokenSigner } from '../auth/tokens.js'
import { errorCode } from '../error-map.js'
import type { ApiLimits } from '../limits/api-limits.js'
import type { Logger } from '../log.js'
import type { Author, DocStore, VersionInfo } from '../persistence/store.js'
import type { Folder } from '../rooms/doc-state.js'
import type { Room } from '../rooms/room.js'
import type { Rooms } from '../rooms/rooms.js'
import { ApiError } from './errors.js'
import type { TextCache } from './text-cache.js'

export interface ApiDeps {
  rooms: Rooms
  store: DocStore
  /** Decides what a request may do with a document; every route with a `{name}` asks it. */
  authorize: Authorize
  log: Logger
  /** Signs the tokens of share links. */
  signer: TokenSigner
  /** Revokes share links here and tells the other servers. Default: the store alone. */
  revocations?: Revocations
  /** Decides whether a request may use the server-wide routes (list, compact). */
  admin: (req: IncomingMessage) => AdminAccess
  /**
   * Whether a browser request may come from its `Origin`; every request but `GET` and `HEAD`
   * must pass (403 `origin_not_allowed`). Default: only requests without an `Origin`.
   */
  originAllowed?: (req: IncomingMessage) => boolean
  /** Request budgets and the cap on document-sized work. Default: {@link defaultApiLimits}. */
  limits?: ApiLimits
  /** The key per-address budgets count a request under. Default: the socket's peer address. */
  clientKey?: (req: IncomingMessage) => string
  /** Folds documents off the event loop (worker threads). Default: folds on it. */
  folder?: Folder
  /** Whether edits are attributed (`ATTRIBUTION`); the attribution routes say so. Default: true. */
  attribution?: boolean
  /** Whether compaction keeps deleted text (`ATTRIBUTION=on`). Default: as `attribution`. */
  keepDeletedText?: boolean
  /** Largest request body, in bytes (a document's text, on import). Default: 10 MiB. */
  maxBodyBytes?: number
  /** How long a deleted document stays in the trash, in days (for the answers). Default: 30. */
  trashRetentionDays?: number
}

/** The answer of {@link ApiDeps.admin}. */
export type AdminAccess = { ok: true } | Refusal<'admin_key_required'>

/** What a route handler gets. */
export interface Context {
  req: IncomingMessage
  res: ServerResponse
  deps: ApiDeps
  log: Logger
  /** The decoded, valid document name of a `{name}` route. */
  name: string
  /** The version id of a `{id}` route. */
  id: number
  /** The link id of a `{link}` route, as given (unchecked). */
  linkId: string
  /** The access check's answer, on routes with a `{name}`. */
  access: Extract<Access, { ok: true }> | null
  /**
   * Asks the access check about another document the request names (a rename's target) and
   * throws its refusal, or `read_only` if `mode` is `edit` and only viewing is allowed.
   */
  authorizeOther(name: string, mode: 'view' | 'edit'): Promise<void>
  /** Texts already folded, by name and last sequence number. */
  texts: TextCache
  maxBodyBytes: number
  /** Runs `fn` with the room of `name`, after every other change the API makes to it. */
  change<T>(fn: (room: Room) => Promise<T>): Promise<T>
  /**
   * Runs `fn` after every other change the API makes to `name`, while `name` and `others` are
   * unloaded and kept from loading (see `Rooms.whileUnloaded`).
   */
  unloaded<T>(others: readonly string[], fn: () => Promise<T>): Promise<T>
}

export function versionJson(v: VersionInfo): VersionJson {
  return {
    id: v.id,
    createdAt: new Date(v.createdAtMs).toISOString(),
    kind: v.kind,
    label: v.label,
    authors: v.authors,
    textLength: v.textLength,
  }
}

/** The API error for a failure of the rooms or the store, or `err` itself if it is none. */
export function roomError(err: unknown): unknown {
  switch (errorCode(err)) {
    case 'document_corrupt':
      return new ApiError('document_corrupt', 'the stored document does not decode')
    case 'document_open':
      return new ApiError(
        'document_open',
        'the document is open (someone is connected to it); close it everywhere first',
      )
    case 'unavailable':
      return err instanceof ApiError
        ? err
        : new ApiError('unavailable', 'storage cannot take this change now')
    default:
      return err
  }
}

/**
 * Whom an edit made through the API is attributed to (SPEC B1): the token's name, vouched for;
 * the admin key as "Admin"; without a token (open mode) "API", unverified.
 */
export function apiAuthor(access: Context['access']): Author {
  if (access?.user) {
    return {
      name: access.user.name,
      verified: true,
      subject: access.user.subject ?? access.subject,
      color: access.user.color,
    }
  }
  if (access?.subject === 'admin') return { name: 'Admin', verified: true, subject: 'admin' }
  if (access?.subject) return { name: 'API', verified: false, subject: access.subject }
  return { name: 'API', verified: false }
}

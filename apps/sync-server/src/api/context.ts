import type { IncomingMessage, ServerResponse } from 'node:http'
import { validateUpdate } from '@tandem/protocol'
import type { Access, Authorize } from '../auth/access.js'
import type { TokenSigner } from '../auth/tokens.js'
import type { Logger } from '../log.js'
import { StorageBackpressureError, StoreClosedError } from '../persistence/group-commit.js'
import type { DocStore, VersionInfo } from '../persistence/store.js'
import { DocState } from '../rooms/doc-state.js'
import { CorruptDocumentError, type Room } from '../rooms/room.js'
import { DocumentOpenError, type Rooms } from '../rooms/rooms.js'
import { ApiError } from './errors.js'

export interface ApiDeps {
  rooms: Rooms
  store: DocStore
  /** Decides what a request may do with a document; every route with a `{name}` asks it. */
  authorize: Authorize
  log: Logger
  /** Signs the tokens of share links. */
  signer: TokenSigner
  /** Decides whether a request may use the server-wide routes (list, compact). */
  admin: (req: IncomingMessage) => AdminAccess
  /** Largest request body, in bytes (a document's text, on import). Default: 10 MiB. */
  maxBodyBytes?: number
  /** How long a deleted document stays in the trash, in days (for the answers). Default: 30. */
  trashRetentionDays?: number
}

/** The answer of {@link ApiDeps.admin}. */
export type AdminAccess =
  | { ok: true }
  | { ok: false; status: 401; code: 'admin_key_required'; message: string }

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
  /** The access check's answer, on routes with a `{name}`. */
  access: Extract<Access, { ok: true }> | null
  maxBodyBytes: number
  /** Runs `fn` with the room of `name`, after every other change the API makes to it. */
  change<T>(fn: (room: Room) => Promise<T>): Promise<T>
  /**
   * Runs `fn` after every other change the API makes to `name`, while `name` and `others` are
   * unloaded and kept from loading (see `Rooms.whileUnloaded`).
   */
  unloaded<T>(others: readonly string[], fn: () => Promise<T>): Promise<T>
}

/** A version as the API shows it. */
export interface VersionJson {
  id: number
  /** ISO 8601. */
  createdAt: string
  kind: VersionInfo['kind']
  label: string | null
  authors: string[]
  textLength: number
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

/**
 * The stored state of `name` as one update, read from the store (the truth, whichever server
 * holds the room), or `null` if nothing was ever stored. Creates nothing.
 */
export async function storedState(store: DocStore, name: string): Promise<Uint8Array | null> {
  const stored = await store.load(name)
  if (!stored) return null
  try {
    // Folded as the room folds it, so the API reads exactly what clients are served.
    const update = new DocState(stored.snapshot, stored.updates, stored.lastSeq).update
    validateUpdate(update)
    return update
  } catch {
    throw new ApiError('document_corrupt', 'the stored document does not decode')
  }
}

/** The API error for a failure of the rooms or the store, or `err` itself if it is none. */
export function roomError(err: unknown): unknown {
  if (err instanceof CorruptDocumentError) {
    return new ApiError('document_corrupt', 'the stored document does not decode')
  }
  if (err instanceof DocumentOpenError) {
    return new ApiError(
      'document_open',
      'the document is open (someone is connected to it); close it everywhere first',
    )
  }
  if (err instanceof StorageBackpressureError || err instanceof StoreClosedError) {
    return new ApiError('unavailable', 'storage cannot take this change now')
  }
  return err
}

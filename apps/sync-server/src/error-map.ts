import { CloseCode, ProtocolError } from '@tandem/protocol'
import { type CloseErrorCode, HttpError, type ServerErrorCode } from './errors.js'
import { StorageBackpressureError, StoreClosedError } from './persistence/group-commit.js'
import { CorruptDocumentError } from './rooms/room.js'
import { DocumentOpenError } from './rooms/rooms.js'

/**
 * The catalogue code of a domain error: a document that does not decode, one that is open, a
 * store that cannot take more, a frame that does not decode. Anything else is `internal`.
 */
export function errorCode(err: unknown): ServerErrorCode {
  if (err instanceof HttpError) return err.code
  if (err instanceof CorruptDocumentError) return 'document_corrupt'
  if (err instanceof DocumentOpenError) return 'document_open'
  if (err instanceof StorageBackpressureError || err instanceof StoreClosedError) {
    return 'unavailable'
  }
  if (err instanceof ProtocolError) {
    return err.closeCode === CloseCode.PolicyViolation ? 'presence_flood' : 'malformed_message'
  }
  return 'internal'
}

/**
 * The code a connection is closed with for `err`: a storage error is the connection's
 * `storage_unavailable`; an error without a close code of its own gets `otherwise` (`internal`,
 * or `try_again_later` when a document could not be opened).
 */
export function closeCode(err: unknown, otherwise: CloseErrorCode = 'internal'): CloseErrorCode {
  const code = errorCode(err)
  if (code === 'unavailable') return 'storage_unavailable'
  return code === 'document_corrupt' || code === 'malformed_message' || code === 'presence_flood'
    ? code
    : otherwise
}

import { CloseCode } from './close-codes.js'

/** Why a message could not be decoded. */
export type ProtocolErrorKind =
  | 'empty'
  | 'truncated'
  | 'trailing-bytes'
  | 'unknown-message-type'
  | 'unknown-sync-step'
  | 'invalid-update'
  | 'invalid-awareness'

/**
 * Thrown by every decoder in this package when its input is not a well-formed message. A decoder
 * that throws has produced nothing: there is no partially decoded result to act on.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError'
  constructor(
    readonly kind: ProtocolErrorKind,
    message: string,
    /** The close code a server answers this error with: 1007 unless the decoder says otherwise. */
    readonly closeCode: CloseCode = CloseCode.InvalidPayload,
  ) {
    super(message)
  }
}

import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { ProtocolError } from './errors.js'

export {
  inspectUpdate,
  type StructInfo,
  StructKind,
  type UpdateVisitor,
  validateUpdate,
  validateUpdateWithStateVector,
} from './validate-update.js'

/**
 * Top-level message types of the y-websocket protocol. The numbers are y-websocket's own, so
 * stock clients and servers interoperate; a retired number is never reused.
 */
export const MessageType = {
  Sync: 0,
  Awareness: 1,
  Auth: 2,
  QueryAwareness: 3,
  /**
   * Tandem extension, client to server: "tell me when my updates are stored". Opt-in: a stock
   * client never sends it and so never receives {@link MessageType.Saved}.
   */
  SavedRequest: 100,
  /**
   * Tandem extension, server to client (only after a {@link MessageType.SavedRequest}): how many
   * of the update frames received on this connection are durably stored.
   */
  Saved: 101,
} as const
export type MessageType = (typeof MessageType)[keyof typeof MessageType]

/** Sub-types of a sync message (y-protocols/sync). */
export const SyncStep = {
  /** Carries a state vector: "send me what I am missing". */
  Step1: 0,
  /** Carries an update answering a step 1. */
  Step2: 1,
  /** Carries an incremental update. */
  Update: 2,
} as const
export type SyncStep = (typeof SyncStep)[keyof typeof SyncStep]

/** Sub-types of an auth message. */
export const AuthKind = {
  PermissionDenied: 0,
} as const

/** A decoded y-websocket message. Byte arrays are views into the decoded frame, not copies. */
export type Message =
  | { type: 'sync-step-1'; stateVector: Uint8Array }
  | { type: 'sync-step-2'; update: Uint8Array }
  | { type: 'sync-update'; update: Uint8Array }
  | { type: 'awareness'; update: Uint8Array }
  | { type: 'auth-denied'; reason: string }
  | { type: 'query-awareness' }
  | { type: 'saved-request' }
  | { type: 'saved'; updateFrames: number }

function malformed(kind: 'truncated' | 'trailing-bytes', what: string): ProtocolError {
  return new ProtocolError(kind, `${what}`)
}

/**
 * Decodes one binary WebSocket message. Throws {@link ProtocolError} if the frame is empty,
 * truncated, of an unknown type, or has bytes after the message. Yjs payloads inside are not
 * validated here; see {@link validateUpdate} and {@link decodeAwarenessUpdate}.
 */
export function decodeMessage(frame: Uint8Array): Message {
  if (frame.length === 0) {
    throw new ProtocolError('empty', 'empty message')
  }
  const decoder = decoding.createDecoder(frame)
  let message: Message
  try {
    message = readMessage(decoder)
  } catch (err) {
    if (err instanceof ProtocolError) throw err
    throw malformed('truncated', 'message ends before its declared length')
  }
  if (decoding.hasContent(decoder)) {
    throw malformed('trailing-bytes', 'unexpected bytes after the message')
  }
  return message
}

function readMessage(decoder: decoding.Decoder): Message {
  const type = decoding.readVarUint(decoder)
  switch (type) {
    case MessageType.Sync: {
      const step = decoding.readVarUint(decoder)
      if (step !== SyncStep.Step1 && step !== SyncStep.Step2 && step !== SyncStep.Update) {
        throw new ProtocolError('unknown-sync-step', `unknown sync step ${step}`)
      }
      const payload = decoding.readVarUint8Array(decoder)
      switch (step) {
        case SyncStep.Step1:
          return { type: 'sync-step-1', stateVector: payload }
        case SyncStep.Step2:
          return { type: 'sync-step-2', update: payload }
        case SyncStep.Update:
          return { type: 'sync-update', update: payload }
      }
      throw new Error('unreachable')
    }
    case MessageType.Awareness:
      return { type: 'awareness', update: decoding.readVarUint8Array(decoder) }
    case MessageType.Auth: {
      const kind = decoding.readVarUint(decoder)
      if (kind !== AuthKind.PermissionDenied) {
        throw new ProtocolError('unknown-message-type', `unknown auth kind ${kind}`)
      }
      return { type: 'auth-denied', reason: decoding.readVarString(decoder) }
    }
    case MessageType.QueryAwareness:
      return { type: 'query-awareness' }
    case MessageType.SavedRequest:
      return { type: 'saved-request' }
    case MessageType.Saved:
      return { type: 'saved', updateFrames: decoding.readVarUint(decoder) }
    default:
      throw new ProtocolError('unknown-message-type', `unknown message type ${type}`)
  }
}

/**
 * The frame is allocated once at its exact size and the payload copied into it once: a lib0
 * encoder copies a large payload twice (into a grown buffer, then into the result), which for a
 * 10 MB document's sync step 2 is 20 MB of copying and garbage per joining peer.
 */
function encodeSync(step: SyncStep, payload: Uint8Array): Uint8Array {
  let length = payload.length
  let lengthBytes = 1
  while (length > 0x7f) {
    lengthBytes++
    length = Math.floor(length / 128)
  }
  const frame = new Uint8Array(2 + lengthBytes + payload.length)
  frame[0] = MessageType.Sync
  frame[1] = step
  // The payload length as a varUint, as lib0 writes it (7 bits a byte, low first).
  let at = 2
  length = payload.length
  while (length > 0x7f) {
    frame[at++] = 0x80 | (length & 0x7f)
    length = Math.floor(length / 128)
  }
  frame[at++] = length
  frame.set(payload, at)
  return frame
}

/** `sync step 1`: asks the peer for everything not covered by `stateVector`. */
export function encodeSyncStep1(stateVector: Uint8Array): Uint8Array {
  return encodeSync(SyncStep.Step1, stateVector)
}

/** `sync step 2`: the answer to a step 1, an update holding what the asker lacks. */
export function encodeSyncStep2(update: Uint8Array): Uint8Array {
  return encodeSync(SyncStep.Step2, update)
}

/** `sync update`: an incremental document update. */
export function encodeSyncUpdate(update: Uint8Array): Uint8Array {
  return encodeSync(SyncStep.Update, update)
}

/** An awareness message wrapping an encoded awareness update (see {@link encodeAwarenessUpdate}). */
export function encodeAwareness(awarenessUpdate: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MessageType.Awareness)
  encoding.writeVarUint8Array(encoder, awarenessUpdate)
  return encoding.toUint8Array(encoder)
}

/** Asks the peer to send its whole awareness state. */
export function encodeQueryAwareness(): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MessageType.QueryAwareness)
  return encoding.toUint8Array(encoder)
}

/** Tandem extension: asks the server to acknowledge stored updates (see {@link encodeSaved}). */
export function encodeSavedRequest(): Uint8Array {
  return Uint8Array.of(MessageType.SavedRequest)
}

/**
 * Tandem extension: the first `updateFrames` update frames (sync step 2 and sync update, in the
 * order received, counted from the connection's start) that the client sent on this connection
 * are durably stored. Sent only to a client that sent {@link encodeSavedRequest}.
 */
export function encodeSaved(updateFrames: number): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MessageType.Saved)
  encoding.writeVarUint(encoder, updateFrames)
  return encoding.toUint8Array(encoder)
}

/** Whether `frame` is a sync step 2 or sync update: a frame that {@link encodeSaved} counts. */
export function isUpdateFrame(frame: Uint8Array): boolean {
  return (
    frame[0] === MessageType.Sync && (frame[1] === SyncStep.Step2 || frame[1] === SyncStep.Update)
  )
}

/** Tells the client it may not access the document; stock clients log `reason`. */
export function encodeAuthDenied(reason: string): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MessageType.Auth)
  encoding.writeVarUint(encoder, AuthKind.PermissionDenied)
  encoding.writeVarString(encoder, reason)
  return encoding.toUint8Array(encoder)
}

/**
 * Checks that `stateVector` is a well-formed Yjs state vector. Throws {@link ProtocolError}
 * `invalid-update` otherwise.
 */
export function validateStateVector(stateVector: Uint8Array): void {
  try {
    const decoder = decoding.createDecoder(stateVector)
    const count = decoding.readVarUint(decoder)
    for (let i = 0; i < count; i++) {
      decoding.readVarUint(decoder)
      decoding.readVarUint(decoder)
    }
    if (decoding.hasContent(decoder)) throw new Error('trailing bytes')
  } catch (err) {
    throw new ProtocolError(
      'invalid-update',
      `state vector does not decode: ${err instanceof Error ? err.message : String(err)}`,
    )
  }
}

import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { ProtocolError } from './errors.js'
import { decodeMessage, type Message } from './messages.js'

/**
 * Message types of the `@hocuspocus/provider` framing (v2–v4). Types 0–3 carry the same payloads
 * as y-websocket's; the others are Hocuspocus's own.
 */
export const HocuspocusType = {
  Sync: 0,
  Awareness: 1,
  Auth: 2,
  QueryAwareness: 3,
  Stateless: 5,
  Close: 7,
  SyncStatus: 8,
  Ping: 9,
  Pong: 10,
} as const
export type HocuspocusType = (typeof HocuspocusType)[keyof typeof HocuspocusType]

/** Sub-types of a Hocuspocus auth message. */
export const HocuspocusAuth = {
  /** Client to server: its token; server to client: "send your token again". */
  Token: 0,
  PermissionDenied: 1,
  Authenticated: 2,
} as const

/** What an authenticated document may do, as the provider names it. */
export type HocuspocusScope = 'read-write' | 'readonly'

/** The separator of a session-aware address: `name + "\0" + sessionId`. */
const SESSION_SEPARATOR = '\0'

/** A decoded message of one document, after its address. */
export type HocuspocusMessage =
  /** Sync, awareness or query-awareness: `frame` is the y-websocket message (a view). */
  | { type: 'yjs'; frame: Uint8Array; message: Message }
  /** The provider's token (`""` when it has none) and, from v4, its version. */
  | { type: 'token'; token: string; providerVersion: string | null }
  /** Server to client: asks for a fresh token. */
  | { type: 'token-request' }
  | { type: 'permission-denied'; reason: string }
  | { type: 'authenticated'; scope: string }
  | { type: 'stateless'; payload: string }
  /** Closes one document; the server's carries a reason, the provider's none. */
  | { type: 'close'; reason: string | null }
  | { type: 'sync-status'; applied: boolean }

/** One decoded Hocuspocus frame. */
export type HocuspocusFrame =
  | { kind: 'ping' }
  | { kind: 'pong' }
  | {
      kind: 'document'
      /** The raw address: the reply address (session-aware providers route replies by it). */
      address: string
      /** The document name: the address up to its first `\0`. */
      name: string
      /** The provider session after the `\0`, if the address has one. */
      sessionId: string | null
      message: HocuspocusMessage
    }

/** The v4 connection-level ping: one byte, no document name. */
export const HOCUSPOCUS_PING: Uint8Array = Uint8Array.of(HocuspocusType.Ping)
/** The answer to {@link HOCUSPOCUS_PING}. */
export const HOCUSPOCUS_PONG: Uint8Array = Uint8Array.of(HocuspocusType.Pong)

/** Splits an address into its document name and the session id after `\0`, if any. */
export function parseHocuspocusAddress(address: string): {
  name: string
  sessionId: string | null
} {
  const at = address.indexOf(SESSION_SEPARATOR)
  return at === -1
    ? { name: address, sessionId: null }
    : { name: address.slice(0, at), sessionId: address.slice(at + 1) }
}

/**
 * Decodes one Hocuspocus frame. A one-byte `09` or `0a` is a ping or pong; anything else is
 * `varString(address)` and a message. Throws {@link ProtocolError} (close code 1007) if the
 * frame is empty, truncated, has an empty address, an unknown type or sub-type, or bytes after
 * the message; sync and awareness payloads are framed as {@link decodeMessage} frames them.
 */
export function decodeHocuspocusFrame(frame: Uint8Array): HocuspocusFrame {
  if (frame.length === 0) throw new ProtocolError('empty', 'empty message')
  // A one-byte frame cannot be a document's: its address alone would need more bytes.
  if (frame.length === 1 && frame[0] === HocuspocusType.Ping) return { kind: 'ping' }
  if (frame.length === 1 && frame[0] === HocuspocusType.Pong) return { kind: 'pong' }
  const decoder = decoding.createDecoder(frame)
  let address: string
  let message: HocuspocusMessage
  try {
    address = decoding.readVarString(decoder)
    if (address.length === 0) throw new ProtocolError('truncated', 'empty document address')
    message = readMessage(frame, decoder)
  } catch (err) {
    if (err instanceof ProtocolError) throw err
    throw new ProtocolError('truncated', 'message ends before its declared length')
  }
  if (decoding.hasContent(decoder)) {
    throw new ProtocolError('trailing-bytes', 'unexpected bytes after the message')
  }
  return { kind: 'document', address, ...parseHocuspocusAddress(address), message }
}

function readMessage(frame: Uint8Array, decoder: decoding.Decoder): HocuspocusMessage {
  const start = decoder.pos
  const type = decoding.readVarUint(decoder)
  switch (type) {
    case HocuspocusType.Sync:
    case HocuspocusType.Awareness:
    case HocuspocusType.QueryAwareness: {
      const inner = frame.subarray(start)
      // Checks the inner message's framing, trailing bytes included.
      const message = decodeMessage(inner)
      decoder.pos = frame.length
      return { type: 'yjs', frame: inner, message }
    }
    case HocuspocusType.Auth: {
      const kind = decoding.readVarUint(decoder)
      switch (kind) {
        case HocuspocusAuth.Token: {
          // A server's token request has nothing after the kind; a provider's has its token.
          if (!decoding.hasContent(decoder)) return { type: 'token-request' }
          const token = decoding.readVarString(decoder)
          const providerVersion = decoding.hasContent(decoder)
            ? decoding.readVarString(decoder)
            : null
          return { type: 'token', token, providerVersion }
        }
        case HocuspocusAuth.PermissionDenied:
          return { type: 'permission-denied', reason: decoding.readVarString(decoder) }
        case HocuspocusAuth.Authenticated:
          return { type: 'authenticated', scope: decoding.readVarString(decoder) }
        default:
          throw new ProtocolError('unknown-message-type', `unknown auth kind ${kind}`)
      }
    }
    case HocuspocusType.Stateless:
      return { type: 'stateless', payload: decoding.readVarString(decoder) }
    case HocuspocusType.Close:
      return {
        type: 'close',
        reason: decoding.hasContent(decoder) ? decoding.readVarString(decoder) : null,
      }
    case HocuspocusType.SyncStatus:
      return { type: 'sync-status', applied: decoding.readVarUint(decoder) === 1 }
    default:
      throw new ProtocolError('unknown-message-type', `unknown Hocuspocus message type ${type}`)
  }
}

function addressed(address: string, type: number): encoding.Encoder {
  const encoder = encoding.createEncoder()
  encoding.writeVarString(encoder, address)
  encoding.writeVarUint(encoder, type)
  return encoder
}

/**
 * A y-websocket message (sync 0, awareness 1, query-awareness 3) for document `address`: the
 * address, then the message's bytes unchanged.
 */
export function encodeHocuspocusYjs(address: string, frame: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarString(encoder, address)
  encoding.writeUint8Array(encoder, frame)
  return encoding.toUint8Array(encoder)
}

/** Client to server: the token (`""` for none), and the provider's version if given. */
export function encodeHocuspocusToken(
  address: string,
  token: string,
  providerVersion?: string,
): Uint8Array {
  const encoder = addressed(address, HocuspocusType.Auth)
  encoding.writeVarUint(encoder, HocuspocusAuth.Token)
  encoding.writeVarString(encoder, token)
  if (providerVersion !== undefined) encoding.writeVarString(encoder, providerVersion)
  return encoding.toUint8Array(encoder)
}

/** Server to client: access to the document is granted with `scope`. */
export function encodeHocuspocusAuthenticated(address: string, scope: HocuspocusScope): Uint8Array {
  const encoder = addressed(address, HocuspocusType.Auth)
  encoding.writeVarUint(encoder, HocuspocusAuth.Authenticated)
  encoding.writeVarString(encoder, scope)
  return encoding.toUint8Array(encoder)
}

/** Server to client: access to the document is refused, for `reason`; other documents go on. */
export function encodeHocuspocusPermissionDenied(address: string, reason: string): Uint8Array {
  const encoder = addressed(address, HocuspocusType.Auth)
  encoding.writeVarUint(encoder, HocuspocusAuth.PermissionDenied)
  encoding.writeVarString(encoder, reason)
  return encoding.toUint8Array(encoder)
}

/** A stateless message: an application string the document's peers exchange. */
export function encodeHocuspocusStateless(address: string, payload: string): Uint8Array {
  const encoder = addressed(address, HocuspocusType.Stateless)
  encoding.writeVarString(encoder, payload)
  return encoding.toUint8Array(encoder)
}

/** Closes one document: the server's carries a reason, the provider's none. */
export function encodeHocuspocusClose(address: string, reason?: string): Uint8Array {
  const encoder = addressed(address, HocuspocusType.Close)
  if (reason !== undefined) encoding.writeVarString(encoder, reason)
  return encoding.toUint8Array(encoder)
}

/** Server to client: one update frame was stored (`true`) or refused (`false`). */
export function encodeHocuspocusSyncStatus(address: string, applied: boolean): Uint8Array {
  const encoder = addressed(address, HocuspocusType.SyncStatus)
  encoding.writeVarUint(encoder, applied ? 1 : 0)
  return encoding.toUint8Array(encoder)
}

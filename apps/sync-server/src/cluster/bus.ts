import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'

/**
 * What servers of a cluster tell each other. `node` is the sender's id on the bus (unique per
 * process). Document messages go to the servers that have the document loaded; node messages
 * to every server.
 */
export type BusMessage =
  /** Update `seq` of `doc` is stored (the store is the truth; this is the fast path). */
  | { type: 'update'; doc: string; node: string; seq: number; update: Uint8Array }
  /** Awareness changes made by the sender's connection(s) of one user (`userKey`). */
  | {
      type: 'awareness'
      doc: string
      node: string
      userKey: string | undefined
      update: Uint8Array
    }
  /** The sender has just loaded `doc`: others answer with their users' awareness. */
  | { type: 'awareness-query'; doc: string; node: string }
  /** The sender is alive. */
  | { type: 'heartbeat'; node: string }
  /** The sender is shutting down: its users' awareness is gone. */
  | { type: 'leave'; node: string }
  /** Share link `link` (its `jti`) is revoked (and stored so): close its connections. */
  | { type: 'link-revoked'; node: string; link: string }

export type DocMessage = Extract<BusMessage, { doc: string }>

/** What a bus tells the cluster. */
export interface BusListener {
  message(message: BusMessage): void
  /** Connected (again), with every subscription in place: whatever was missed is in the store. */
  connected(): void
  disconnected(): void
}

/**
 * Best-effort messaging between the servers of a cluster (Redis pub/sub in production, an
 * in-process hub in tests). Messages may be lost; the cluster detects gaps and reads the store.
 */
export interface ClusterBus {
  /** Whether messages are being sent and received now. */
  readonly connected: boolean
  /** Why the bus is not connected, for `/readyz`; `null` when connected. */
  readonly failure: string | null
  /** Starts connecting; `listener` hears every message, including this server's own. */
  start(listener: BusListener): void
  /** Sends `message`, or drops it if the bus is not connected. */
  publish(message: BusMessage): void
  /**
   * Receives the messages of `doc` from now on. Resolves once that is so, or at once if the bus
   * is not connected (it subscribes when it connects, before `connected()`).
   */
  subscribe(doc: string): Promise<void>
  unsubscribe(doc: string): void
  close(): Promise<void>
}

/** Version of the encoding below; a message of another version is ignored. */
const FORMAT = 0

const types = [
  'update',
  'awareness',
  'awareness-query',
  'heartbeat',
  'leave',
  'link-revoked',
] as const

/** The bytes of `message`, without its document (which the channel carries). */
export function encodeBusMessage(message: BusMessage): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeUint8(encoder, FORMAT)
  encoding.writeUint8(encoder, types.indexOf(message.type))
  encoding.writeVarString(encoder, message.node)
  switch (message.type) {
    case 'update':
      encoding.writeVarUint(encoder, message.seq)
      encoding.writeVarUint8Array(encoder, message.update)
      break
    case 'awareness':
      encoding.writeUint8(encoder, message.userKey === undefined ? 0 : 1)
      encoding.writeVarString(encoder, message.userKey ?? '')
      encoding.writeVarUint8Array(encoder, message.update)
      break
    case 'link-revoked':
      encoding.writeVarString(encoder, message.link)
      break
    default:
      break
  }
  return encoding.toUint8Array(encoder)
}

/**
 * Decodes what {@link encodeBusMessage} made; `doc` is the document of the channel it came on
 * (`null` on the nodes' channel). Returns `null` for anything malformed or of another version.
 */
export function decodeBusMessage(bytes: Uint8Array, doc: string | null): BusMessage | null {
  try {
    const decoder = decoding.createDecoder(bytes)
    if (decoding.readUint8(decoder) !== FORMAT) return null
    const type = types[decoding.readUint8(decoder)]
    const node = decoding.readVarString(decoder)
    let message: BusMessage | null = null
    if (type === 'heartbeat' || type === 'leave') {
      message = { type, node }
    } else if (type === 'link-revoked') {
      message = { type, node, link: decoding.readVarString(decoder) }
    } else if (doc !== null) {
      if (type === 'update') {
        const seq = decoding.readVarUint(decoder)
        const update = decoding.readVarUint8Array(decoder)
        message = { type, doc, node, seq, update }
      } else if (type === 'awareness') {
        const hasKey = decoding.readUint8(decoder) === 1
        const key = decoding.readVarString(decoder)
        const update = decoding.readVarUint8Array(decoder)
        message = { type, doc, node, userKey: hasKey ? key : undefined, update }
      } else if (type === 'awareness-query') {
        message = { type, doc, node }
      }
    }
    return message && !decoding.hasContent(decoder) ? message : null
  } catch {
    return null
  }
}

import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { CloseCode } from './close-codes.js'
import { ProtocolError } from './errors.js'
import { defaultLimits } from './limits.js'

/**
 * One client's entry in an awareness update (y-protocols/awareness). `state` is the JSON text
 * of the client's state, or `null` when the client has left.
 */
export interface AwarenessEntry {
  clientId: number
  clock: number
  state: string | null
}

/**
 * Decodes an awareness update into its entries without parsing states into objects. Throws
 * {@link ProtocolError} `invalid-awareness` if the update is truncated, has trailing bytes, or
 * a state is not valid JSON or is longer than `maxStateBytes` bytes of UTF-8; and, with close
 * code 1008 and before reading any entry, if it holds more than `maxEntries` entries.
 */
export function decodeAwarenessUpdate(
  update: Uint8Array,
  maxStateBytes: number = defaultLimits.maxAwarenessStateBytes,
  maxEntries: number = Number.POSITIVE_INFINITY,
): AwarenessEntry[] {
  const fail = (why: string) => new ProtocolError('invalid-awareness', `awareness update ${why}`)
  const entries: AwarenessEntry[] = []
  try {
    const decoder = decoding.createDecoder(update)
    const count = decoding.readVarUint(decoder)
    if (count > maxEntries) {
      throw new ProtocolError(
        'invalid-awareness',
        `awareness update names ${count} clients (at most ${maxEntries})`,
        CloseCode.PolicyViolation,
      )
    }
    for (let i = 0; i < count; i++) {
      const clientId = decoding.readVarUint(decoder)
      const clock = decoding.readVarUint(decoder)
      // Check the declared UTF-8 length before decoding; the varUint prefix is not state.
      if (decoding.peekVarUint(decoder) > maxStateBytes) {
        throw fail(`state of client ${clientId} is too large`)
      }
      const json = decoding.readVarString(decoder)
      // y-protocols writes a removed state as the JSON text `null`.
      const parsed: unknown = JSON.parse(json)
      entries.push({ clientId, clock, state: parsed === null ? null : json })
    }
    if (decoding.hasContent(decoder)) throw fail('has trailing bytes')
  } catch (err) {
    if (err instanceof ProtocolError) throw err
    throw fail(`is malformed: ${err instanceof Error ? err.message : String(err)}`)
  }
  return entries
}

/** Encodes entries as an awareness update, the inverse of {@link decodeAwarenessUpdate}. */
export function encodeAwarenessUpdate(entries: Iterable<AwarenessEntry>): Uint8Array {
  const list = [...entries]
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, list.length)
  for (const entry of list) {
    encoding.writeVarUint(encoder, entry.clientId)
    encoding.writeVarUint(encoder, entry.clock)
    encoding.writeVarString(encoder, entry.state ?? 'null')
  }
  return encoding.toUint8Array(encoder)
}

import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { ProtocolError } from './errors.js'

// validateUpdate walks a v1 update the way Y.decodeUpdate reads it, but without building Item,
// ID or Content objects: the sync server checks every update it receives, and those objects were
// most of its garbage. It accepts exactly what Y.decodeUpdate followed by itemProblem accepts
// (validateUpdateByDecoding below, which test/validate-update.test.ts compares it with). Integers
// and payload lengths are read with lib0's own functions, so overlong, inexact and NaN varUints
// behave as they do in Yjs. Strings are checked in place as the fatal TextDecoder that lib0
// uses would check them. JSON, Embed, Format and Any contents are read with the same lib0 and
// JSON.parse calls Yjs makes (they allocate, but editor keystrokes do not carry them); an update
// holding a subdocument (ContentDoc, whose options Yjs hands to `new Doc`) is decoded by Yjs.

/** Returned by {@link scanUpdate} when the update holds content that only Yjs can judge. */
const DECODE_WITH_YJS = 'decode with Yjs'

/**
 * Checks that `update` is a well-formed Yjs update (v1 encoding) by reading all of it: every
 * struct and the delete set. Throws {@link ProtocolError} `invalid-update` otherwise, and also
 * for an item placed next to a later item of its own client or with the same item on both sides.
 * Bytes after the delete set are ignored, as Yjs ignores them. Linear in the update's size.
 */
export function validateUpdate(update: Uint8Array): void {
  let problem: string | null
  try {
    problem = scanUpdate(update)
  } catch (err) {
    throw doesNotDecode(err)
  }
  if (problem === DECODE_WITH_YJS) validateUpdateByDecoding(update)
  else if (problem !== null) {
    throw new ProtocolError('invalid-update', problem)
  }
}

/** What a {@link StructInfo} describes. */
export const StructKind = { GC: 0, Skip: 1, Item: 2 } as const
export type StructKind = (typeof StructKind)[keyof typeof StructKind]

/**
 * One struct of an update, as {@link inspectUpdate} reads it. IDs are split into client and
 * clock; a clock of -1 means the ID is absent. The object is reused: it is valid only during
 * the {@link UpdateVisitor.struct} call that receives it.
 */
export interface StructInfo {
  kind: StructKind
  client: number
  clock: number
  length: number
  /** The item to the left at insertion (`origin`), or clock -1. */
  originClient: number
  originClock: number
  /** The item to the right at insertion (`rightOrigin`), or clock -1. */
  rightClient: number
  rightClock: number
  /** The root type the item is in, when the update names it (no origins); else `null`. */
  parentRoot: string | null
  /** The item holding the type the item is in, when the update names it; else clock -1. */
  parentClient: number
  parentClock: number
  /** Whether the item's content is a shared type (Y.Map, Y.Array, Y.Text, XML). */
  isType: boolean
}

/** Receives the structure of an update from {@link inspectUpdate}, in the update's order. */
export interface UpdateVisitor {
  struct(info: StructInfo): void
  deleteRange(client: number, clock: number, length: number): void
}

/**
 * {@link validateUpdate}, telling `visitor` every struct and every range of the delete set as it
 * reads them (one pass), so that a server can judge what a well-formed update would do to a
 * document: how deep it nests types, which content it depends on, how much it deletes. Throws
 * {@link ProtocolError} `invalid-update` as {@link validateUpdate} does; the visitor may have
 * seen part of the update by then.
 */
export function inspectUpdate(update: Uint8Array, visitor: UpdateVisitor): void {
  let problem: string | null
  try {
    problem = scanUpdate(update, visitor)
  } catch (err) {
    throw doesNotDecode(err)
  }
  // The visitor has seen every struct; Yjs judges the subdocument's options.
  if (problem === DECODE_WITH_YJS) validateUpdateByDecoding(update)
  else if (problem !== null) {
    throw new ProtocolError('invalid-update', problem)
  }
}

function newStructInfo(): StructInfo {
  return {
    kind: StructKind.GC,
    client: 0,
    clock: 0,
    length: 0,
    originClient: 0,
    originClock: -1,
    rightClient: 0,
    rightClock: -1,
    parentRoot: null,
    parentClient: 0,
    parentClock: -1,
    isType: false,
  }
}

/**
 * {@link validateUpdate}, and the update's state vector from the same pass: the bytes
 * `Y.encodeStateVectorFromUpdate(update)` returns, without building a struct. For a stored
 * document, whose whole state a server checks when it loads it and whose state vector it then
 * sends every joining client.
 */
export function validateUpdateWithStateVector(update: Uint8Array): Uint8Array {
  const stateVector = new StateVectorWriter()
  let problem: string | null
  try {
    problem = scanUpdate(update, stateVector)
  } catch (err) {
    throw doesNotDecode(err)
  }
  if (problem === DECODE_WITH_YJS) {
    validateUpdateByDecoding(update)
    return Y.encodeStateVectorFromUpdate(update)
  }
  if (problem !== null) throw new ProtocolError('invalid-update', problem)
  return stateVector.finish()
}

/**
 * Builds a state vector from the structs of an update in the order they are read, exactly as
 * yjs's `encodeStateVectorFromUpdateV2` does: per run of one client's structs, the clock after
 * its last struct, counted only while the run is contiguous from clock 0 (a run that starts
 * later, or a Skip, stops the count); runs that counted nothing are left out.
 */
class StateVectorWriter implements UpdateVisitor {
  readonly #encoder = encoding.createEncoder()
  #entries = 0
  #started = false
  #client = 0
  #clock = 0
  #stopCounting = false

  struct({ client, clock, length, kind }: StructInfo): void {
    const skip = kind === StructKind.Skip
    if (!this.#started) {
      // Yjs counts the very first struct before it looks at whether it is a Skip.
      this.#started = true
      this.#client = client
      this.#stopCounting = clock !== 0
      this.#clock = this.#stopCounting ? 0 : clock + length
    } else if (client !== this.#client) {
      this.#write()
      this.#client = client
      this.#clock = 0
      this.#stopCounting = clock !== 0
    }
    if (skip) this.#stopCounting = true
    if (!this.#stopCounting) this.#clock = clock + length
  }

  deleteRange(): void {}

  finish(): Uint8Array {
    if (this.#started) this.#write()
    const out = encoding.createEncoder()
    encoding.writeVarUint(out, this.#entries)
    encoding.writeUint8Array(out, encoding.toUint8Array(this.#encoder))
    return encoding.toUint8Array(out)
  }

  #write(): void {
    if (this.#clock === 0) return
    this.#entries++
    encoding.writeVarUint(this.#encoder, this.#client)
    encoding.writeVarUint(this.#encoder, this.#clock)
  }
}

/**
 * The definition {@link validateUpdate} follows: decode with Yjs, then look at each item's
 * neighbours. Slower, since it builds every struct.
 */
export function validateUpdateByDecoding(update: Uint8Array): void {
  let structs: ReturnType<typeof Y.decodeUpdate>['structs']
  try {
    ;({ structs } = Y.decodeUpdate(update))
  } catch (err) {
    throw doesNotDecode(err)
  }
  for (const struct of structs) {
    if (!(struct instanceof Y.Item)) continue
    const problem = itemProblem(struct)
    if (problem) {
      throw new ProtocolError(
        'invalid-update',
        `item ${struct.id.client}:${struct.id.clock} ${problem}`,
      )
    }
  }
}

function doesNotDecode(err: unknown): ProtocolError {
  return new ProtocolError(
    'invalid-update',
    `update does not decode: ${err instanceof Error ? err.message : String(err)}`,
  )
}

const SAME_ITEM_ON_BOTH_SIDES = 'has the same item on both sides'
const LATER_NEIGHBOUR = 'is placed next to an item its client wrote later'

/**
 * What is impossible about an item's neighbours, or `null`. A client inserts relative to content
 * that existed when it typed: its own earlier items, never later ones, and never the same item
 * on both sides. Integrating such an item depends on the order updates arrive in, so peers
 * that received them differently would end up with different text.
 */
function itemProblem(item: Y.Item): string | null {
  const { origin, rightOrigin, id } = item
  if (origin && rightOrigin && Y.compareIDs(origin, rightOrigin)) {
    return SAME_ITEM_ON_BOTH_SIDES
  }
  for (const neighbour of [origin, rightOrigin]) {
    if (neighbour && neighbour.client === id.client && neighbour.clock >= id.clock) {
      return LATER_NEIGHBOUR
    }
  }
  return null
}

class DecodeError extends Error {}

// Info byte of a struct (yjs: lazyStructReaderGenerator).
const HAS_ORIGIN = 0x80
const HAS_RIGHT_ORIGIN = 0x40
const HAS_PARENT_SUB = 0x20
const CONTENT_REF = 0x1f
const SKIP = 10

// Content refs (yjs: contentRefs).
const DELETED = 1
const JSON_ = 2
const BINARY = 3
const STRING = 4
const EMBED = 5
const FORMAT = 6
const TYPE = 7
const ANY = 8
const DOC = 9

// Type refs that carry a name (yjs: typeRefs, readYXmlElement, readYXmlHook).
const XML_ELEMENT = 3
const XML_HOOK = 5
const LAST_TYPE_REF = 6

/**
 * Reads `update` as Y.decodeUpdate does. Returns null if it decodes and every item's neighbours
 * are possible, the problem if one is not, or {@link DECODE_WITH_YJS}. Throws where Yjs throws.
 */
function scanUpdate(update: Uint8Array, visitor?: UpdateVisitor): string | null {
  const decoder = decoding.createDecoder(update)
  const struct = visitor ? newStructInfo() : null
  let needsYjs = false
  const numOfStateUpdates = decoding.readVarUint(decoder)
  for (let i = 0; i < numOfStateUpdates; i++) {
    const numberOfStructs = decoding.readVarUint(decoder)
    const client = decoding.readVarUint(decoder)
    let clock = decoding.readVarUint(decoder)
    for (let j = 0; j < numberOfStructs; j++) {
      // lib0's readUint8 does not check bounds; past the end Yjs reads a GC length and throws.
      const info = update[decoder.pos++]
      if (info === undefined) throw new DecodeError('Unexpected end of array')
      if (info === SKIP || (info & CONTENT_REF) === 0) {
        const length = decoding.readVarUint(decoder) // Skip or GC
        if (visitor && struct) {
          struct.kind = info === SKIP ? StructKind.Skip : StructKind.GC
          struct.client = client
          struct.clock = clock
          struct.length = length
          visitor.struct(struct)
        }
        clock += length
        continue
      }
      const hasOrigin = (info & HAS_ORIGIN) !== 0
      const hasRightOrigin = (info & HAS_RIGHT_ORIGIN) !== 0
      let originClient = 0
      let originClock = 0
      let rightClient = 0
      let rightClock = 0
      if (hasOrigin) {
        originClient = decoding.readVarUint(decoder)
        originClock = decoding.readVarUint(decoder)
      }
      if (hasRightOrigin) {
        rightClient = decoding.readVarUint(decoder)
        rightClock = decoding.readVarUint(decoder)
      }
      let parentRoot: string | null = null
      let parentClient = 0
      let parentClock = -1
      if (!hasOrigin && !hasRightOrigin) {
        // The parent: a root type's name or the ID of the item that holds the type.
        if (decoding.readVarUint(decoder) === 1) {
          const start = decoder.pos
          skipString(decoder)
          if (visitor) {
            parentRoot = decoding.readVarString(
              decoding.createDecoder(update.subarray(start, decoder.pos)),
            )
          }
        } else {
          parentClient = decoding.readVarUint(decoder)
          parentClock = decoding.readVarUint(decoder)
        }
        if ((info & HAS_PARENT_SUB) !== 0) skipString(decoder)
      }
      let length = 1
      switch (info & CONTENT_REF) {
        case DELETED:
          length = decoding.readVarUint(decoder)
          break
        case JSON_: {
          // The length is the number of values read, which for a NaN count is 0.
          const count = decoding.readVarUint(decoder)
          for (length = 0; length < count; length++) {
            const json = decoding.readVarString(decoder)
            if (json !== 'undefined') JSON.parse(json)
          }
          break
        }
        case BINARY:
          skipBytes(decoder)
          break
        case STRING:
          length = skipString(decoder)
          break
        case EMBED:
          JSON.parse(decoding.readVarString(decoder))
          break
        case FORMAT:
          skipString(decoder)
          JSON.parse(decoding.readVarString(decoder))
          break
        case TYPE: {
          const typeRef = decoding.readVarUint(decoder)
          if (typeRef === XML_ELEMENT || typeRef === XML_HOOK) skipString(decoder)
          else if (!(typeRef >= 0 && typeRef <= LAST_TYPE_REF)) {
            throw new DecodeError(`unknown type ref ${typeRef}`)
          }
          break
        }
        case ANY: {
          const count = decoding.readVarUint(decoder)
          for (length = 0; length < count; length++) decoding.readAny(decoder)
          break
        }
        case DOC:
          if (!visitor) return DECODE_WITH_YJS
          // Read as Yjs reads it (guid, then options), and judged by Yjs once all is visited.
          decoding.readVarString(decoder)
          decoding.readAny(decoder)
          needsYjs = true
          break
        default:
          throw new DecodeError(`unknown content ref ${info & CONTENT_REF}`)
      }
      if (
        hasOrigin &&
        hasRightOrigin &&
        originClient === rightClient &&
        originClock === rightClock
      ) {
        return `item ${client}:${clock} ${SAME_ITEM_ON_BOTH_SIDES}`
      }
      if (
        (hasOrigin && originClient === client && originClock >= clock) ||
        (hasRightOrigin && rightClient === client && rightClock >= clock)
      ) {
        return `item ${client}:${clock} ${LATER_NEIGHBOUR}`
      }
      if (visitor && struct) {
        struct.kind = StructKind.Item
        struct.client = client
        struct.clock = clock
        struct.length = length
        struct.originClient = originClient
        struct.originClock = hasOrigin ? originClock : -1
        struct.rightClient = rightClient
        struct.rightClock = hasRightOrigin ? rightClock : -1
        struct.parentRoot = parentRoot
        struct.parentClient = parentClient
        struct.parentClock = parentClock
        struct.isType = (info & CONTENT_REF) === TYPE
        visitor.struct(struct)
      }
      clock += length
    }
  }
  // The delete set. Yjs ignores any bytes after it.
  const numClients = decoding.readVarUint(decoder)
  for (let i = 0; i < numClients; i++) {
    const client = decoding.readVarUint(decoder)
    const numberOfDeletes = decoding.readVarUint(decoder)
    for (let j = 0; j < numberOfDeletes; j++) {
      const clock = decoding.readVarUint(decoder)
      const length = decoding.readVarUint(decoder)
      visitor?.deleteRange(client, clock, length)
    }
  }
  return needsYjs ? DECODE_WITH_YJS : null
}

/**
 * Skips a varUint-prefixed byte array and returns its start. lib0 refuses a length past the end;
 * a NaN length (from a varUint of 147 or more bytes) it lets through, but the position becomes
 * NaN and Yjs's next read, which always comes, throws.
 */
function skipBytes(decoder: decoding.Decoder): number {
  const len = decoding.readVarUint(decoder)
  const start = decoder.pos
  if (!(start + len <= decoder.arr.length)) throw new DecodeError('Unexpected end of array')
  decoder.pos = start + len
  return start
}

/**
 * Skips a varString and returns its length in UTF-16 code units, as lib0's readVarString would
 * decode it: with a TextDecoder that is fatal (invalid UTF-8 throws) and keeps a BOM.
 */
function skipString(decoder: decoding.Decoder): number {
  const start = skipBytes(decoder)
  const arr = decoder.arr
  const end = decoder.pos
  let i = start
  while (i < end && (arr[i] as number) < 0x80) i++
  let units = i - start
  while (i < end) {
    const b = arr[i] as number
    if (b < 0x80) {
      i += 1
      units += 1
    } else {
      // The lead byte gives the length. The second byte's range also refuses overlong forms
      // (E0 needs A0..BF, F0 needs 90..BF), surrogates (ED needs 80..9F) and code points above
      // U+10FFFF (F4 needs 80..8F).
      let len: number
      let lo = 0x80
      let hi = 0xbf
      if (b >= 0xc2 && b <= 0xdf) {
        len = 2
      } else if (b >= 0xe0 && b <= 0xef) {
        len = 3
        if (b === 0xe0) lo = 0xa0
        else if (b === 0xed) hi = 0x9f
      } else if (b >= 0xf0 && b <= 0xf4) {
        len = 4
        if (b === 0xf0) lo = 0x90
        else if (b === 0xf4) hi = 0x8f
      } else {
        throw notUtf8()
      }
      const b1 = arr[i + 1] as number
      if (i + len > end || b1 < lo || b1 > hi) throw notUtf8()
      for (let k = 2; k < len; k++) if (!isContinuation(arr[i + k] as number)) throw notUtf8()
      i += len
      units += len === 4 ? 2 : 1 // four bytes make a surrogate pair
    }
  }
  return units
}

function isContinuation(b: number): boolean {
  return (b & 0xc0) === 0x80
}

function notUtf8(): DecodeError {
  return new DecodeError('The encoded data was not valid for encoding utf-8')
}

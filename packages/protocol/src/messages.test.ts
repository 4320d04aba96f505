import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import {
  bytes,
  concat,
  expectProtocolError,
  hex,
  inPooledBuffer,
  protocolErrorFrom,
} from '../test/helpers.js'
import { CloseCode } from './close-codes.js'
import { ProtocolError } from './errors.js'
import {
  AuthKind,
  decodeMessage,
  encodeAuthDenied,
  encodeAwareness,
  encodeQueryAwareness,
  encodeSaved,
  encodeSavedRequest,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
  isUpdateFrame,
  type Message,
  MessageType,
  SyncStep,
  validateStateVector,
  validateUpdate,
} from './messages.js'

function sampleDoc(): Y.Doc {
  const doc = new Y.Doc()
  doc.clientID = 7
  doc.getText('content').insert(0, 'hello wörld 🌍')
  doc.getText('content').delete(0, 1)
  doc.getMap('meta').set('title', { text: 'Notes', tags: ['a', 'b'] })
  doc.getArray('list').insert(0, [1, 'two', new Uint8Array([3])])
  doc.getXmlFragment('xml').insert(0, [new Y.XmlElement('p')])
  return doc
}

describe('message numbers', () => {
  it("keeps y-websocket's numbering so stock clients interoperate", () => {
    expect(MessageType).toMatchObject({ Sync: 0, Awareness: 1, Auth: 2, QueryAwareness: 3 })
    // Tandem's extensions stay clear of y-websocket's and Hocuspocus's numbers.
    expect(MessageType.SavedRequest).toBe(100)
    expect(MessageType.Saved).toBe(101)
    expect(SyncStep).toEqual({ Step1: 0, Step2: 1, Update: 2 })
    expect(AuthKind).toEqual({ PermissionDenied: 0 })
  })
})

describe('Tandem extensions', () => {
  it('encode saved-request as one byte and saved as a varUint count', () => {
    expect(hex(encodeSavedRequest())).toBe('64')
    expect(hex(encodeSaved(300))).toBe('65' + 'ac02')
  })

  it('isUpdateFrame picks exactly sync step 2 and sync update frames', () => {
    expect(isUpdateFrame(encodeSyncStep2(bytes(0, 0)))).toBe(true)
    expect(isUpdateFrame(encodeSyncUpdate(bytes(0, 0)))).toBe(true)
    expect(isUpdateFrame(encodeSyncStep1(bytes(0)))).toBe(false)
    expect(isUpdateFrame(encodeAwareness(bytes(0)))).toBe(false)
    expect(isUpdateFrame(encodeSavedRequest())).toBe(false)
    expect(isUpdateFrame(new Uint8Array())).toBe(false)
  })
})

describe('encoders', () => {
  it('write messageType, sub-type and a length-prefixed payload', () => {
    expect(hex(encodeSyncStep1(bytes(0)))).toBe('00000100')
    expect(hex(encodeSyncStep2(bytes(1, 2, 3)))).toBe('0001' + '03010203')
    expect(hex(encodeSyncUpdate(bytes(9)))).toBe('0002' + '0109')
    expect(hex(encodeAwareness(bytes(0)))).toBe('01' + '0100')
    expect(hex(encodeQueryAwareness())).toBe('03')
  })

  it('writes the auth reason as a UTF-8 varString', () => {
    expect(hex(encodeAuthDenied('no'))).toBe('0200' + '026e6f')
    expect(hex(encodeAuthDenied('é'))).toBe('0200' + '02c3a9')
    expect(hex(encodeAuthDenied(''))).toBe('020000')
  })

  it('writes empty payloads as a zero length', () => {
    expect(hex(encodeSyncUpdate(new Uint8Array()))).toBe('000200')
    expect(hex(encodeAwareness(new Uint8Array()))).toBe('0100')
  })

  it('writes payload lengths as minimal varUints across the 1-, 2- and 3-byte boundaries', () => {
    const lengthPrefix = (n: number) => hex(encodeSyncUpdate(new Uint8Array(n)).subarray(2, 5))
    expect(lengthPrefix(127).slice(0, 2)).toBe('7f')
    expect(lengthPrefix(128).slice(0, 4)).toBe('8001')
    expect(lengthPrefix(16383).slice(0, 4)).toBe('ff7f')
    expect(lengthPrefix(16384)).toBe('808001')
  })

  it('frames a payload of several megabytes exactly: a 4-byte length, then the payload as is', () => {
    const payload = new Uint8Array(10 * 1024 * 1024 + 3)
    for (let i = 0; i < payload.length; i += 4093) payload[i] = i % 251
    const frame = encodeSyncStep2(payload)
    const reference = encoding.createEncoder()
    encoding.writeVarUint(reference, 0)
    encoding.writeVarUint(reference, 1)
    encoding.writeVarUint8Array(reference, payload)
    const expected = encoding.toUint8Array(reference)
    expect(frame.length).toBe(2 + 4 + payload.length)
    expect(frame.length).toBe(expected.length)
    expect(frame.findIndex((byte, i) => byte !== expected[i])).toBe(-1)
  })
})

describe('decodeMessage', () => {
  const doc = sampleDoc()
  const stateVector = Y.encodeStateVector(doc)
  const update = Y.encodeStateAsUpdate(doc)
  const cases: [string, Uint8Array, Message][] = [
    ['sync step 1', encodeSyncStep1(stateVector), { type: 'sync-step-1', stateVector }],
    ['sync step 2', encodeSyncStep2(update), { type: 'sync-step-2', update }],
    ['sync update', encodeSyncUpdate(update), { type: 'sync-update', update }],
    ['awareness', encodeAwareness(bytes(0)), { type: 'awareness', update: bytes(0) }],
    [
      'auth denied',
      encodeAuthDenied('read-only ✋'),
      { type: 'auth-denied', reason: 'read-only ✋' },
    ],
    ['query awareness', encodeQueryAwareness(), { type: 'query-awareness' }],
    ['saved request', encodeSavedRequest(), { type: 'saved-request' }],
    ['saved', encodeSaved(300), { type: 'saved', updateFrames: 300 }],
  ]

  it.each(cases)('reads what the encoder wrote: %s', (_name, frame, message) => {
    expect(decodeMessage(frame)).toEqual(message)
  })

  it.each(cases)(
    'reads a frame that is a view into a larger buffer: %s',
    (_name, frame, message) => {
      const view = inPooledBuffer(frame, bytes(0xff, 0xff, 0xff), bytes(0, 0, 0))
      expect(decodeMessage(view)).toEqual(message)
    },
  )

  it('returns payloads as views into the frame, not copies', () => {
    const frame = encodeSyncUpdate(update)
    const message = decodeMessage(frame)
    if (message.type !== 'sync-update') throw new Error(`decoded ${message.type}`)
    expect(message.update.buffer).toBe(frame.buffer)
    expect(message.update.byteOffset).toBe(frame.byteOffset + frame.length - update.length)
  })

  it('accepts non-minimal varUints, as lib0 and y-protocols do', () => {
    // messageType 0 written as two bytes, step 0, empty state vector.
    expect(decodeMessage(bytes(0x80, 0x00, 0x00, 0x00))).toEqual({
      type: 'sync-step-1',
      stateVector: new Uint8Array(),
    })
  })

  it('does not read past the end of a view even when the underlying buffer continues', () => {
    const frame = encodeSyncUpdate(bytes(1, 2, 3, 4))
    const truncated = inPooledBuffer(frame.subarray(0, frame.length - 2), bytes(), bytes(3, 4))
    expectProtocolError(() => decodeMessage(truncated), 'truncated')
  })
})

describe('decodeMessage errors', () => {
  it('refuses an empty frame', () => {
    expectProtocolError(() => decodeMessage(new Uint8Array()), 'empty')
  })

  it.each([
    ['messageType', bytes(0x80)],
    ['messageType (long)', bytes(0xff, 0xff, 0xff)],
    ['sync step', bytes(0, 0x81)],
    ['sync payload length', bytes(0, 2, 0x80)],
    ['awareness payload length', bytes(1, 0xff)],
    ['auth kind', bytes(2, 0x80)],
    ['auth reason length', bytes(2, 0, 0x85)],
  ])('refuses a truncated varUint: %s', (_name, frame) => {
    expectProtocolError(() => decodeMessage(frame), 'truncated')
  })

  it.each([
    ['sync without step', bytes(0)],
    ['sync without payload', bytes(0, 1)],
    ['sync payload shorter than declared', bytes(0, 0, 3, 1, 2)],
    ['awareness without payload', bytes(1)],
    ['awareness payload shorter than declared', bytes(1, 5, 0)],
    ['auth without kind', bytes(2)],
    ['auth without reason', bytes(2, 0)],
    ['auth reason shorter than declared', bytes(2, 0, 5, 0x61)],
    ['a declared length beyond any buffer', bytes(0, 2, 0xff, 0xff, 0xff, 0xff, 0x0f)],
  ])('refuses a truncated payload: %s', (_name, frame) => {
    expectProtocolError(() => decodeMessage(frame), 'truncated')
  })

  it.each([
    ['query awareness', concat(encodeQueryAwareness(), bytes(0))],
    ['sync update', concat(encodeSyncUpdate(bytes(9)), bytes(0))],
    ['sync step 1', concat(encodeSyncStep1(bytes(0)), bytes(0, 0))],
    ['awareness', concat(encodeAwareness(bytes(0)), bytes(1))],
    ['auth denied', concat(encodeAuthDenied('x'), bytes(0xff))],
    ['two messages in one frame', concat(encodeQueryAwareness(), encodeQueryAwareness())],
  ])('refuses bytes after the message: %s', (_name, frame) => {
    expectProtocolError(() => decodeMessage(frame), 'trailing-bytes')
  })

  it.each([
    ['4', bytes(4)],
    ['127', bytes(127)],
    ['128 (two-byte varUint)', bytes(0x80, 0x01)],
    ['4 written as a non-minimal varUint', bytes(0x84, 0x00)],
  ])('refuses an unknown message type: %s', (_name, frame) => {
    expectProtocolError(() => decodeMessage(frame), 'unknown-message-type')
  })

  it('refuses an unknown auth kind as an unknown message type', () => {
    expectProtocolError(() => decodeMessage(bytes(2, 1, 0)), 'unknown-message-type')
  })

  it.each([
    ['3', bytes(0, 3, 0)],
    ['128', bytes(0, 0x80, 0x01, 1, 0)],
  ])('refuses an unknown sync step: %s', (_name, frame) => {
    expectProtocolError(() => decodeMessage(frame), 'unknown-sync-step')
  })

  // There is no kind of its own for these two; PROTOCOL.md lists them under `truncated`.
  it('refuses an auth reason that is not UTF-8', () => {
    expectProtocolError(() => decodeMessage(bytes(2, 0, 2, 0xff, 0xfe)), 'truncated')
  })

  it('refuses a varUint above 2^53 - 1', () => {
    expectProtocolError(
      () => decodeMessage(bytes(1, ...new Array(9).fill(0xff), 0x01)),
      'truncated',
    )
  })

  it('throws ProtocolError with close code 1007 and a message', () => {
    const err = protocolErrorFrom(() => decodeMessage(bytes(9)))
    expect(err).toBeInstanceOf(Error)
    expect(err.name).toBe('ProtocolError')
    expect(err.closeCode).toBe(CloseCode.InvalidPayload)
    expect(err.message).toBe('unknown message type 9')
  })
})

describe('validateUpdate', () => {
  it('accepts updates made by Yjs', () => {
    const doc = sampleDoc()
    expect(() => validateUpdate(Y.encodeStateAsUpdate(doc))).not.toThrow()
    expect(() => validateUpdate(Y.encodeStateAsUpdate(new Y.Doc()))).not.toThrow()
    const updates: Uint8Array[] = []
    doc.on('update', (u: Uint8Array) => updates.push(u))
    doc.getText('content').delete(2, 3)
    doc.getMap('meta').delete('title')
    expect(updates).toHaveLength(2)
    for (const u of updates) expect(() => validateUpdate(u)).not.toThrow()
  })

  it('refuses bytes that are not an update', () => {
    for (const bad of [new Uint8Array(), bytes(0xff), bytes(1, 1, 1, 1)]) {
      const err = expectProtocolError(() => validateUpdate(bad), 'invalid-update')
      expect(err.closeCode).toBe(CloseCode.InvalidPayload)
      expect(err.message).toMatch(/^update does not decode: /)
    }
  })

  it('refuses every strict prefix of a real update', () => {
    const update = Y.encodeStateAsUpdate(sampleDoc())
    for (let n = 0; n < update.length; n++) {
      expectProtocolError(() => validateUpdate(update.subarray(0, n)), 'invalid-update')
    }
  })
})

describe('validateStateVector', () => {
  it('accepts state vectors made by Yjs', () => {
    expect(() => validateStateVector(Y.encodeStateVector(new Y.Doc()))).not.toThrow()
    const a = sampleDoc()
    const b = new Y.Doc()
    b.clientID = 2 ** 32 - 1
    b.getText('content').insert(0, 'x')
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b))
    expect(() => validateStateVector(Y.encodeStateVector(a))).not.toThrow()
  })

  it.each([
    ['empty', new Uint8Array()],
    ['count without entries', bytes(1)],
    ['client without clock', bytes(1, 5)],
    ['truncated varUint', bytes(0x80)],
    ['trailing bytes', bytes(0, 0)],
    ['entry after the declared count', bytes(1, 5, 1, 6, 1)],
  ])('refuses a malformed state vector: %s', (_name, sv) => {
    const err = expectProtocolError(() => validateStateVector(sv), 'invalid-update')
    expect(err.message).toMatch(/^state vector does not decode: /)
  })
})

describe('ProtocolError', () => {
  it('is an Error with kind and close code', () => {
    const err = new ProtocolError('truncated', 'cut short', CloseCode.InvalidPayload)
    expect(err).toBeInstanceOf(Error)
    expect(err.name).toBe('ProtocolError')
    expect(err.kind).toBe('truncated')
    expect(err.closeCode).toBe(1007)
    expect(err.message).toBe('cut short')
  })
})

describe('validateUpdate: impossible neighbours', () => {
  it('accepts the items of real editing, including inserts between earlier items', () => {
    const doc = new Y.Doc()
    const text = doc.getText('codemirror')
    const updates: Uint8Array[] = []
    doc.on('update', (u: Uint8Array) => updates.push(u))
    text.insert(0, 'hello world')
    text.insert(5, ',')
    text.delete(0, 1)
    text.insert(0, 'H')
    text.insert(text.length, '!')
    for (const u of updates) expect(() => validateUpdate(u)).not.toThrow()
    expect(() => validateUpdate(Y.encodeStateAsUpdate(doc))).not.toThrow()
  })

  it('refuses an item with the same item on both sides (found by fuzzing the server)', () => {
    // A real update with one byte changed: the item 42:11 has origin and right origin 42:7.
    const update = Uint8Array.from([
      1, 5, 42, 0, 4, 1, 10, 99, 111, 100, 101, 109, 105, 114, 114, 111, 114, 2, 104, 101, 129, 42,
      1, 3, 132, 42, 4, 2, 32, 119, 132, 42, 6, 4, 111, 114, 108, 100, 196, 42, 7, 42, 7, 14, 226,
      156, 139, 32, 101, 109, 111, 106, 105, 32, 240, 159, 142, 137, 1, 42, 1, 2, 3,
    ])
    expect(() => Y.decodeUpdate(update)).not.toThrow()
    expect(() => validateUpdate(update)).toThrow(/same item on both sides/)
  })
})

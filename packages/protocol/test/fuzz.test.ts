// Seeded property tests. Every fc.assert uses seed 42, so a run is repeatable and a failure
// prints a counterexample that reproduces. The decoders consume at least one byte per loop
// iteration, so hostile counts cannot make them spin; fast-check cannot interrupt synchronous
// code, so a hang would show as this file never finishing.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as Y from 'yjs'
import {
  type AwarenessEntry,
  decodeAwarenessUpdate,
  decodeMessage,
  encodeAuthDenied,
  encodeAwareness,
  encodeAwarenessUpdate,
  encodeQueryAwareness,
  encodeSaved,
  encodeSavedRequest,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
  type Message,
  ProtocolError,
  validateStateVector,
  validateUpdate,
} from '../src/index.js'
import { concat, expectProtocolError, hex, inPooledBuffer } from './helpers.js'

const runs = (numRuns: number) => ({ seed: 42, numRuns })

function encodeMessage(message: Message): Uint8Array {
  switch (message.type) {
    case 'sync-step-1':
      return encodeSyncStep1(message.stateVector)
    case 'sync-step-2':
      return encodeSyncStep2(message.update)
    case 'sync-update':
      return encodeSyncUpdate(message.update)
    case 'awareness':
      return encodeAwareness(message.update)
    case 'auth-denied':
      return encodeAuthDenied(message.reason)
    case 'query-awareness':
      return encodeQueryAwareness()
    case 'saved-request':
      return encodeSavedRequest()
    case 'saved':
      return encodeSaved(message.updateFrames)
  }
}

/** Runs `fn`; returns its result, or undefined if it threw a ProtocolError. Rethrows anything else. */
function orProtocolError<T>(fn: () => T): T | undefined {
  try {
    return fn()
  } catch (err) {
    if (err instanceof ProtocolError) return undefined
    throw err
  }
}

// Payloads: mostly small, sometimes long enough for 2- and 3-byte length prefixes.
const payload: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 9, arbitrary: fc.uint8Array({ maxLength: 48 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 120, max: 17_000 }), fc.nat(255))
      .map(([n, seed]) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff)),
  },
)

const message: fc.Arbitrary<Message> = fc.oneof(
  payload.map((stateVector): Message => ({ type: 'sync-step-1', stateVector })),
  payload.map((update): Message => ({ type: 'sync-step-2', update })),
  payload.map((update): Message => ({ type: 'sync-update', update })),
  payload.map((update): Message => ({ type: 'awareness', update })),
  fc
    .string({ unit: 'binary', maxLength: 200 })
    .map((reason): Message => ({ type: 'auth-denied', reason })),
  fc.constant<Message>({ type: 'query-awareness' }),
  fc.constant<Message>({ type: 'saved-request' }),
  fc
    .nat({ max: Number.MAX_SAFE_INTEGER })
    .map((updateFrames): Message => ({ type: 'saved', updateFrames })),
)

type Edit =
  | { op: 'insert'; at: number; text: string }
  | { op: 'delete'; at: number; length: number }
  | { op: 'set'; key: string; value: fc.JsonValue }
  | { op: 'push'; value: number | string | Uint8Array }

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant('insert'), at: fc.nat(), text: fc.string({ unit: 'binary' }) }),
  fc.record({ op: fc.constant('delete'), at: fc.nat(), length: fc.integer({ min: 1, max: 6 }) }),
  fc.record({
    op: fc.constant('set'),
    key: fc.string({ maxLength: 3 }),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
  fc.record({
    op: fc.constant('push'),
    value: fc.oneof(fc.integer(), fc.string(), fc.uint8Array({ maxLength: 4 })),
  }),
)

/** A real document built from random edits by two clients, and the updates they produced. */
const realDoc = fc
  .record({
    clients: fc.tuple(fc.nat(), fc.nat()),
    edits: fc.array(fc.tuple(fc.boolean(), edit), { minLength: 1, maxLength: 12 }),
  })
  .map(({ clients, edits }) => {
    const docs = clients.map((id) => {
      const doc = new Y.Doc()
      doc.clientID = id
      return doc
    })
    const updates: Uint8Array[] = []
    docs[0]!.on('update', (u: Uint8Array) => updates.push(u))
    for (const [second, e] of edits) {
      const doc = docs[second ? 1 : 0]!
      const text = doc.getText('t')
      if (e.op === 'insert') text.insert(e.at % (text.length + 1), e.text)
      else if (e.op === 'delete' && text.length > 0) text.delete(e.at % text.length, e.length)
      else if (e.op === 'set') doc.getMap('m').set(e.key, e.value)
      else if (e.op === 'push') doc.getArray('a').push([e.value])
      Y.applyUpdate(docs[0]!, Y.encodeStateAsUpdate(docs[1]!))
    }
    return { doc: docs[0]!, updates }
  })

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'append'; bytes: Uint8Array }
  | { kind: 'insert'; at: number; byte: number }
  | { kind: 'delete'; at: number }
  | { kind: 'overwrite'; at: number; bytes: Uint8Array }

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip'), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('truncate'), at: fc.nat() }),
  fc.record({ kind: fc.constant('append'), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('insert'), at: fc.nat(), byte: fc.nat(255) }),
  fc.record({ kind: fc.constant('delete'), at: fc.nat() }),
  fc.record({
    kind: fc.constant('overwrite'),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 10 }),
  }),
)
const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 })

function mutate(input: Uint8Array, list: Mutation[]): Uint8Array {
  let bytes: Uint8Array = Uint8Array.from(input)
  for (const m of list) {
    const at = bytes.length === 0 ? 0 : 'at' in m ? m.at % bytes.length : 0
    switch (m.kind) {
      case 'flip':
        if (bytes.length > 0) bytes[at]! ^= 1 << m.bit
        break
      case 'truncate':
        bytes = bytes.slice(0, at)
        break
      case 'append':
        bytes = concat(bytes, m.bytes)
        break
      case 'insert':
        bytes = concat(bytes.subarray(0, at), Uint8Array.of(m.byte), bytes.subarray(at))
        break
      case 'delete':
        bytes = concat(bytes.subarray(0, at), bytes.subarray(at + 1))
        break
      case 'overwrite':
        bytes.set(m.bytes.subarray(0, Math.max(0, bytes.length - at)), at)
        break
    }
  }
  return bytes
}

/** A message with its byte arrays as hex, which compares much faster than element by element. */
function comparable(m: Message) {
  return Object.fromEntries(
    Object.entries(m).map(([k, v]) => [k, v instanceof Uint8Array ? hex(v) : v]),
  )
}

function expectSameMessage(actual: Message, expected: Message) {
  expect(comparable(actual)).toEqual(comparable(expected))
}

/** A decoded message, re-encoded and decoded again, is the same message. */
function expectStable(decoded: Message) {
  expectSameMessage(decodeMessage(encodeMessage(decoded)), decoded)
}

describe('decodeMessage (properties)', () => {
  it('decodes what the encoders wrote', () => {
    fc.assert(
      fc.property(message, (m) => {
        expectSameMessage(decodeMessage(encodeMessage(m)), m)
      }),
      runs(1000),
    )
  })

  it('decodes a frame that is a view into a larger buffer', () => {
    fc.assert(
      fc.property(message, fc.uint8Array(), fc.uint8Array(), (m, before, after) => {
        expectSameMessage(decodeMessage(inPooledBuffer(encodeMessage(m), before, after)), m)
      }),
      runs(500),
    )
  })

  it('refuses every strict prefix as truncated, even when the buffer continues', () => {
    fc.assert(
      fc.property(message, fc.nat(), (m, cut) => {
        const frame = encodeMessage(m)
        const length = cut % frame.length
        const prefix = inPooledBuffer(
          frame.subarray(0, length),
          new Uint8Array(),
          frame.subarray(length),
        )
        expectProtocolError(() => decodeMessage(prefix), length === 0 ? 'empty' : 'truncated')
      }),
      runs(1000),
    )
  })

  it('refuses any bytes appended to a message as trailing', () => {
    fc.assert(
      fc.property(message, fc.uint8Array({ minLength: 1, maxLength: 16 }), (m, extra) => {
        const frame = concat(encodeMessage(m), extra)
        expectProtocolError(() => decodeMessage(frame), 'trailing-bytes')
      }),
      runs(1000),
    )
  })

  it('returns a message or throws ProtocolError for mutated messages', () => {
    fc.assert(
      fc.property(message, mutations, (m, list) => {
        const decoded = orProtocolError(() => decodeMessage(mutate(encodeMessage(m), list)))
        if (decoded) expectStable(decoded)
      }),
      runs(2000),
    )
  })

  it('returns a message or throws ProtocolError for mutated real sync frames', () => {
    fc.assert(
      fc.property(realDoc, mutations, ({ doc }, list) => {
        for (const frame of [
          encodeSyncStep1(Y.encodeStateVector(doc)),
          encodeSyncStep2(Y.encodeStateAsUpdate(doc)),
        ]) {
          const decoded = orProtocolError(() => decodeMessage(mutate(frame, list)))
          if (decoded) expectStable(decoded)
          if (decoded?.type === 'sync-step-2') orProtocolError(() => validateUpdate(decoded.update))
        }
      }),
      runs(200),
    )
  })

  it('returns a message or throws ProtocolError for random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (frame) => {
        const decoded = orProtocolError(() => decodeMessage(frame))
        if (decoded) expectStable(decoded)
      }),
      runs(2000),
    )
  })
})

const awarenessEntry: fc.Arbitrary<AwarenessEntry> = fc.record({
  clientId: fc.maxSafeNat(),
  clock: fc.maxSafeNat(),
  state: fc.option(fc.json({ maxDepth: 2, stringUnit: 'binary' })),
})
const awarenessEntries = fc.array(awarenessEntry, { maxLength: 6 })

describe('awareness updates (properties)', () => {
  it('decode what the encoder wrote', () => {
    fc.assert(
      fc.property(awarenessEntries, (entries) => {
        // The JSON text `null` is a removal, whichever way it was written.
        const expected = entries.map((e) => ({ ...e, state: e.state === 'null' ? null : e.state }))
        expect(decodeAwarenessUpdate(encodeAwarenessUpdate(entries))).toEqual(expected)
      }),
      runs(500),
    )
  })

  it('mutated updates decode within the limit or throw ProtocolError, and y-protocols agrees', () => {
    const maxStateBytes = 64
    const peer = new awarenessProtocol.Awareness(new Y.Doc())
    try {
      fc.assert(
        fc.property(awarenessEntries, mutations, (entries, list) => {
          const update = mutate(encodeAwarenessUpdate(entries), list)
          let decoded: AwarenessEntry[] | undefined
          try {
            decoded = decodeAwarenessUpdate(update, maxStateBytes)
          } catch (err) {
            expect(err).toBeInstanceOf(ProtocolError)
            expect((err as ProtocolError).kind).toBe('invalid-awareness')
            return
          }
          for (const { state } of decoded) {
            if (state === null) continue
            expect(new TextEncoder().encode(state).length).toBeLessThanOrEqual(maxStateBytes)
            expect(() => JSON.parse(state)).not.toThrow()
          }
          // What Tandem accepts, the reference implementation accepts too.
          expect(() => awarenessProtocol.applyAwarenessUpdate(peer, update, 'fuzz')).not.toThrow()
        }),
        runs(2000),
      )
    } finally {
      peer.destroy()
    }
  })
})

describe('validateUpdate and validateStateVector (properties)', () => {
  it('accept every update and state vector Yjs produces', () => {
    fc.assert(
      fc.property(realDoc, ({ doc, updates }) => {
        validateUpdate(Y.encodeStateAsUpdate(doc))
        for (const u of updates) validateUpdate(u)
        validateStateVector(Y.encodeStateVector(doc))
      }),
      runs(200),
    )
  })

  it('mutated updates pass or throw ProtocolError invalid-update', () => {
    fc.assert(
      fc.property(realDoc, mutations, ({ doc, updates }, list) => {
        for (const update of [Y.encodeStateAsUpdate(doc), ...updates.slice(0, 2)]) {
          try {
            validateUpdate(mutate(update, list))
          } catch (err) {
            expect(err).toBeInstanceOf(ProtocolError)
            expect((err as ProtocolError).kind).toBe('invalid-update')
          }
        }
      }),
      runs(500),
    )
  })

  it('random and mutated state vectors pass or throw ProtocolError, agreeing with Yjs', () => {
    const stateVector = fc.oneof(
      fc.uint8Array({ maxLength: 24 }),
      fc.tuple(realDoc, mutations).map(([{ doc }, list]) => mutate(Y.encodeStateVector(doc), list)),
    )
    fc.assert(
      fc.property(stateVector, (sv) => {
        const ok = orProtocolError(() => {
          validateStateVector(sv)
          return true
        })
        if (ok) expect(() => Y.decodeStateVector(sv)).not.toThrow()
      }),
      runs(1000),
    )
  })
})

// Golden wire fixtures: the .bin files in ./fixtures were written by y-protocols itself (see
// fixtures/generate.mjs, which is how to regenerate them). These tests compare Tandem's
// encoders against the committed bytes and never rewrite them.
import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as Y from 'yjs'
import {
  decodeAwarenessUpdate,
  decodeMessage,
  encodeAuthDenied,
  encodeAwareness,
  encodeAwarenessUpdate,
  encodeQueryAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
  type Message,
  validateStateVector,
  validateUpdate,
} from '../src/index.js'
import {
  awarenessState,
  buildScenario,
  clientB,
  deniedReason,
  finalText,
} from './fixtures/scenario.mjs'
import { hex } from './helpers.js'

const fixturesDir = new URL('./fixtures/', import.meta.url)

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`${name}.bin`, fixturesDir)))
}

const { doc, incrementalUpdate } = buildScenario()
const emptyDoc = new Y.Doc()
const stateJson = JSON.stringify(awarenessState)

const cases: Record<string, { encode: () => Uint8Array; message: Message }> = {
  'sync-step-1': {
    encode: () => encodeSyncStep1(Y.encodeStateVector(doc)),
    message: { type: 'sync-step-1', stateVector: Y.encodeStateVector(doc) },
  },
  'sync-step-1-empty': {
    encode: () => encodeSyncStep1(Y.encodeStateVector(emptyDoc)),
    message: { type: 'sync-step-1', stateVector: Uint8Array.of(0) },
  },
  'sync-step-2': {
    encode: () => encodeSyncStep2(Y.encodeStateAsUpdate(doc)),
    message: { type: 'sync-step-2', update: Y.encodeStateAsUpdate(doc) },
  },
  'sync-step-2-empty': {
    encode: () => encodeSyncStep2(Y.encodeStateAsUpdate(emptyDoc)),
    message: { type: 'sync-step-2', update: Uint8Array.of(0, 0) },
  },
  'sync-update': {
    encode: () => encodeSyncUpdate(incrementalUpdate),
    message: { type: 'sync-update', update: incrementalUpdate },
  },
  awareness: {
    encode: () =>
      encodeAwareness(encodeAwarenessUpdate([{ clientId: clientB, clock: 1, state: stateJson }])),
    message: {
      type: 'awareness',
      update: encodeAwarenessUpdate([{ clientId: clientB, clock: 1, state: stateJson }]),
    },
  },
  'awareness-removed': {
    encode: () =>
      encodeAwareness(encodeAwarenessUpdate([{ clientId: clientB, clock: 2, state: null }])),
    message: {
      type: 'awareness',
      update: encodeAwarenessUpdate([{ clientId: clientB, clock: 2, state: null }]),
    },
  },
  'auth-denied': {
    encode: () => encodeAuthDenied(deniedReason),
    message: { type: 'auth-denied', reason: deniedReason },
  },
  'query-awareness': {
    encode: () => encodeQueryAwareness(),
    message: { type: 'query-awareness' },
  },
}

describe('golden fixtures', () => {
  it('there is exactly one fixture file per case', () => {
    const files = readdirSync(fixturesDir).filter((f) => f.endsWith('.bin'))
    expect(files.map((f) => f.slice(0, -'.bin'.length)).sort()).toEqual(Object.keys(cases).sort())
  })

  describe.each(Object.entries(cases))('%s', (name, { encode, message }) => {
    it('our encoder writes exactly the committed bytes', () => {
      expect(hex(encode())).toBe(hex(fixture(name)))
    })

    it('our decoder reads the committed bytes', () => {
      expect(decodeMessage(fixture(name))).toEqual(message)
    })
  })
})

describe('golden fixture payloads', () => {
  it('the sync step 1 state vector is valid and names both clients', () => {
    const message = decodeMessage(fixture('sync-step-1'))
    if (message.type !== 'sync-step-1') throw new Error(`decoded ${message.type}`)
    validateStateVector(message.stateVector)
    expect(Y.decodeStateVector(message.stateVector)).toEqual(
      new Map([
        [1, 8],
        [2, 2],
      ]),
    )
  })

  it('the sync step 2 update rebuilds the document', () => {
    const message = decodeMessage(fixture('sync-step-2'))
    if (message.type !== 'sync-step-2') throw new Error(`decoded ${message.type}`)
    validateUpdate(message.update)
    const replica = new Y.Doc()
    Y.applyUpdate(replica, message.update)
    expect(replica.getText('content').toString()).toBe(finalText)
    expect(replica.getMap('meta').get('title')).toBe('Notes')
  })

  it('the sync update carries the second client’s edit, including a deletion', () => {
    const message = decodeMessage(fixture('sync-update'))
    if (message.type !== 'sync-update') throw new Error(`decoded ${message.type}`)
    validateUpdate(message.update)
    const decoded = Y.decodeUpdate(message.update)
    expect(decoded.ds.clients.get(1)).toHaveLength(1)
    expect(decoded.structs.every((s) => s.id.client === clientB)).toBe(true)
  })

  it('the awareness updates carry the state and then its removal', () => {
    const present = decodeMessage(fixture('awareness'))
    const removed = decodeMessage(fixture('awareness-removed'))
    if (present.type !== 'awareness' || removed.type !== 'awareness')
      throw new Error('not awareness')
    expect(decodeAwarenessUpdate(present.update)).toEqual([
      { clientId: clientB, clock: 1, state: stateJson },
    ])
    expect(decodeAwarenessUpdate(removed.update)).toEqual([
      { clientId: clientB, clock: 2, state: null },
    ])
    const peer = new awarenessProtocol.Awareness(new Y.Doc())
    try {
      awarenessProtocol.applyAwarenessUpdate(peer, present.update, 'test')
      expect(peer.getStates().get(clientB)).toEqual(awarenessState)
      awarenessProtocol.applyAwarenessUpdate(peer, removed.update, 'test')
      expect(peer.getStates().has(clientB)).toBe(false)
    } finally {
      peer.destroy()
    }
  })
})

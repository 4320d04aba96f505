import {
  decodeMessage,
  encodeAwareness,
  encodeAwarenessUpdate,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
} from '@tandem/protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createLogger } from '../log.js'
import { MemoryStore } from '../persistence/memory.js'
import type { Peer } from './peer.js'
import { defaultRoomLimits, Room } from './room.js'

const options = {
  ...defaultRoomLimits,
  maxAwarenessStateBytes: 1024,
  compactAfterUpdates: 1000,
  quietEchoMs: 10_000,
}
const log = createLogger('silent')

class FuzzPeer implements Peer {
  closedWith: number | null = null
  frames = 0
  constructor(readonly id: string) {}
  send(frame: Uint8Array): void {
    // Everything the room sends must itself be a well-formed message.
    decodeMessage(frame)
    this.frames++
  }
  close(code: number): void {
    this.closedWith ??= code
  }
}

/** Real frames of every kind, to mutate. */
function realFrames(): Uint8Array[] {
  const doc = new Y.Doc()
  doc.clientID = 42
  const updates: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => updates.push(u))
  const text = doc.getText('codemirror')
  text.insert(0, 'hello world')
  text.delete(2, 3)
  text.insert(4, '✋ emoji 🎉')
  const state = JSON.stringify({ user: { name: 'Ada', color: '#ff0000' }, cursor: null })
  return [
    ...updates.map(encodeSyncUpdate),
    encodeSyncStep2(Y.encodeStateAsUpdate(doc)),
    encodeSyncStep1(Y.encodeStateVector(doc)),
    encodeAwareness(encodeAwarenessUpdate([{ clientId: 42, clock: 3, state }])),
  ]
}

const mutation = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    bit: fc.integer({ min: 0, max: 7 }),
  }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('append' as const),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant('set' as const),
    at: fc.nat(),
    value: fc.integer({ min: 0, max: 255 }),
  }),
)

function mutate(frame: Uint8Array, m: fc.Arbitrary<never> extends never ? never : never): Uint8Array
function mutate(
  frame: Uint8Array,
  m: { kind: string; at?: number; bit?: number; bytes?: Uint8Array; value?: number },
): Uint8Array
function mutate(
  frame: Uint8Array,
  m: { kind: string; at?: number; bit?: number; bytes?: Uint8Array; value?: number },
): Uint8Array {
  const out = frame.slice()
  const at = (m.at ?? 0) % Math.max(1, out.length)
  switch (m.kind) {
    case 'flip':
      out[at] = out[at]! ^ (1 << (m.bit ?? 0))
      return out
    case 'cut':
      return out.slice(0, at)
    case 'append':
      return new Uint8Array([...out, ...(m.bytes ?? [])])
    default:
      out[at] = m.value ?? 0
      return out
  }
}

describe('Room under random and mutated messages (fast-check, seeded)', () => {
  it('T15: a bad frame closes only its sender (1007); the document stays valid and others keep editing', async () => {
    const frames = realFrames()
    const frame = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.tuple(fc.constantFrom(...frames), mutation).map(([f, m]) => mutate(f, m)),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 20 }), async (batch) => {
        const store = new MemoryStore()
        const room = await Room.load('doc', store, options, log)
        const witness = new FuzzPeer('witness')
        room.join(witness)
        for (const [i, bytes] of batch.entries()) {
          const attacker = new FuzzPeer(`a${i}`)
          room.join(attacker)
          expect(() => room.receive(attacker, bytes)).not.toThrow()
          expect([null, 1007]).toContain(attacker.closedWith)
        }
        await room.flush()
        // The room's state still decodes, a fresh client can sync, and the witness can edit.
        const fresh = new Y.Doc()
        Y.applyUpdate(fresh, room.update)
        const edit = new Y.Doc()
        Y.applyUpdate(edit, room.update)
        edit.getText('codemirror').insert(0, 'still works')
        room.receive(witness, encodeSyncUpdate(Y.encodeStateAsUpdate(edit)))
        await room.flush()
        expect(witness.closedWith).toBeNull()
        const after = new Y.Doc()
        Y.applyUpdate(after, room.update)
        expect(after.getText('codemirror').toString()).toContain('still works')
        // What is stored reproduces exactly what the room serves (crafted updates can make
        // Yjs's merge and its sequential integration disagree; see SECURITY.md, so the
        // comparison is between what the server serves before and after a reload).
        const reloaded = await Room.load('doc', store, options, log)
        const served = new Y.Doc()
        Y.applyUpdate(served, reloaded.update)
        expect(served.getText('codemirror').toString()).toBe(after.getText('codemirror').toString())
      }),
      { seed: 4242, numRuns: 150 },
    )
  })
})

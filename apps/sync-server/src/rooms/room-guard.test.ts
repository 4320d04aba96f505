// What a participant with an edit link can send that is well formed but hostile (SPEC U).
import {
  CloseCode,
  DocStructure,
  encodeAwareness,
  encodeAwarenessUpdate,
  encodeSavedRequest,
  encodeSyncStep1,
  encodeSyncUpdate,
} from '@tandem/protocol'
import { describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { TestPeer } from '../../test/peer.js'
import { poisonousPair, textEdit } from '../../test/poison.js'
import { createLogger } from '../log.js'
import { MemoryStore } from '../persistence/memory.js'
import { defaultRoomLimits, Room, type RoomOptions } from './room.js'
import { Rooms } from './rooms.js'

const options: RoomOptions = {
  ...defaultRoomLimits,
  updateLimits: { ...defaultRoomLimits.updateLimits, maxTypeDepth: 8 },
  maxAwarenessStateBytes: 1024,
  maxAwarenessClientsPerRoom: 50,
  compactAfterUpdates: 1000,
  quietEchoMs: 10_000,
}
const log = createLogger('silent')

async function roomOf(
  peers: TestPeer[],
  roomOptions: RoomOptions = options,
): Promise<{ store: MemoryStore; room: Room }> {
  const store = new MemoryStore()
  const room = await Room.load('doc', store, roomOptions, log)
  for (const peer of peers) room.join(peer)
  return { store, room }
}

async function storedText(store: MemoryStore): Promise<string> {
  const stored = await store.load('doc')
  const doc = new Y.Doc()
  if (stored?.snapshot) Y.applyUpdate(doc, stored.snapshot)
  for (const update of stored?.updates ?? []) Y.applyUpdate(doc, update)
  return doc.getText('codemirror').toString()
}

/** One update per level of a chain of maps `depth` types deep (the root map is depth 1). */
function nestedChain(depth: number): Uint8Array[] {
  const doc = new Y.Doc()
  const out: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => out.push(u))
  let map = doc.getMap('root')
  for (let level = 2; level <= depth; level++) {
    const child = new Y.Map<unknown>()
    map.set('c', child)
    map = child
  }
  return out
}

/** Client 1 writes `hello`; client 2, having seen it, writes after it. */
function dependentPair(): { first: Uint8Array; second: Uint8Array } {
  const a = new Y.Doc()
  a.clientID = 1
  a.getText('codemirror').insert(0, 'hello')
  const first = Y.encodeStateAsUpdate(a)
  const b = new Y.Doc()
  b.clientID = 2
  Y.applyUpdate(b, first)
  const sv = Y.encodeStateVector(b)
  b.getText('codemirror').insert(5, ' world')
  return { first, second: Y.encodeStateAsUpdate(b, sv) }
}

function awareness(entries: { clientId: number; clock: number; state: object | null }[]) {
  return encodeAwareness(
    encodeAwarenessUpdate(
      entries.map((e) => ({ ...e, state: e.state && JSON.stringify(e.state) })),
    ),
  )
}

describe('Room: hostile but well-formed input', () => {
  it('U1: an update nesting types deeper than the limit closes its sender with 4413 and changes nothing', async () => {
    const attacker = new TestPeer('attacker')
    const other = new TestPeer('other')
    const { store, room } = await roomOf([attacker, other])
    const chain = nestedChain(options.updateLimits.maxTypeDepth + 1)
    for (const update of chain) room.receive(attacker, encodeSyncUpdate(update))
    await room.flush()
    expect(attacker.closed?.code).toBe(CloseCode.UpdateRefused)
    // Every level up to the limit was stored and relayed; the one past it was not.
    const stored = await store.load('doc')
    expect(stored?.updates).toHaveLength(chain.length - 1)
    expect(other.updates()).toHaveLength(chain.length - 1)
    const fresh = new Y.Doc()
    Y.applyUpdate(fresh, room.update)
    let depth = 1
    for (let m = fresh.getMap('root').get('c'); m instanceof Y.Map; m = m.get('c')) depth++
    expect(depth).toBe(options.updateLimits.maxTypeDepth)
  })

  it('U4: an update whose dependencies are missing is held, then stored, relayed and acknowledged in order', async () => {
    const writer = new TestPeer('writer')
    const late = new TestPeer('late')
    const reader = new TestPeer('reader')
    const { store, room } = await roomOf([writer, late, reader])
    const { first, second } = dependentPair()
    room.receive(writer, encodeSavedRequest())
    room.receive(writer, encodeSyncUpdate(second))
    const later = new Y.Doc()
    later.clientID = 3
    later.getText('codemirror').insert(0, '!')
    const third = Y.encodeStateAsUpdate(later)
    room.receive(writer, encodeSyncUpdate(third))
    await room.flush()
    // Held: neither stored, relayed nor acknowledged, nor is the frame behind it.
    expect(await store.load('doc')).toBeNull()
    expect(reader.updates()).toHaveLength(0)
    expect(writer.received.filter((m) => m.type === 'saved').at(-1)).toEqual({
      type: 'saved',
      updateFrames: 0,
    })
    room.receive(late, encodeSyncUpdate(first))
    await room.flush()
    const expected = new Y.Doc()
    for (const u of [first, second, third]) Y.applyUpdate(expected, u)
    await vi.waitFor(async () =>
      expect(await storedText(store)).toBe(expected.getText('codemirror').toString()),
    )
    expect(reader.updates()).toHaveLength(3)
    await vi.waitFor(() =>
      expect(writer.received.filter((m) => m.type === 'saved').at(-1)).toEqual({
        type: 'saved',
        updateFrames: 2,
      }),
    )
    expect(writer.closed).toBeNull()
  })

  it('U4: an update still missing its dependencies after the timeout closes its sender with 4512', async () => {
    const writer = new TestPeer('writer')
    const { store, room } = await roomOf([writer], { ...options, pendingTimeoutMs: 20 })
    room.receive(writer, encodeSyncUpdate(dependentPair().second))
    await vi.waitFor(() => expect(writer.closed?.code).toBe(CloseCode.DependenciesMissing))
    await room.flush()
    expect(await store.load('doc')).toBeNull()
  })

  it('U4: held updates beyond the byte budget close their sender with 4512', async () => {
    const writer = new TestPeer('writer')
    const { second } = dependentPair()
    const { room } = await roomOf([writer], { ...options, maxPendingBytes: second.length * 2 })
    room.receive(writer, encodeSyncUpdate(second))
    room.receive(writer, encodeSyncUpdate(second))
    expect(writer.closed).toBeNull()
    room.receive(writer, encodeSyncUpdate(second))
    expect(writer.closed?.code).toBe(CloseCode.DependenciesMissing)
  })

  it('U5: a peer owns at most a few presence ids; a message naming more than a room holds closes it', async () => {
    const attacker = new TestPeer('attacker')
    const other = new TestPeer('other')
    const { room } = await roomOf([attacker, other])
    const ids = Array.from({ length: 10 }, (_, i) => ({ clientId: 100 + i, clock: 1, state: {} }))
    room.receive(attacker, awareness(ids))
    expect(new Set(other.awareness().map((e) => e.clientId)).size).toBe(
      options.maxAwarenessClientsPerConnection,
    )
    const flood = Array.from({ length: options.maxAwarenessClientsPerRoom + 1 }, (_, i) => ({
      clientId: 1000 + i,
      clock: 1,
      state: null,
    }))
    room.receive(attacker, awareness(flood))
    expect(attacker.closed?.code).toBe(CloseCode.PolicyViolation)
    // Its states are removed for everyone when it is closed.
    expect(other.awareness().filter((e) => e.state === null)).toHaveLength(
      options.maxAwarenessClientsPerConnection,
    )
  })

  it('U5: the room holds at most maxAwarenessClientsPerRoom present clients', async () => {
    const peers = Array.from({ length: 20 }, (_, i) => new TestPeer(`p${i}`))
    const watcher = new TestPeer('watcher')
    const small = { ...options, maxAwarenessClientsPerRoom: 10 }
    const { room } = await roomOf([watcher, ...peers], small)
    for (const [i, peer] of peers.entries()) {
      room.receive(peer, awareness([{ clientId: i + 1, clock: 1, state: {} }]))
    }
    expect(watcher.awareness()).toHaveLength(10)
  })

  it('U6: a connection gets a few answers to sync step 1 at once, then one per allowance, to its latest question', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] })
    try {
      const reader = new TestPeer('reader')
      const { room } = await roomOf([reader])
      const step2s = () =>
        reader.received.flatMap((m) => (m.type === 'sync-step-2' ? [m.update] : []))
      await room.applyUpdate(dependentPair().first)
      const nothing = new Uint8Array([0])
      for (let i = 0; i < 5; i++) room.receive(reader, encodeSyncStep1(nothing))
      // The latest question, different from the others: the one answered when allowed.
      const partly = new Y.Doc()
      Y.applyUpdate(partly, room.update)
      room.receive(reader, encodeSyncStep1(Y.encodeStateVector(partly)))
      expect(step2s()).toHaveLength(2)
      await vi.advanceTimersByTimeAsync(10_000)
      const answers = step2s()
      expect(answers).toHaveLength(3)
      // It has everything: the answer to its latest question adds nothing.
      const before = Y.encodeStateVector(partly)
      Y.applyUpdate(partly, answers[2]!)
      expect(Y.encodeStateVector(partly)).toEqual(before)
      expect(answers[2]!.length).toBeLessThan(answers[0]!.length)
      await vi.advanceTimersByTimeAsync(60_000)
      expect(step2s()).toHaveLength(3)
      expect(reader.closed).toBeNull()
    } finally {
      vi.useRealTimers()
    }
  })

  it('U7: token-stamped presence keeps the name, a #rrggbb colour and a derived colorLight only', async () => {
    const ada = new TestPeer('ada', { identity: { name: 'Ada' } })
    const other = new TestPeer('other')
    const { room } = await roomOf([ada, other])
    const state = {
      cursor: null,
      user: {
        name: 'Not Ada',
        color: '#12ab34',
        colorLight: '#f003; position: fixed; inset: 0',
        banner: 'sign in at evil.example',
      },
    }
    room.receive(ada, awareness([{ clientId: 5, clock: 1, state }]))
    const [entry] = other.awareness()
    expect(JSON.parse(entry?.state ?? 'null')).toEqual({
      cursor: null,
      user: { name: 'Ada', verified: true, color: '#12ab34', colorLight: '#12ab3433' },
    })
    room.receive(ada, awareness([{ clientId: 5, clock: 2, state: { user: { color: 'red; x' } } }]))
    expect(JSON.parse(other.awareness()[1]?.state ?? 'null')).toEqual({
      user: { name: 'Ada', verified: true },
    })
  })

  it('T46: only the server marks a name verified; a client claiming it has the mark removed', async () => {
    const mallory = new TestPeer('mallory')
    const other = new TestPeer('other')
    const { room } = await roomOf([mallory, other])
    const claim = { user: { name: 'Ada', color: '#12ab34', verified: true }, cursor: { a: 1 } }
    room.receive(mallory, awareness([{ clientId: 9, clock: 1, state: claim }]))
    expect(JSON.parse(other.awareness()[0]?.state ?? 'null')).toEqual({
      user: { name: 'Ada', color: '#12ab34' },
      cursor: { a: 1 },
    })
  })

  it('U8: a join whose state cannot be computed leaves no peer behind, and the room unloads', async () => {
    const store = new MemoryStore()
    const rooms = new Rooms(store, { ...options, unloadDelayMs: 1 }, log)
    const failing = vi.spyOn(DocStructure.prototype, 'stateVector').mockImplementationOnce(() => {
      throw new RangeError('Maximum call stack size exceeded')
    })
    await expect(rooms.join('doc', new TestPeer('ghost'))).rejects.toThrow(RangeError)
    failing.mockRestore()
    await vi.waitFor(async () => expect(await rooms.get('doc')).toBeUndefined())
    await rooms.close()
  })

  it('Q3: a room loaded from a poisoned log serves the good text, and compaction keeps the poison apart', async () => {
    const store = new MemoryStore()
    const hello = textEdit(null, 'hello', 1)
    const [chain, deletion] = poisonousPair(6_000)
    for (const update of [hello, chain, deletion, textEdit(hello, ' world', 2, 5)]) {
      await store.append('doc', update)
    }
    const room = await Room.load('doc', store, options, log)
    const doc = new Y.Doc()
    Y.applyUpdate(doc, room.update)
    expect(doc.getText('codemirror').toString()).toBe('hello world')
    await room.compact()
    expect((await store.listSetAside('doc')).map((u) => u.seq)).toEqual([3])
    expect((await store.load('doc'))?.updates).toHaveLength(0)
    await room.close()
  })

  it('V3: a read-only peer is told its empty frames are saved, and never an edit it was not allowed', async () => {
    const viewer = new TestPeer('viewer', { readOnly: true })
    const other = new TestPeer('other')
    const { store, room } = await roomOf([viewer, other])
    const saved = () => viewer.received.filter((m) => m.type === 'saved').at(-1)
    room.receive(viewer, encodeSavedRequest())
    room.receive(viewer, encodeSyncUpdate(new Uint8Array([0, 0])))
    await vi.waitFor(() => expect(saved()).toEqual({ type: 'saved', updateFrames: 1 }))
    room.receive(viewer, encodeSyncUpdate(dependentPair().first))
    room.receive(viewer, encodeSyncUpdate(new Uint8Array([0, 0])))
    await room.flush()
    expect(saved()).toEqual({ type: 'saved', updateFrames: 1 })
    expect(await store.load('doc')).toBeNull()
    expect(other.updates()).toHaveLength(0)
    expect(viewer.closed).toBeNull()
  })
})

import {
  decodeAwarenessUpdate,
  encodeAwareness,
  encodeAwarenessUpdate,
  encodeSavedRequest,
  encodeSyncStep1,
  encodeSyncUpdate,
} from '@tandem/protocol'
import { describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { TestPeer } from '../../test/peer.js'
import { createLogger } from '../log.js'
import { MemoryStore } from '../persistence/memory.js'
import { defaultRoomLimits, Room, type RoomOptions } from './room.js'

const options: RoomOptions = {
  ...defaultRoomLimits,
  maxAwarenessStateBytes: 1024,
  compactAfterUpdates: 1000,
  quietEchoMs: 10_000,
}
const log = createLogger('silent')

function insert(text: string, clientID = 1): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = clientID
  doc.getText('codemirror').insert(0, text)
  return Y.encodeStateAsUpdate(doc)
}

function textOf(update: Uint8Array): string {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, update)
  return doc.getText('codemirror').toString()
}

function awareness(clientId: number, clock: number, state: object | null): Uint8Array {
  return encodeAwareness(
    encodeAwarenessUpdate([{ clientId, clock, state: state && JSON.stringify(state) }]),
  )
}

/** A room of a fresh memory store, with a peer joined for each of `ids`, in order. */
async function roomWith<Ids extends string[]>(
  ...ids: Ids
): Promise<{ store: MemoryStore; room: Room; peers: { [K in keyof Ids]: TestPeer } }> {
  const store = new MemoryStore()
  const room = await Room.load('doc', store, options, log)
  const peers = ids.map((id) => new TestPeer(id))
  for (const peer of peers) room.join(peer)
  return { store, room, peers: peers as { [K in keyof Ids]: TestPeer } }
}

/** A client's text, and every update its edits make (one per keystroke unless batched). */
function typist(): { text: Y.Text; sent: Uint8Array[] } {
  const doc = new Y.Doc()
  const sent: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => sent.push(u))
  return { text: doc.getText('codemirror'), sent }
}

describe('Room', () => {
  it('S4: greets a joining peer with its state vector first', async () => {
    const store = new MemoryStore()
    await store.append('doc', insert('stored'))
    const room = await Room.load('doc', store, options, log)
    const peer = new TestPeer('a')
    room.join(peer)
    const first = peer.received[0]
    expect(first?.type).toBe('sync-step-1')
    const sv = first?.type === 'sync-step-1' ? first.stateVector : new Uint8Array()
    expect(Y.decodeStateVector(sv).get(1)).toBe('stored'.length)
  })

  it('S5: stores an update before relaying it, and never echoes it to its sender', async () => {
    const {
      store,
      room,
      peers: [a, b],
    } = await roomWith('a', 'b')
    // What b had been sent when the update was handed to the store, and when it committed.
    const seenByB: number[] = []
    const append = store.append.bind(store)
    vi.spyOn(store, 'append').mockImplementation(async (name, update) => {
      seenByB.push(b.updates().length)
      const seq = await append(name, update)
      seenByB.push(b.updates().length)
      return seq
    })
    room.receive(a, encodeSyncUpdate(insert('hi')))
    expect(b.updates()).toHaveLength(0)
    await room.flush()
    // Not relayed before the store has committed it.
    expect(seenByB).toEqual([0, 0])
    expect(b.updates().map(textOf)).toEqual(['hi'])
    expect(a.updates()).toHaveLength(0)
    expect(textOf((await store.load('doc'))!.updates[0]!)).toBe('hi')
  })

  it('S8: updates applied in one turn reach each peer as one frame without its own', async () => {
    const {
      room,
      peers: [a, watcher],
    } = await roomWith('a', 'w')
    // Twenty keystrokes from twenty typists: one turn's commits hold twenty updates.
    const frames = Array.from({ length: 20 }, (_, k) => {
      const doc = new Y.Doc()
      doc.clientID = k + 1
      doc.getText('codemirror').insert(0, String.fromCharCode(97 + k))
      return encodeSyncUpdate(Y.encodeStateAsUpdate(doc))
    })
    const typists = frames.map((_, k) => new TestPeer(`t${k}`))
    for (const t of typists) room.join(t)
    const before = new Map([a, watcher, ...typists].map((p) => [p, p.received.length]))
    for (const [k, frame] of frames.entries()) room.receive(typists[k]!, frame)
    await room.flush()
    const since = (p: TestPeer) => p.received.slice(before.get(p))
    expect(since(watcher)).toHaveLength(1)
    expect(since(a)).toHaveLength(1)
    const text = (p: TestPeer) => {
      const doc = new Y.Doc()
      for (const m of since(p)) if (m.type === 'sync-update') Y.applyUpdate(doc, m.update)
      return [...doc.getText('codemirror').toString()].sort().join('')
    }
    expect(text(watcher)).toBe('abcdefghijklmnopqrst')
    // Each typist gets one frame with everyone's keystrokes but its own.
    expect(since(typists[0]!)).toHaveLength(1)
    expect(text(typists[0]!)).toBe('bcdefghijklmnopqrst')
  })

  it('S9: a burst of one peer in one turn is stored and relayed as one merged update', async () => {
    const {
      store,
      room,
      peers: [a, b],
    } = await roomWith('a', 'b')
    room.receive(a, encodeSavedRequest())
    const { text, sent } = typist()
    for (let k = 0; k < 300; k++) text.insert(k, 'x')
    const before = b.received.length
    for (const u of sent) room.receive(a, encodeSyncUpdate(u))
    await room.flush()
    // 300 frames: merged 256 at a time, so two rows, two frames, one acknowledgement of all.
    const stored = (await store.load('doc'))!
    expect(stored.updates).toHaveLength(2)
    expect(stored.lastSeq).toBe(2)
    expect(b.received.length - before).toBe(2)
    expect(textOf(Y.mergeUpdates(stored.updates))).toBe('x'.repeat(300))
    expect(textOf(room.update)).toBe('x'.repeat(300))
    const saved = a.received.filter((m) => m.type === 'saved')
    expect(saved.at(-1)).toEqual({ type: 'saved', updateFrames: 300 })
    // In the next turn, a few more are stored one by one, as received.
    for (let k = 0; k < 3; k++) text.insert(0, 'y')
    for (const u of sent.slice(300)) room.receive(a, encodeSyncUpdate(u))
    await room.flush()
    expect((await store.load('doc'))!.updates).toHaveLength(5)
    expect(b.updates().slice(-3)).toEqual(sent.slice(300))
  })

  it('S9: updates of a peer that leaves in the turn it sent them are still stored', async () => {
    const {
      store,
      room,
      peers: [a, b],
    } = await roomWith('a', 'b')
    const { text, sent } = typist()
    for (let k = 0; k < 20; k++) text.insert(k, 'z')
    for (const u of sent) room.receive(a, encodeSyncUpdate(u))
    room.leave(a)
    await room.flush()
    expect(textOf(Y.mergeUpdates((await store.load('doc'))!.updates))).toBe('z'.repeat(20))
    expect(b.updates().map(textOf)).toEqual(['z'.repeat(20)])
  })

  it('S8, S9: two typists’ bursts in one turn reach each peer without its own', async () => {
    const store = new MemoryStore()
    const room = await Room.load('doc', store, options, log)
    const [a, b, watcher] = [new TestPeer('a'), new TestPeer('b'), new TestPeer('w')]
    for (const peer of [a, b, watcher]) room.join(peer)
    // Two typists' keystrokes, interleaved, all received in one turn.
    const docs = [new Y.Doc(), new Y.Doc()]
    docs[0]!.clientID = 1
    docs[1]!.clientID = 2
    const frames: [TestPeer, Uint8Array][] = []
    for (const [i, doc] of docs.entries()) {
      doc.on('update', (u: Uint8Array) => {
        frames.push([i === 0 ? a : b, encodeSyncUpdate(u)])
      })
    }
    for (let k = 0; k < 20; k++) {
      docs[0]!.getText('codemirror').insert(k, 'a')
      docs[1]!.getText('codemirror').insert(0, 'b')
    }
    const before = new Map([a, b, watcher].map((p) => [p, p.received.length]))
    for (const [peer, frame] of frames) room.receive(peer, frame)
    await room.flush()
    const since = (p: TestPeer) => p.received.slice(before.get(p))
    // Each typist's burst is stored and relayed as one update (S9); the watcher gets both.
    expect([a, b, watcher].map((p) => since(p).length)).toEqual([1, 1, 2])
    expect((await store.load('doc'))!.updates).toHaveLength(2)
    const texts = (p: TestPeer) =>
      since(p).map((x) => (x.type === 'sync-update' ? textOf(x.update) : ''))
    expect(texts(watcher)).toEqual(['a'.repeat(20), 'b'.repeat(20)])
    expect(textOf(room.update)).toMatch(/^(?=.*a{20})(?=.*b{20})/)
    // Each typist gets only the other's keystrokes.
    expect(texts(a)).toEqual(['b'.repeat(20)])
    expect(texts(b)).toEqual(['a'.repeat(20)])
  })

  it('S8: a few updates in one turn are relayed one frame each, as received', async () => {
    const {
      room,
      peers: [a, b],
    } = await roomWith('a', 'b')
    const { text, sent } = typist()
    for (let k = 0; k < 3; k++) text.insert(k, 'x')
    const before = b.received.length
    for (const u of sent) room.receive(a, encodeSyncUpdate(u))
    await room.flush()
    expect(b.updates().slice(-3)).toEqual(sent)
    expect(b.received.length - before).toBe(3)
  })

  it('S6: answers a step 1 with exactly what the peer lacks', async () => {
    const store = new MemoryStore()
    const room = await Room.load('doc', store, options, log)
    const writer = new TestPeer('w')
    room.join(writer)
    room.receive(writer, encodeSyncUpdate(insert('abc')))
    await room.flush()
    const reader = new TestPeer('r')
    room.join(reader)
    room.receive(reader, encodeSyncStep1(Y.encodeStateVector(new Y.Doc())))
    const step2 = reader.received.find((m) => m.type === 'sync-step-2')
    expect(step2?.type === 'sync-step-2' && textOf(step2.update)).toBe('abc')
  })

  it('S7: a malformed update closes its sender with 1007 and changes nothing', async () => {
    const {
      store,
      room,
      peers: [bad, good],
    } = await roomWith('bad', 'good')
    const garbage = encodeSyncUpdate(new Uint8Array([1, 200, 3, 4, 5, 6, 7]))
    room.receive(bad, garbage)
    await room.flush()
    expect(bad.closed?.code).toBe(1007)
    expect(await store.load('doc')).toBeNull()
    expect(good.updates()).toHaveLength(0)
    room.receive(good, encodeSyncUpdate(insert('still fine')))
    await room.flush()
    expect(textOf(room.update)).toBe('still fine')
  })

  it('A1: relays awareness to others and removes a leaving peer’s states at the same clock', async () => {
    const room = await Room.load('doc', new MemoryStore(), options, log)
    const [a, b] = [new TestPeer('a'), new TestPeer('b')]
    room.join(a)
    room.join(b)
    room.receive(a, awareness(7, 1, { user: { name: 'Ada' } }))
    const seen = b.received.filter((m) => m.type === 'awareness')
    expect(seen).toHaveLength(1)
    room.leave(a)
    const last = b.received.at(-1)
    expect(last?.type).toBe('awareness')
    const entries = last?.type === 'awareness' ? decodeAwarenessUpdate(last.update) : []
    expect(entries).toEqual([{ clientId: 7, clock: 1, state: null }])
  })

  it('A2: a joining peer is told who is present', async () => {
    const room = await Room.load('doc', new MemoryStore(), options, log)
    const a = new TestPeer('a')
    room.join(a)
    room.receive(a, awareness(7, 1, { user: { name: 'Ada' } }))
    const b = new TestPeer('b')
    room.join(b)
    const message = b.received.find((m) => m.type === 'awareness')
    const entries = message?.type === 'awareness' ? decodeAwarenessUpdate(message.update) : []
    expect(entries.map((e) => [e.clientId, JSON.parse(e.state!).user.name])).toEqual([[7, 'Ada']])
  })

  it('A3: a lone peer that has heard nothing lately gets its awareness echoed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      const room = await Room.load('doc', new MemoryStore(), options, log)
      const a = new TestPeer('a')
      room.join(a)
      room.receive(a, awareness(7, 1, { n: 1 }))
      expect(a.received.filter((m) => m.type === 'awareness')).toHaveLength(0)
      vi.setSystemTime(Date.now() + options.quietEchoMs)
      room.receive(a, awareness(7, 2, { n: 1 }))
      expect(a.received.filter((m) => m.type === 'awareness')).toHaveLength(1)
    } finally {
      vi.useRealTimers()
    }
  })

  it('A4: stale and oversized awareness are refused', async () => {
    const room = await Room.load('doc', new MemoryStore(), options, log)
    const [a, b] = [new TestPeer('a'), new TestPeer('b')]
    room.join(a)
    room.join(b)
    room.receive(a, awareness(7, 5, { n: 1 }))
    room.receive(a, awareness(7, 4, { n: 2 }))
    expect(b.received.filter((m) => m.type === 'awareness')).toHaveLength(1)
    room.receive(a, awareness(7, 6, { big: 'x'.repeat(options.maxAwarenessStateBytes) }))
    expect(a.closed?.code).toBe(1007)
  })

  it('A4: a client that reconnects re-sends its state at the clock it had, and is present again', async () => {
    const room = await Room.load('doc', new MemoryStore(), options, log)
    const [a, b] = [new TestPeer('a'), new TestPeer('b')]
    room.join(a)
    room.join(b)
    room.receive(a, awareness(7, 5, { n: 1 }))
    room.leave(a)
    const again = new TestPeer('a again')
    room.join(again)
    const seen = () =>
      b.received.flatMap((m) => (m.type === 'awareness' ? decodeAwarenessUpdate(m.update) : []))
    expect(seen()).toEqual([
      { clientId: 7, clock: 5, state: '{"n":1}' },
      { clientId: 7, clock: 5, state: null },
    ])
    room.receive(again, awareness(7, 5, { n: 1 }))
    expect(seen().at(-1)).toEqual({ clientId: 7, clock: 5, state: '{"n":1}' })
    // Equal clock, both present: not newer, ignored.
    room.receive(again, awareness(7, 5, { n: 2 }))
    expect(seen()).toHaveLength(3)
    const late = new TestPeer('late')
    room.join(late)
    const present = late.received.find((m) => m.type === 'awareness')
    expect(present?.type === 'awareness' && decodeAwarenessUpdate(present.update)).toEqual([
      { clientId: 7, clock: 5, state: '{"n":1}' },
    ])
  })

  it('C1: compaction keeps the text, shrinks the log, and loses no concurrent edit', async () => {
    const store = new MemoryStore()
    const room = await Room.load('doc', store, options, log)
    const writer = new TestPeer('w')
    room.join(writer)
    const doc = new Y.Doc()
    doc.on('update', (u: Uint8Array) => room.receive(writer, encodeSyncUpdate(u)))
    const text = doc.getText('codemirror')
    for (let i = 0; i < 200; i++) text.insert(text.length, `line ${i}\n`)
    text.delete(0, 500)
    await room.flush()
    const compaction = room.compact()
    text.insert(0, 'during compaction ')
    await Promise.all([compaction, room.flush()])
    const stored = (await store.load('doc'))!
    expect(stored.updates.length).toBeLessThanOrEqual(1)
    const reloaded = await Room.load('doc', store, options, log)
    expect(textOf(reloaded.update)).toBe(text.toString())
  })
})

import {
  encodeAwareness,
  encodeAwarenessUpdate,
  encodeSavedRequest,
  encodeSyncUpdate,
} from '@tandem/protocol'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { TestPeer as RecordingPeer } from '../../test/peer.js'
import { createLogger } from '../log.js'
import { MemoryStore } from '../persistence/memory.js'
import type { DocStore } from '../persistence/store.js'
import { defaultRoomLimits } from '../rooms/room.js'
import { Rooms, type RoomsOptions } from '../rooms/rooms.js'
import { Cluster } from './cluster.js'
import { type MemoryBus, MemoryHub } from './memory-bus.js'

const log = createLogger('silent')
const roomOptions: RoomsOptions = {
  ...defaultRoomLimits,
  maxAwarenessStateBytes: 1024,
  compactAfterUpdates: 1000,
  quietEchoMs: 10_000,
  unloadDelayMs: 60_000,
  catchUpDelayMs: 10_000,
}

/** A test peer of its own user (`user:<id>`), so that no two peers share presence. */
class TestPeer extends RecordingPeer {
  constructor(id: string, userKey = `user:${id}`) {
    super(id, { userKey })
  }

  /** The texts of the updates it was sent, in order. */
  texts(): string[] {
    return this.updates().map((update) => textOf(update))
  }
}

/** `vi.waitFor` with room for a busy machine: 5 s unless told. */
function waitFor<T>(
  check: () => T | Promise<T>,
  options: { timeout?: number; interval?: number } = {},
): Promise<T> {
  return vi.waitFor(check, { timeout: 5_000, interval: 5, ...options })
}

let nextClient = 1
/** An update inserting `text` into a fresh document (its own client id). */
function insert(text: string): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = nextClient++
  doc.getText('codemirror').insert(0, text)
  return Y.encodeStateAsUpdate(doc)
}

function textOf(...updates: Uint8Array[]): string {
  const doc = new Y.Doc()
  for (const u of updates) Y.applyUpdate(doc, u)
  return doc.getText('codemirror').toString()
}

function awareness(clientId: number, clock: number, name: string | null): Uint8Array {
  return encodeAwareness(
    encodeAwarenessUpdate([
      { clientId, clock, state: name === null ? null : JSON.stringify({ user: { name } }) },
    ]),
  )
}

/** The present names a peer was told of, by client id (the last word on each client). */
function presentNames(peer: TestPeer): Map<number, string> {
  const last = new Map<number, string | null>()
  for (const e of peer.awareness()) last.set(e.clientId, e.state && JSON.parse(e.state).user.name)
  return new Map([...last].filter((e): e is [number, string] => e[1] !== null))
}

interface TestNode {
  bus: MemoryBus
  cluster: Cluster
  rooms: Rooms
}

describe('Cluster (in-memory bus, shared store)', () => {
  const started: TestNode[] = []
  afterEach(async () => {
    for (const n of started.splice(0)) {
      await n.rooms.close()
      await n.cluster.close()
    }
  })

  function node(
    hub: MemoryHub,
    store: DocStore,
    id: string,
    options: Partial<RoomsOptions> = {},
    nodeTimeoutMs = 200,
  ): TestNode {
    const bus = hub.bus()
    const cluster = new Cluster(
      bus,
      store,
      { nodeId: id, heartbeatIntervalMs: 20, nodeTimeoutMs, checkIntervalMs: 3_600_000 },
      log,
    )
    const rooms = new Rooms(store, { ...roomOptions, ...options }, log, cluster)
    const n = { bus, cluster, rooms }
    started.push(n)
    return n
  }

  async function joined(n: TestNode, doc: string, peer: TestPeer) {
    return n.rooms.join(doc, peer)
  }

  it('N1: an update stored by one node reaches the peers of another, once', async () => {
    const hub = new MemoryHub()
    const store = new MemoryStore()
    const [a, b] = [node(hub, store, 'a'), node(hub, store, 'b')]
    const [pa, pb] = [new TestPeer('pa'), new TestPeer('pb')]
    const roomA = await joined(a, 'doc', pa)
    const roomB = await joined(b, 'doc', pb)
    roomA.receive(pa, encodeSyncUpdate(insert('hello')))
    await waitFor(() => expect(pb.texts()).toEqual(['hello']))
    expect(roomB.lastSeq).toBe(1)
    expect(textOf(roomB.update)).toBe('hello')
    expect(pa.texts()).toEqual([])
  })

  it('N2: a lost message is noticed at the next one and read from the store; the late copy is ignored', async () => {
    const hub = new MemoryHub()
    const store = new MemoryStore()
    const [a, b] = [node(hub, store, 'a'), node(hub, store, 'b', { catchUpDelayMs: 0 })]
    const [pa, pb] = [new TestPeer('pa'), new TestPeer('pb')]
    const roomA = await joined(a, 'doc', pa)
    const roomB = await joined(b, 'doc', pb)
    const lost: Parameters<MemoryHub['drop']>[0][] = []
    hub.drop = (m, to) => {
      if (to !== b.bus || m.type !== 'update' || m.seq !== 1) return false
      lost.push(m)
      return true
    }
    const loadSince = vi.spyOn(store, 'loadSince')
    roomA.receive(pa, encodeSyncUpdate(insert('one ')))
    await roomA.flush()
    roomA.receive(pa, encodeSyncUpdate(insert('two ')))
    await waitFor(() => expect(pb.texts()).toEqual(['one ', 'two ']))
    expect(loadSince).toHaveBeenCalledWith('doc', 0)
    expect(roomB.lastSeq).toBe(2)
    // The lost message turns up after all: a duplicate, ignored.
    const late = lost[0]!
    if (late.type === 'update') roomB.receiveRemoteUpdate(late.seq, late.update)
    expect(pb.texts()).toEqual(['one ', 'two '])
  })

  it('N2: an own update stored after another node’s that has not arrived waits for it, then both are relayed in order, once, and not back to the sender', async () => {
    const hub = new MemoryHub()
    const store = new MemoryStore()
    const [a, b] = [node(hub, store, 'a'), node(hub, store, 'b')]
    const pa = new TestPeer('pa')
    const [sender, watcher] = [new TestPeer('sender'), new TestPeer('watcher')]
    const roomA = await joined(a, 'doc', pa)
    const roomB = await joined(b, 'doc', sender)
    await joined(b, 'doc', watcher)
    const loadSince = vi.spyOn(store, 'loadSince')

    hub.holding = []
    roomA.receive(pa, encodeSyncUpdate(insert('first ')))
    await roomA.flush()
    roomB.receive(sender, encodeSyncUpdate(insert('second ')))
    // Stored as number 2, but number 1 has not arrived: nothing is relayed yet.
    await waitFor(async () => expect((await store.load('doc'))?.lastSeq).toBe(2))
    let flushed = false
    void roomB.flush().then(() => {
      flushed = true
    })
    await new Promise((resolve) => setImmediate(resolve))
    expect(watcher.texts()).toEqual([])
    expect(flushed).toBe(false)
    hub.release()
    await waitFor(() => expect(watcher.texts()).toEqual(['first ', 'second ']))
    expect(sender.texts()).toEqual(['first '])
    await waitFor(() => expect(flushed).toBe(true))
    expect(roomB.lastSeq).toBe(2)
    // It arrived before the room gave up waiting: no read from the store.
    expect(loadSince).not.toHaveBeenCalled()
    // a gets b's update too, once.
    await waitFor(() => expect(pa.texts()).toEqual(['second ']))
  })

  it('N2: if the missing update never arrives, the room reads it from the store, and the own update is still relayed once', async () => {
    const hub = new MemoryHub()
    const store = new MemoryStore()
    const [a, b] = [node(hub, store, 'a'), node(hub, store, 'b', { catchUpDelayMs: 5 })]
    const pa = new TestPeer('pa')
    const [sender, watcher] = [new TestPeer('sender'), new TestPeer('watcher')]
    const roomA = await joined(a, 'doc', pa)
    const roomB = await joined(b, 'doc', sender)
    await joined(b, 'doc', watcher)
    hub.drop = (m, to) => to === b.bus && m.type === 'update'
    roomA.receive(pa, encodeSyncUpdate(insert('first ')))
    await roomA.flush()
    roomB.receive(sender, encodeSyncUpdate(insert('second ')))
    await roomB.flush()
    expect(watcher.texts()).toEqual(['first ', 'second '])
    expect(sender.texts()).toEqual(['first '])
    await waitFor(() => expect(pa.texts()).toEqual(['second ']))
    expect(textOf(roomA.update)).toBe(textOf(roomB.update))
  })

  it('N2, V1: an own update that a catch-up already applied is neither applied nor relayed again, but is acknowledged', async () => {
    const hub = new MemoryHub()
    const store = new MemoryStore()
    // b learns of its append's number only after a catch-up has read the update back.
    let releaseAppend = () => {}
    const appendHeld = new Promise<void>((resolve) => {
      releaseAppend = resolve
    })
    const b = node(
      hub,
      withMethod(store, 'append', async (name: string, update: Uint8Array) => {
        const seq = await store.append(name, update)
        await appendHeld
        return seq
      }),
      'b',
    )
    const [sender, watcher] = [new TestPeer('sender'), new TestPeer('watcher')]
    const roomB = await joined(b, 'doc', sender)
    await joined(b, 'doc', watcher)
    roomB.receive(sender, encodeSavedRequest())
    roomB.receive(sender, encodeSyncUpdate(insert('mine')))
    await waitFor(async () => expect((await store.load('doc'))?.lastSeq).toBe(1))
    await roomB.catchUp()
    expect(roomB.lastSeq).toBe(1)
    expect(watcher.texts()).toEqual(['mine'])
    releaseAppend()
    await roomB.flush()
    expect(roomB.lastSeq).toBe(1)
    expect(watcher.texts()).toEqual(['mine'])
    expect(textOf(roomB.update)).toBe('mine')
    await waitFor(() => expect(sender.received.at(-1)).toEqual({ type: 'saved', updateFrames: 1 }))
  })

  it('N3: a room behind a compacted store catches up from the snapshot', async () => {
    const hub = new MemoryHub()
    const store = new MemoryStore()
    const [a, b] = [node(hub, store, 'a'), node(hub, store, 'b')]
    const [pa, pb] = [new TestPeer('pa'), new TestPeer('pb')]
    const roomA = await joined(a, 'doc', pa)
    const roomB = await joined(b, 'doc', pb)
    roomA.receive(pa, encodeSyncUpdate(insert('early ')))
    await waitFor(() => expect(pb.texts()).toEqual(['early ']))
    b.bus.setConnected(false)
    for (const word of ['a ', 'b ', 'c ']) roomA.receive(pa, encodeSyncUpdate(insert(word)))
    await roomA.flush()
    await roomA.compact()
    const after = await store.loadSince('doc', 1)
    expect(after?.snapshot).not.toBeNull()
    roomA.receive(pa, encodeSyncUpdate(insert('late ')))
    await roomA.flush()
    // The periodic comparison with the store (or a reconnection) finds b behind.
    await b.cluster.checkAll()
    expect(roomB.lastSeq).toBe(5)
    expect(textOf(roomB.update)).toBe(textOf(roomA.update))
    expect(
      textOf(...pb.received.flatMap((m) => (m.type === 'sync-update' ? [m.update] : []))),
    ).toBe(textOf(roomA.update))
  })

  it('N3: on reconnecting to the bus, every loaded room catches up', async () => {
    const hub = new MemoryHub()
    const store = new MemoryStore()
    const [a, b] = [node(hub, store, 'a'), node(hub, store, 'b')]
    const [pa, pb] = [new TestPeer('pa'), new TestPeer('pb')]
    const roomA = await joined(a, 'doc', pa)
    const roomB = await joined(b, 'doc', pb)
    b.bus.setConnected(false)
    roomA.receive(pa, encodeSyncUpdate(insert('while away')))
    await roomA.flush()
    await new Promise((resolve) => setImmediate(resolve))
    expect(pb.texts()).toEqual([])
    b.bus.setConnected(true)
    await waitFor(() => expect(pb.texts()).toEqual(['while away']))
    expect(roomB.lastSeq).toBe(1)
  })

  it('N5: updates published while a room loads are applied once it has loaded', async () => {
    const hub = new MemoryHub()
    const store = new MemoryStore()
    const a = node(hub, store, 'a')
    const pa = new TestPeer('pa')
    const roomA = await joined(a, 'doc', pa)
    roomA.receive(pa, encodeSyncUpdate(insert('before ')))
    await roomA.flush()

    // b reads the store, then the load takes a while to finish: a stores an update meanwhile.
    let finishLoad = () => {}
    const loadDone = new Promise<void>((resolve) => {
      finishLoad = resolve
    })
    let loaded = false
    const storeB = withMethod(store, 'load', async (name: string) => {
      const stored = await store.load(name)
      loaded = true
      await loadDone
      return stored
    })
    const b = node(hub, storeB, 'b')
    const pb = new TestPeer('pb')
    const joining = joined(b, 'doc', pb)
    await waitFor(() => expect(loaded).toBe(true))
    roomA.receive(pa, encodeSyncUpdate(insert('during ')))
    await roomA.flush()
    await new Promise((resolve) => setImmediate(resolve))
    finishLoad()
    const roomB = await joining
    expect(roomB.lastSeq).toBe(2)
    expect(textOf(roomB.update)).toBe(textOf(roomA.update))
  })

  it('N6: awareness crosses nodes, also to a node that loads the document later; a silent node’s users are removed after the timeout', async () => {
    const hub = new MemoryHub()
    const store = new MemoryStore()
    const [a, b, c] = [node(hub, store, 'a'), node(hub, store, 'b'), node(hub, store, 'c')]
    const [pa, pb, pc] = [new TestPeer('pa'), new TestPeer('pb'), new TestPeer('pc')]
    const roomA = await joined(a, 'doc', pa)
    await joined(b, 'doc', pb)
    const roomC = await joined(c, 'doc', pc)
    roomA.receive(pa, awareness(1, 1, 'Ada'))
    roomC.receive(pc, awareness(3, 1, 'Cy'))
    await waitFor(() =>
      expect(presentNames(pb)).toEqual(
        new Map([
          [1, 'Ada'],
          [3, 'Cy'],
        ]),
      ),
    )
    // A node joining late is told who is present elsewhere.
    const d = node(hub, store, 'd')
    const pd = new TestPeer('pd')
    await joined(d, 'doc', pd)
    await waitFor(() => expect([...presentNames(pd).values()].sort()).toEqual(['Ada', 'Cy']))

    // a goes silent (no heartbeat, nothing): removed everywhere after the timeout.
    const silentAt = Date.now()
    a.bus.setConnected(false)
    await waitFor(() => expect([...presentNames(pb).values()]).toEqual(['Cy']), {
      timeout: 2_000,
    })
    expect(Date.now() - silentAt).toBeGreaterThanOrEqual(150)
    await waitFor(() => expect([...presentNames(pd).values()]).toEqual(['Cy']))
  })

  it('N6: a node that shuts down takes its users’ awareness with it at once', async () => {
    const hub = new MemoryHub()
    const store = new MemoryStore()
    // Nobody is taken for gone by silence during this test.
    const [b, c] = [node(hub, store, 'b', {}, 60_000), node(hub, store, 'c', {}, 60_000)]
    const [pb, pc] = [new TestPeer('pb'), new TestPeer('pc')]
    await joined(b, 'doc', pb)
    const roomC = await joined(c, 'doc', pc)
    roomC.receive(pc, awareness(3, 1, 'Cy'))
    await waitFor(() => expect(presentNames(pb)).toEqual(new Map([[3, 'Cy']])))
    await c.rooms.close()
    await c.cluster.close()
    await waitFor(() => expect(presentNames(pb)).toEqual(new Map()))
  })

  it('N6: another node’s client id is taken over only by the same user, and removed only by its owner', async () => {
    const hub = new MemoryHub()
    const store = new MemoryStore()
    const [a, b] = [node(hub, store, 'a'), node(hub, store, 'b')]
    const ada = new TestPeer('ada', 'user:ada')
    const roomA = await joined(a, 'doc', ada)
    const [mallory, adaAgain, watcher] = [
      new TestPeer('mallory', 'user:mallory'),
      new TestPeer('ada-again', 'user:ada'),
      new TestPeer('watcher', 'user:w'),
    ]
    const roomB = await joined(b, 'doc', watcher)
    roomB.join(mallory)
    roomB.join(adaAgain)
    roomA.receive(ada, awareness(1, 1, 'Ada'))
    await waitFor(() => expect(presentNames(watcher)).toEqual(new Map([[1, 'Ada']])))
    roomB.receive(mallory, awareness(1, 2, 'Mallory'))
    expect(presentNames(watcher)).toEqual(new Map([[1, 'Ada']]))
    // Ada's tab moved to b: it may.
    roomB.receive(adaAgain, awareness(1, 2, 'Ada'))
    // a's removal of the old connection's state (same clock as the state it had) does not
    // remove the client that is now b's.
    roomA.leave(ada)
    // Messages arrive in order: once this one is in, a's removal was handled before it.
    const other = new TestPeer('other', 'user:other')
    roomA.join(other)
    roomA.receive(other, awareness(9, 1, 'Other'))
    await waitFor(() => expect(presentNames(watcher).get(9)).toBe('Other'))
    expect(presentNames(watcher).get(1)).toBe('Ada')
  })
})

/** `store` with its method `key` replaced by `method`. */
function withMethod<K extends keyof DocStore>(
  store: DocStore,
  key: K,
  method: DocStore[K],
): DocStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === key) return method
      const value: unknown = Reflect.get(target, property)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

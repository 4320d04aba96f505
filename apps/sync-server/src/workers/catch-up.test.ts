import { encodeSyncUpdate } from '@tandem/protocol'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { TestPeer } from '../../test/peer.js'
import { Cluster } from '../cluster/cluster.js'
import { MemoryHub } from '../cluster/memory-bus.js'
import { createLogger } from '../log.js'
import { MemoryStore } from '../persistence/memory.js'
import { DocState } from '../rooms/doc-state.js'
import { defaultRoomLimits } from '../rooms/room.js'
import { Rooms, type RoomsOptions } from '../rooms/rooms.js'
import { TEXT_NAME, textOf } from '../rooms/text.js'
import { WorkerFolder } from './folder.js'
import type { FoldRequest } from './jobs.js'

const log = createLogger('silent')

let nextClient = 1
/** An update inserting `text` into a fresh document (its own client id). */
function insert(text: string): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = nextClient++
  doc.getText(TEXT_NAME).insert(0, text)
  return Y.encodeStateAsUpdate(doc)
}

describe('a room of a cluster catching up from another server’s snapshot', () => {
  const closing: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const close of closing.splice(0)) await close()
  })

  it('N3: diffs a large snapshot against its state in the worker pool, and converges', async () => {
    const pool = new WorkerFolder(log, 1)
    const asked: FoldRequest[] = []
    const folder = {
      fold: (r: FoldRequest) => {
        asked.push(r)
        return pool.fold(r)
      },
    }
    const hub = new MemoryHub()
    const store = new MemoryStore()
    const options: RoomsOptions = {
      ...defaultRoomLimits,
      maxAwarenessStateBytes: 1024,
      compactAfterUpdates: 1000,
      quietEchoMs: 10_000,
      unloadDelayMs: 60_000,
      catchUpDelayMs: 10_000,
    }
    const node = (id: string, extra: Partial<RoomsOptions>) => {
      const bus = hub.bus()
      const cluster = new Cluster(
        bus,
        store,
        { nodeId: id, heartbeatIntervalMs: 20, nodeTimeoutMs: 200, checkIntervalMs: 3_600_000 },
        log,
      )
      const rooms = new Rooms(store, { ...options, ...extra }, log, cluster)
      closing.push(async () => {
        await rooms.close()
        await cluster.close()
      })
      return { bus, rooms }
    }
    const a = node('a', {})
    const b = node('b', { folder })
    closing.push(() => pool.close())
    const [pa, pb] = [new TestPeer('pa'), new TestPeer('pb')]
    const roomA = await a.rooms.join('doc', pa)
    const roomB = await b.rooms.join('doc', pb)
    // Large enough that b does not diff it on the event loop.
    roomA.receive(pa, encodeSyncUpdate(insert('x'.repeat(80_000))))
    await vi.waitFor(() => expect(roomB.lastSeq).toBe(1))
    // b misses what a stores next, and a compacts it into a snapshot.
    b.bus.setConnected(false)
    for (const word of ['a ', 'b ', 'c ']) roomA.receive(pa, encodeSyncUpdate(insert(word)))
    await roomA.flush()
    await roomA.compact()
    expect((await store.loadSince('doc', 1))?.snapshot).not.toBeNull()
    const onTheEventLoop = vi.spyOn(DocState.prototype, 'missingFrom')
    await roomB.catchUp()
    expect(onTheEventLoop).not.toHaveBeenCalled()
    onTheEventLoop.mockRestore()
    const snapshot = Buffer.from((await store.load('doc'))!.snapshot!)
    expect(asked.some((r) => r.diffAgainst && snapshot.equals(r.base))).toBe(true)
    expect(roomB.lastSeq).toBe(roomA.lastSeq)
    expect(textOf(roomB.update)).toBe(textOf(roomA.update))
    // What b's peer was sent adds up to the same text.
    expect(textOf(Y.mergeUpdates(pb.updates()))).toBe(textOf(roomA.update))
  })
})

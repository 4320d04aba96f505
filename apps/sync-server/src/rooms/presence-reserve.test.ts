import {
  decodeAwarenessUpdate,
  decodeMessage,
  encodeAwareness,
  encodeAwarenessUpdate,
  type Message,
} from '@tandem/protocol'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createLogger } from '../log.js'
import { MemoryStore } from '../persistence/memory.js'
import type { Peer } from './peer.js'
import { defaultRoomLimits, Room, type RoomOptions } from './room.js'

const options: RoomOptions = {
  ...defaultRoomLimits,
  maxAwarenessStateBytes: 1024,
  compactAfterUpdates: 1000,
  quietEchoMs: 10_000,
}
const log = createLogger('silent')

/** An in-memory peer of user `userKey` that records what the room sends it. */
class TestPeer implements Peer {
  readonly received: Message[] = []
  constructor(
    readonly id: string,
    readonly userKey: string,
  ) {}
  send(frame: Uint8Array): void {
    this.received.push(decodeMessage(frame))
  }
  close(): void {}
  /** The last state this peer was sent for `clientId` (`undefined`: never; `null`: removed). */
  lastState(clientId: number): unknown {
    let last: unknown
    for (const m of this.received) {
      if (m.type !== 'awareness') continue
      for (const e of decodeAwarenessUpdate(m.update, 1024)) {
        if (e.clientId === clientId) last = e.state === null ? null : JSON.parse(e.state)
      }
    }
    return last
  }
}

function awareness(clientId: number, clock: number, state: object | null): Uint8Array {
  return encodeAwareness(
    encodeAwarenessUpdate([{ clientId, clock, state: state && JSON.stringify(state) }]),
  )
}

describe('presence of a user who dropped', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it("T42: a gone user's client id stays theirs for 30 s: another user cannot take it, their reconnecting tab can", async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const room = await Room.load('doc', new MemoryStore(), options, log)
    const observer = new TestPeer('o', 'sub:observer')
    const sam = new TestPeer('sam', 'sub:sam-1')
    room.join(observer)
    room.join(sam)
    room.receive(sam, awareness(7, 3, { cursor: 'sam' }))
    expect(observer.lastState(7)).toEqual({ cursor: 'sam' })
    room.leave(sam)
    expect(observer.lastState(7)).toBeNull()

    // Another Sam (another subject) tries to take the id while the first one is away.
    const other = new TestPeer('other', 'sub:sam-2')
    room.join(other)
    room.receive(other, awareness(7, 4, { cursor: 'impostor' }))
    expect(observer.lastState(7)).toBeNull()

    // The first Sam's tab reconnects with the state it had.
    const back = new TestPeer('back', 'sub:sam-1')
    room.join(back)
    room.receive(back, awareness(7, 3, { cursor: 'sam' }))
    expect(observer.lastState(7)).toEqual({ cursor: 'sam' })
    // …and keeps it while present.
    room.receive(other, awareness(7, 5, { cursor: 'impostor' }))
    expect(observer.lastState(7)).toEqual({ cursor: 'sam' })
  })

  it('T42: after the awareness timeout the id is free for anyone', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const room = await Room.load('doc', new MemoryStore(), options, log)
    const observer = new TestPeer('o', 'sub:observer')
    const sam = new TestPeer('sam', 'sub:sam-1')
    room.join(observer)
    room.join(sam)
    room.receive(sam, awareness(7, 3, { cursor: 'sam' }))
    room.leave(sam)
    vi.setSystemTime(Date.now() + 29_000)
    const other = new TestPeer('other', 'sub:sam-2')
    room.join(other)
    room.receive(other, awareness(7, 4, { cursor: 'other' }))
    expect(observer.lastState(7)).toBeNull()
    vi.setSystemTime(Date.now() + 2_000)
    room.receive(other, awareness(7, 4, { cursor: 'other' }))
    expect(observer.lastState(7)).toEqual({ cursor: 'other' })
  })
})

import { encodeAwareness, encodeAwarenessUpdate, encodeSyncUpdate } from '@tandem/protocol'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { createLogger } from '../log.js'
import { MemoryStore } from '../persistence/memory.js'
import type { Peer } from './peer.js'
import { defaultRoomLimits, Room, type RoomOptions } from './room.js'
import { TEXT_NAME, textOf } from './text.js'

const log = createLogger('silent')
const options: RoomOptions = {
  ...defaultRoomLimits,
  maxAwarenessStateBytes: 8 * 1024,
  compactAfterUpdates: 1000,
  quietEchoMs: 10_000,
  versionQuietMs: 1_000,
  versionMaxIntervalMs: 5_000,
}

/** A peer with its own document, typing into the room. */
class Writer implements Peer {
  readonly doc = new Y.Doc()
  constructor(
    readonly id: string,
    readonly room: Room,
  ) {
    this.doc.on('update', (update: Uint8Array) => room.receive(this, encodeSyncUpdate(update)))
    room.join(this)
  }
  send(): void {}
  close(): void {}
  type(text: string): void {
    const t = this.doc.getText(TEXT_NAME)
    t.insert(t.length, text)
  }
  /** Sends an awareness state (a JSON object, or `null` to remove it). */
  present(state: object | null, clock: number): void {
    const entry = { clientId: this.doc.clientID, clock, state: state && JSON.stringify(state) }
    this.room.receive(this, encodeAwareness(encodeAwarenessUpdate([entry])))
  }
}

describe('automatic versions (H2–H4)', () => {
  let store: MemoryStore
  let room: Room
  const open = async (extra: Partial<RoomOptions> = {}) => {
    room = await Room.load('doc', store, { ...options, ...extra }, log)
    return room
  }
  const versions = () => store.listVersions('doc')
  const textOfVersion = async (id: number) => textOf((await store.loadVersion('doc', id))!.bytes)

  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2024, 0, 1) })
    store = new MemoryStore()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('H2: a version is taken once edits have paused for versionQuietMs', async () => {
    const a = new Writer('a', await open())
    a.type('one')
    await vi.advanceTimersByTimeAsync(600)
    a.type(' two')
    await vi.advanceTimersByTimeAsync(900)
    // 1 500 ms after the first edit, but only 900 ms after the last.
    expect(await versions()).toEqual([])
    await vi.advanceTimersByTimeAsync(200)
    const [v] = await versions()
    expect(v).toMatchObject({ kind: 'auto', label: null, textLength: 7 })
    expect(await textOfVersion(v!.id)).toBe('one two')
    // Nothing new, nothing more.
    await vi.advanceTimersByTimeAsync(10_000)
    expect(await versions()).toHaveLength(1)
  })

  it('H2: continuous editing gets a version every versionMaxIntervalMs', async () => {
    const a = new Writer('a', await open())
    const taken: number[] = []
    for (let ms = 0; ms <= 11_000; ms += 250) {
      a.type('x')
      await vi.advanceTimersByTimeAsync(250)
      const list = await versions()
      if (list.length > taken.length) taken.push(ms)
    }
    // Never a pause of versionQuietMs; one version per 5 s of typing.
    expect(taken).toEqual([4_750, 9_750])
    const [newest, oldest] = await versions()
    // Each holds the edits made up to its moment: 20 and 40 characters.
    expect(oldest!.textLength).toBe(20)
    expect(newest!.textLength).toBe(40)
  })

  it('H2: the last peer leaving takes a version at once, with all its edits', async () => {
    const a = new Writer('a', await open({ versionQuietMs: 60_000 }))
    a.type('bye')
    room.leave(a)
    await vi.advanceTimersByTimeAsync(0)
    const [v] = await versions()
    expect(await textOfVersion(v!.id)).toBe('bye')
  })

  it('H2: closing a room with edits since the last version takes one', async () => {
    await open({ versionQuietMs: 60_000 })
    const update = (() => {
      const doc = new Y.Doc()
      doc.getText(TEXT_NAME).insert(0, 'from the server')
      return Y.encodeStateAsUpdate(doc)
    })()
    await room.applyUpdate(update)
    await room.close()
    const [v] = await versions()
    expect(v).toMatchObject({ kind: 'auto', authors: [], textLength: 15 })
  })

  it('H3: a version identical to the latest is not saved again, except a named one', async () => {
    const a = new Writer('a', await open())
    a.type('same')
    await vi.advanceTimersByTimeAsync(1_000)
    const [first] = await versions()
    expect(first).toBeDefined()
    // Joining and leaving without an edit; asking for an automatic version without change.
    room.leave(a)
    await vi.advanceTimersByTimeAsync(0)
    expect(await room.history.save('auto')).toEqual({ version: first, created: false })
    // Typed and deleted again: the clocks moved, so the document is not the same.
    room.join(a)
    const t = a.doc.getText(TEXT_NAME)
    t.insert(4, '!')
    t.delete(4, 1)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(await versions()).toHaveLength(2)
    const named = await room.history.save('named', 'Checkpoint')
    expect(named.created).toBe(true)
    expect((await versions())[0]).toMatchObject({ kind: 'named', label: 'Checkpoint' })
  })

  it('H4: authors are the names in the awareness of the peers who edited, bounded', async () => {
    await open({ maxVersionAuthors: 3 })
    const ada = new Writer('ada', room)
    const watcher = new Writer('watcher', room)
    const late = new Writer('late', room)
    const gone = new Writer('gone', room)
    const long = new Writer('long', room)
    ada.present({ user: { name: ' Ada ', color: '#f00' }, cursor: null }, 1)
    watcher.present({ user: { name: 'Only Watching' } }, 1)
    gone.present({ user: { name: 'Gone' } }, 1)
    ada.type('a')
    // Edits first, says who it is afterwards.
    late.type('b')
    late.present({ user: { name: 'Late' } }, 1)
    // Removes its state (as y-websocket does on disconnect) before leaving.
    gone.type('c')
    gone.present(null, 2)
    room.leave(gone)
    // Over the bound.
    long.present({ user: { name: 'L'.repeat(100) } }, 1)
    long.type('d')
    await vi.advanceTimersByTimeAsync(1_000)
    const [v] = await versions()
    expect(v!.authors).toEqual(['Ada', 'Late', 'Gone'])
    expect(watcher).toBeDefined()

    // The next version has the next stretch's authors only; names are cut to 64 characters.
    long.type('e')
    await vi.advanceTimersByTimeAsync(1_000)
    expect((await versions())[0]!.authors).toEqual(['L'.repeat(64)])
  })

  it('H2: a version that fails to save is tried again after a quiet period', async () => {
    const a = new Writer('a', await open())
    a.present({ user: { name: 'Ada' } }, 1)
    const save = vi.spyOn(store, 'saveVersion').mockRejectedValueOnce(new Error('disk full'))
    a.type('kept')
    await vi.advanceTimersByTimeAsync(1_000)
    expect(save).toHaveBeenCalledTimes(1)
    expect(await versions()).toEqual([])
    await vi.advanceTimersByTimeAsync(1_000)
    expect(await versions()).toMatchObject([{ authors: ['Ada'], textLength: 4 }])
  })

  it('H5: saving a version applies the retention policy', async () => {
    const old = { authors: [], textLength: 0, bytes: new Uint8Array([0, 0]) }
    const longAgo = Date.now() - 40 * 86_400_000
    await store.saveVersion('doc', { ...old, kind: 'auto', label: null, createdAtMs: longAgo })
    await store.saveVersion('doc', { ...old, kind: 'named', label: 'kept', createdAtMs: longAgo })
    await open()
    await room.history.save('named', 'now')
    expect((await versions()).map((v) => v.label)).toEqual(['now', 'kept'])
  })
})

import { TEXT_NAME } from '@tandem/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { textEdit } from '../../test/poison.js'
import { createLogger } from '../log.js'
import { DocState } from '../rooms/doc-state.js'
import { WorkerFolder } from './folder.js'

const folders: WorkerFolder[] = []
function folder(size = 1, maxHeapMb?: number): WorkerFolder {
  const f = new WorkerFolder(createLogger('silent'), size, maxHeapMb ? { maxHeapMb } : {})
  folders.push(f)
  return f
}
afterEach(async () => {
  await Promise.all(folders.splice(0).map((f) => f.close()))
})

describe('WorkerFolder', () => {
  it('folds in a worker thread: the compact state, its state vector and the text', async () => {
    const hello = textEdit(null, 'hello', 1)
    const world = textEdit(hello, ' world', 2, 5)
    const result = await folder().fold({ base: hello, updates: [world], textName: TEXT_NAME })
    expect(result.text).toBe('hello world')
    const doc = new Y.Doc()
    Y.applyUpdate(doc, result.state!)
    expect(doc.getText(TEXT_NAME).toString()).toBe('hello world')
    expect(result.stateVector).toEqual(Y.encodeStateVector(doc))
  })

  it('rejects a fold whose bytes do not apply, and keeps working', async () => {
    const f = folder()
    await expect(
      f.fold({ base: new Uint8Array([1, 2, 3, 250]), updates: [], textName: TEXT_NAME }),
    ).rejects.toThrow()
    expect(
      (await f.fold({ base: textEdit(null, 'still here', 1), updates: [], textName: TEXT_NAME }))
        .text,
    ).toBe('still here')
  })

  it('runs several folds at once on several workers, each answered with its own', async () => {
    const f = folder(2)
    const texts = ['a', 'b', 'c', 'd', 'e']
    const results = await Promise.all(
      texts.map((t, i) =>
        f.fold({ base: textEdit(null, t, i + 1), updates: [], textName: TEXT_NAME }),
      ),
    )
    expect(results.map((r) => r.text)).toEqual(texts)
  })

  it('a DocState reads its text through a worker and serves the same state after', async () => {
    const hello = textEdit(null, 'hello', 1)
    const state = new DocState(null, [hello, textEdit(hello, '!', 2, 5)], 2)
    expect(await state.text(folder(), TEXT_NAME)).toBe('hello!')
    const doc = new Y.Doc()
    Y.applyUpdate(doc, state.update)
    expect(doc.getText(TEXT_NAME).toString()).toBe('hello!')
  })

  it('a closed folder refuses work, and DocState then folds on its own', async () => {
    const f = folder()
    await f.close()
    await expect(
      f.fold({ base: textEdit(null, 'x', 1), updates: [], textName: TEXT_NAME }),
    ).rejects.toThrow(/closed/)
    const state = new DocState(null, [textEdit(null, 'here', 1)], 1)
    expect(await state.text(f, TEXT_NAME)).toBe('here')
  })

  it('U6: diffs a large document in a worker, the same as Y.diffUpdate, and caches the answer', async () => {
    const doc = new Y.Doc()
    doc.clientID = 1
    doc.getText(TEXT_NAME).insert(0, 'x'.repeat(100_000))
    const big = Y.encodeStateAsUpdate(doc)
    const peer = new Y.Doc()
    peer.clientID = 2
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc))
    const sv = Y.encodeStateVector(peer)
    doc.getText(TEXT_NAME).insert(5, 'new')
    const after = Y.encodeStateAsUpdate(doc, Y.encodeStateVectorFromUpdate(big))
    // The worker itself answers with the diff ...
    const direct = await folder().fold({ base: big, updates: [after], diffAgainst: sv })
    expect(direct.diff).toEqual(Y.diffUpdate(Y.mergeUpdates([big, after]), sv))
    // ... and a DocState asks it, rather than diffing here.
    const state = new DocState(big, [after], 2)
    const asked: unknown[] = []
    const counting = folder()
    const spy = {
      fold: (request: Parameters<WorkerFolder['fold']>[0]) => {
        asked.push(request.diffAgainst)
        return counting.fold(request)
      },
    }
    const diff = await state.diffOff(sv, spy)
    expect(asked).toEqual([sv])
    Y.applyUpdate(peer, diff)
    expect(peer.getText(TEXT_NAME).toString()).toBe(doc.getText(TEXT_NAME).toString())
    expect(await state.diffOff(sv, spy)).toBe(diff)
    expect(asked).toHaveLength(1)
  })

  it('C1: a snapshot folded in a worker covers the log as it was asked; later updates stay in the log', async () => {
    const hello = textEdit(null, 'hello', 1)
    const state = new DocState(null, [hello, textEdit(hello, '!', 2, 5)], 2)
    const pending = state.snapshotOff(folder())
    // An update committed while the worker folds.
    state.push(textEdit(hello, '?', 3, 0), 3)
    const snapshot = await pending
    expect(snapshot).not.toBeNull()
    expect(snapshot?.throughSeq).toBe(2)
    expect(snapshot?.updateCount).toBe(2)
    const doc = new Y.Doc()
    Y.applyUpdate(doc, snapshot!.bytes)
    expect(doc.getText(TEXT_NAME).toString()).toBe('hello!')
    state.snapshotStored(snapshot!)
    expect(state.updatesSinceSnapshot).toBe(1)
  })

  it('a worker that dies (out of its heap) fails its job, and its replacement takes the next', async () => {
    const f = folder(1, 16)
    const doc = new Y.Doc()
    const text = doc.getText(TEXT_NAME)
    // 150,000 items that cannot merge (each typed before the last): a model far over 16 MB.
    doc.transact(() => {
      for (let i = 0; i < 150_000; i++) text.insert(0, 'a')
    })
    const big = Y.encodeStateAsUpdate(doc)
    await expect(f.fold({ base: big, updates: [], textName: TEXT_NAME })).rejects.toThrow()
    const small = await f.fold({
      base: textEdit(null, 'after', 1),
      updates: [],
      textName: TEXT_NAME,
    })
    expect(small.text).toBe('after')
  })

  it('closing with folds in flight fails them, and nothing waits for them', async () => {
    const f = folder(1)
    const doc = new Y.Doc()
    doc.getText(TEXT_NAME).insert(0, 'x'.repeat(500_000))
    const base = Y.encodeStateAsUpdate(doc)
    const running = expect(f.fold({ base, updates: [], textName: TEXT_NAME })).rejects.toThrow(
      /closed/,
    )
    const queued = expect(f.fold({ base, updates: [], textName: TEXT_NAME })).rejects.toThrow(
      /closed/,
    )
    await f.close()
    await running
    await queued
  })
})

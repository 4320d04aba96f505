import { TEXT_NAME } from '@tandem/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { textEdit } from '../../test/poison.js'
import { createLogger } from '../log.js'
import { DocState } from '../rooms/doc-state.js'
import { WorkerFolder } from './folder.js'

const folders: WorkerFolder[] = []
function folder(size = 1): WorkerFolder {
  const f = new WorkerFolder(createLogger('silent'), size)
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
    const result = await folder().fold(hello, [world], TEXT_NAME)
    expect(result.text).toBe('hello world')
    const doc = new Y.Doc()
    Y.applyUpdate(doc, result.state)
    expect(doc.getText(TEXT_NAME).toString()).toBe('hello world')
    expect(result.stateVector).toEqual(Y.encodeStateVector(doc))
  })

  it('rejects a fold whose bytes do not apply, and keeps working', async () => {
    const f = folder()
    await expect(f.fold(new Uint8Array([1, 2, 3, 250]), [], TEXT_NAME)).rejects.toThrow()
    expect((await f.fold(textEdit(null, 'still here', 1), [], TEXT_NAME)).text).toBe('still here')
  })

  it('runs several folds at once on several workers, each answered with its own', async () => {
    const f = folder(2)
    const texts = ['a', 'b', 'c', 'd', 'e']
    const results = await Promise.all(
      texts.map((t, i) => f.fold(textEdit(null, t, i + 1), [], TEXT_NAME)),
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
    await expect(f.fold(textEdit(null, 'x', 1), [], TEXT_NAME)).rejects.toThrow(/closed/)
    const state = new DocState(null, [textEdit(null, 'here', 1)], 1)
    expect(await state.text(f, TEXT_NAME)).toBe('here')
  })
})

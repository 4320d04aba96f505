import { describe, expect, it, vi } from 'vitest'
import { GroupCommitter, StorageBackpressureError, StoreClosedError } from './group-commit.js'

const options = { maxPendingBytes: 100, retryInitialMs: 1, retryMaxMs: 4 }

function committer(fail: () => boolean = () => false) {
  const batches: string[][] = []
  let seq = 0
  const c = new GroupCommitter<string>(async (batch) => {
    if (fail()) throw new Error('disk full')
    batches.push(batch)
    return batch.map(() => ++seq)
  }, options)
  return { c, batches }
}

describe('GroupCommitter', () => {
  it('G1: items added in one turn share one commit, in order', async () => {
    const { c, batches } = committer()
    const seqs = await Promise.all(['a', 'b', 'c'].map((x) => c.add(x, 1)))
    expect(batches).toEqual([['a', 'b', 'c']])
    expect(seqs).toEqual([1, 2, 3])
  })

  it('G2: a failed commit is retried, keeping order, and nothing resolves before it commits', async () => {
    let failing = true
    const { c, batches } = committer(() => failing)
    const settled: string[] = []
    const first = c.add('a', 1).then(() => settled.push('a'))
    await vi.waitFor(() => expect(c.failure).toBeInstanceOf(Error))
    const second = c.add('b', 1).then(() => settled.push('b'))
    expect(settled).toEqual([])
    failing = false
    await Promise.all([first, second])
    expect(settled).toEqual(['a', 'b'])
    expect(batches.flat()).toEqual(['a', 'b'])
    expect(c.failure).toBeNull()
  })

  it('G3: past the byte budget an add is refused at once', async () => {
    const { c } = committer(() => true)
    const held = c.add('big', 90)
    await expect(c.add('more', 20)).rejects.toBeInstanceOf(StorageBackpressureError)
    await c.close(0)
    await expect(held).rejects.toBeInstanceOf(StoreClosedError)
  })

  it('G4: close waits for pending commits', async () => {
    const { c, batches } = committer()
    const added = c.add('a', 1)
    await c.close(1000)
    await expect(added).resolves.toBe(1)
    expect(batches).toEqual([['a']])
    await expect(c.add('late', 1)).rejects.toBeInstanceOf(StoreClosedError)
  })

  it('G5: once close gives up, a commit that fails is not retried', async () => {
    let attempts = 0
    let failCommit: (err: Error) => void = () => {}
    const c = new GroupCommitter<string>(() => {
      attempts++
      return new Promise<number[]>((_, reject) => {
        failCommit = reject
      })
    }, options)
    const added = c.add('a', 1)
    await vi.waitFor(() => expect(attempts).toBe(1))
    await c.close(0)
    await expect(added).rejects.toBeInstanceOf(StoreClosedError)
    failCommit(new Error('pool ended'))
    await c.drained()
    expect(attempts).toBe(1)
  })
})

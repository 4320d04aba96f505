import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Refetcher } from './refetch'

describe('Refetcher', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  /** A request that takes `ms` of fake time; `times` gets when each one started. */
  function requests(ms = 0) {
    const times: number[] = []
    const start = Date.now()
    const run = () => {
      times.push(Date.now() - start)
      return new Promise<void>((resolve) => setTimeout(resolve, ms))
    }
    return { times, run }
  }

  it('asks once the changes have been still for the quiet time', async () => {
    const { times, run } = requests()
    const refetch = new Refetcher(run, 2_000, 6_000)
    refetch.changed()
    await vi.advanceTimersByTimeAsync(1_000)
    refetch.changed()
    await vi.advanceTimersByTimeAsync(1_999)
    expect(times).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(times).toEqual([3_000])
    await vi.advanceTimersByTimeAsync(10_000)
    expect(times).toEqual([3_000])
  })

  it('asks at the longest wait during steady typing, and again after it stops', async () => {
    const { times, run } = requests()
    const refetch = new Refetcher(run, 2_000, 6_000)
    for (let t = 0; t < 8_000; t += 500) {
      refetch.changed()
      await vi.advanceTimersByTimeAsync(500)
    }
    expect(times).toEqual([6_000])
    await vi.advanceTimersByTimeAsync(2_000)
    expect(times).toEqual([6_000, 9_500])
  })

  it('never runs two at once; a change during one asks again after it', async () => {
    const { times, run } = requests(3_000)
    const refetch = new Refetcher(run, 2_000, 6_000)
    refetch.now()
    await vi.advanceTimersByTimeAsync(1_000)
    refetch.changed()
    refetch.now()
    await vi.advanceTimersByTimeAsync(1_999)
    expect(times).toEqual([0])
    // The first ends at 3 s; the change made during it is asked about 2 s later.
    await vi.advanceTimersByTimeAsync(3_001)
    expect(times).toEqual([0, 5_000])
  })

  it('does nothing once disposed', async () => {
    const { times, run } = requests()
    const refetch = new Refetcher(run, 2_000, 6_000)
    refetch.changed()
    refetch.dispose()
    refetch.now()
    await vi.advanceTimersByTimeAsync(10_000)
    expect(times).toEqual([])
  })
})

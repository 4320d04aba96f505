import type { Random } from './random'

/** A seeded pseudo-random source (mulberry32), so tests are repeatable. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A source that returns the given values in turn, then repeats the last one. */
export function sequence(...values: number[]): Random {
  let i = 0
  return () => values[Math.min(i++, values.length - 1)] ?? 0
}

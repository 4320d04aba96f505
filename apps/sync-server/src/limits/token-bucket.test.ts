import { describe, expect, it } from 'vitest'
import { Counter, KeyedRateLimiter, TokenBucket } from './token-bucket.js'

describe('TokenBucket', () => {
  it('L1: allows a burst up to its capacity, then refills at its rate', () => {
    const bucket = new TokenBucket(3, 2, 0)
    expect([bucket.take(1, 0), bucket.take(1, 0), bucket.take(1, 0), bucket.take(1, 0)]).toEqual([
      true,
      true,
      true,
      false,
    ])
    expect(bucket.waitMs(1, 0)).toBe(500)
    expect(bucket.take(1, 499)).toBe(false)
    expect(bucket.take(1, 500)).toBe(true)
    expect(bucket.take(10, 100_000)).toBe(false)
    expect(bucket.take(3, 100_000)).toBe(true)
  })
})

describe('KeyedRateLimiter', () => {
  it('L2: limits each key on its own and forgets the least recently used key past maxKeys', () => {
    const limiter = new KeyedRateLimiter(1, 1, 2)
    expect(limiter.take('a', 0)).toBe(0)
    expect(limiter.take('a', 0)).toBe(1000)
    expect(limiter.take('b', 0)).toBe(0)
    expect(limiter.take('c', 0)).toBe(0)
    // 'a' was forgotten when 'c' arrived, so it starts with a full bucket again.
    expect(limiter.take('a', 0)).toBe(0)
  })
})

describe('Counter', () => {
  it('L3: counts per key and forgets keys that reach zero', () => {
    const counter = new Counter()
    counter.add('x')
    counter.add('x')
    counter.remove('x')
    expect(counter.get('x')).toBe(1)
    counter.remove('x')
    expect(counter.get('x')).toBe(0)
  })
})

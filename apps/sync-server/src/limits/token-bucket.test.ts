import { describe, expect, it } from 'vitest'
import { Cooldowns, Counter, KeyedRateLimiter, TokenBucket } from './token-bucket.js'

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

describe('Cooldowns', () => {
  it('L4: shuts a key out for its duration, drops expired keys and holds at most maxKeys', () => {
    const cooldowns = new Cooldowns(1000, 2)
    cooldowns.start('a', 0)
    expect(cooldowns.remainingMs('a', 0)).toBe(1000)
    expect(cooldowns.remainingMs('a', 999)).toBe(1)
    expect(cooldowns.remainingMs('a', 1000)).toBe(0)
    expect(cooldowns.remainingMs('b', 0)).toBe(0)
    cooldowns.start('a', 2000)
    cooldowns.start('b', 2500)
    // 'a' is still shut out, but the oldest goes first when a third key arrives.
    cooldowns.start('c', 2600)
    expect(cooldowns.size).toBe(2)
    expect([cooldowns.remainingMs('a', 2600), cooldowns.remainingMs('c', 2600)]).toEqual([0, 1000])
    // Expired keys are dropped as new ones arrive.
    cooldowns.start('d', 10_000)
    expect(cooldowns.size).toBe(1)
    // A duration of 0 turns it off.
    const off = new Cooldowns(0)
    off.start('a', 0)
    expect(off.remainingMs('a', 0)).toBe(0)
  })
})

import { describe, expect, it } from 'vitest'
import {
  Cooldowns,
  Counter,
  HeldTime,
  KeyedRateLimiter,
  Shared,
  TokenBucket,
} from './token-bucket.js'

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

describe('TokenBucket debt', () => {
  it('L5: debit takes what it is asked even into debt, and the wait counts the debt', () => {
    const bucket = new TokenBucket(4, 2, 0)
    expect(bucket.debit(3, 0)).toBe(true)
    expect(bucket.debit(3, 0)).toBe(false)
    expect(bucket.level(0)).toBe(-2)
    // Two seconds to pay the debt of 2 tokens at 2 a second, half a second more for one token.
    expect(bucket.waitMs(1, 0)).toBe(1500)
    expect(bucket.level(1000)).toBe(0)
    expect(bucket.take(1, 1000)).toBe(false)
    expect(bucket.take(1, 1500)).toBe(true)
  })
})

describe('HeldTime', () => {
  it('L6: measures the share of the window spent held, the hold in progress included', () => {
    const held = new HeldTime(1000)
    expect(held.share(0)).toBe(0)
    held.hold(0)
    expect(held.holding).toBe(true)
    expect(held.share(500)).toBe(0.5)
    held.hold(300) // already holding: no effect
    held.release(600)
    expect(held.holding).toBe(false)
    expect(held.share(1000)).toBeCloseTo(0.6)
    held.hold(1000)
    // Window [500, 1500]: 100 ms of the first hold, 500 of the second.
    expect(held.share(1500)).toBeCloseTo(0.6)
    held.release(2000)
    // Window [2500, 3500]: nothing held.
    expect(held.share(3500)).toBe(0)
  })

  it('L7: keeps at most maxHolds holds, merging the newest into its predecessor', () => {
    const held = new HeldTime(10_000, 2)
    for (let i = 0; i < 5; i++) {
      held.hold(i * 100)
      held.release(i * 100 + 10)
    }
    // Holds [0,10], [100,410]: the gaps after the second hold count as held.
    expect(held.share(10_000)).toBeCloseTo(320 / 10_000)
  })
})

describe('Shared', () => {
  it('L8: one value per key while it has users; forgotten with the last', () => {
    let made = 0
    const shared = new Shared(() => ({ n: ++made }))
    const a = shared.acquire('ip')
    expect(shared.acquire('ip')).toBe(a)
    expect(shared.acquire('other')).not.toBe(a)
    shared.release('ip')
    expect(shared.acquire('ip')).toBe(a)
    shared.release('ip')
    shared.release('ip')
    expect(shared.size).toBe(1)
    expect(shared.acquire('ip')).not.toBe(a)
    expect(made).toBe(3)
  })
})

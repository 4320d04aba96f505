import { describe, expect, it } from 'vitest'
import { describeTime, relativeTime } from './time'

describe('describeTime', () => {
  const now = new Date(2025, 2, 12, 16, 0).getTime()

  it('says today and yesterday with the time', () => {
    expect(describeTime(new Date(2025, 2, 12, 14, 32).getTime(), now, 'en-GB')).toBe('Today, 14:32')
    expect(describeTime(new Date(2025, 2, 11, 9, 5).getTime(), now, 'en-GB')).toBe(
      'Yesterday, 9:05',
    )
  })

  it("follows the locale's clock", () => {
    // ICU versions differ in the space before "PM" (U+0020 or U+202F).
    const text = describeTime(new Date(2025, 2, 12, 14, 32).getTime(), now, 'en-US')
    expect(text.replace(/\s/gu, ' ')).toBe('Today, 2:32 PM')
  })

  it('gives the date for older times, with the year when it differs', () => {
    expect(describeTime(new Date(2025, 0, 3, 8, 0).getTime(), now, 'en-GB')).toBe('3 Jan, 8:00')
    expect(describeTime(new Date(2024, 11, 31, 23, 59).getTime(), now, 'en-GB')).toBe(
      '31 Dec 2024, 23:59',
    )
  })
})

describe('relativeTime', () => {
  const now = new Date(2025, 2, 12, 16, 0).getTime()
  const minute = 60_000

  it('names the largest whole unit', () => {
    expect(relativeTime(now - 20_000, now, 'en')).toBe('now')
    expect(relativeTime(now - 5 * minute - 10_000, now, 'en')).toBe('5 minutes ago')
    expect(relativeTime(now - 3 * 60 * minute, now, 'en')).toBe('3 hours ago')
    expect(relativeTime(now - 24 * 60 * minute, now, 'en')).toBe('yesterday')
    expect(relativeTime(now - 15 * 24 * 60 * minute, now, 'en')).toBe('2 weeks ago')
    expect(relativeTime(now - 400 * 24 * 60 * minute, now, 'en')).toBe('last year')
  })

  it('reads a time in the future (a skewed clock) as now', () => {
    expect(relativeTime(now + 10 * minute, now, 'en')).toBe('now')
  })
})

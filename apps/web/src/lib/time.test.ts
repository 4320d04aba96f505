import { describe, expect, it } from 'vitest'
import { describeTime } from './time'

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

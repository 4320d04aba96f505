import { describe, expect, it } from 'vitest'
import { stepForKey } from './playback-keys'

describe('stepForKey', () => {
  it('steps by one with the arrows and stops at either end', () => {
    expect(stepForKey('ArrowRight', 3, 9)).toBe(4)
    expect(stepForKey('ArrowUp', 9, 9)).toBe(9)
    expect(stepForKey('ArrowLeft', 0, 9)).toBe(-1)
    expect(stepForKey('ArrowDown', -1, 9)).toBe(-1)
  })

  it('jumps a tenth of a long history with Page Up and Down, ten steps at least', () => {
    expect(stepForKey('PageUp', 0, 998)).toBe(100)
    expect(stepForKey('PageDown', 500, 998)).toBe(400)
    expect(stepForKey('PageUp', 0, 30)).toBe(10)
    expect(stepForKey('PageDown', 5, 30)).toBe(-1)
  })

  it('goes to the start and the end with Home and End, and ignores other keys', () => {
    expect(stepForKey('Home', 7, 9)).toBe(-1)
    expect(stepForKey('End', 2, 9)).toBe(9)
    expect(stepForKey('a', 2, 9)).toBeNull()
  })
})

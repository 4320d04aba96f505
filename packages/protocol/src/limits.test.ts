import { describe, expect, it } from 'vitest'
import { defaultLimits } from './limits.js'

describe('defaultLimits', () => {
  it('has the documented values (see PROTOCOL.md)', () => {
    expect(defaultLimits).toEqual({
      maxMessageBytes: 16 * 1024 * 1024,
      maxDocNameChars: 128,
      maxAwarenessStateBytes: 8 * 1024,
    })
  })
})

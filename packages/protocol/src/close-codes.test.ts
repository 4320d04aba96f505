import { describe, expect, it } from 'vitest'
import { CloseCode, closeReason, isPermanentClose } from './close-codes.js'

const codes = Object.values(CloseCode)

describe('CloseCode', () => {
  it('has one entry per number', () => {
    expect(new Set(codes).size).toBe(codes.length)
  })

  it('uses only standard (1000-1015) or private-use (4000-4999) codes a server may send', () => {
    for (const code of codes) {
      const standard = code >= 1000 && code <= 1015 && ![1004, 1005, 1006, 1015].includes(code)
      const privateUse = code >= 4000 && code <= 4999
      expect(standard || privateUse, `code ${code}`).toBe(true)
    }
  })

  it('every code has a short, distinct close reason', () => {
    expect(Object.keys(closeReason).map(Number).sort()).toEqual([...codes].sort())
    for (const code of codes) {
      const reason = closeReason[code]
      expect(reason.length, `code ${code}`).toBeGreaterThan(0)
      // A close frame's payload is at most 125 bytes, two of which carry the code.
      expect(new TextEncoder().encode(reason).length, `code ${code}`).toBeLessThanOrEqual(123)
    }
    expect(new Set(Object.values(closeReason)).size).toBe(codes.length)
  })
})

describe('isPermanentClose', () => {
  it('treats 4400-4499 as permanent', () => {
    for (const code of [4400, 4401, 4403, 4422, 4499]) expect(isPermanentClose(code)).toBe(true)
  })

  it('treats everything else as transient, including 4500-4599 and 1013', () => {
    for (const code of [0, 1000, 1001, 1006, 1013, 4000, 4399, 4500, 4503, 4599, 4999]) {
      expect(isPermanentClose(code), `code ${code}`).toBe(false)
    }
  })

  it('classifies each CloseCode as intended', () => {
    const permanent = codes.filter(isPermanentClose)
    expect(permanent).toEqual([
      CloseCode.TokenExpired,
      CloseCode.AccessRevoked,
      CloseCode.UpdateRefused,
      CloseCode.DocumentCorrupt,
    ])
    expect(isPermanentClose(CloseCode.StorageUnavailable)).toBe(false)
    expect(isPermanentClose(CloseCode.DependenciesMissing)).toBe(false)
    expect(isPermanentClose(CloseCode.TryAgainLater)).toBe(false)
    expect(isPermanentClose(CloseCode.GoingAway)).toBe(false)
  })

  it('puts private-use codes in the band that matches their meaning', () => {
    for (const code of codes.filter((c) => c >= 4000)) {
      const band = Math.floor(code / 100)
      expect([44, 45], `code ${code}`).toContain(band)
    }
  })
})

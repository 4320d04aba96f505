import { describe, expect, it } from 'vitest'
import { bytes, expectProtocolError } from '../test/helpers.js'
import { decodeAwarenessUpdate } from './awareness.js'
import { CloseCode } from './close-codes.js'
import type { ProtocolErrorKind } from './errors.js'
import { decodeMessage, validateStateVector, validateUpdate } from './messages.js'

// One input per kind. The Record type makes a new kind without a case here a type error.
const producers: Record<ProtocolErrorKind, () => unknown> = {
  empty: () => decodeMessage(new Uint8Array()),
  truncated: () => decodeMessage(bytes(0, 2, 3, 1)),
  'trailing-bytes': () => decodeMessage(bytes(3, 3)),
  'unknown-message-type': () => decodeMessage(bytes(42)),
  'unknown-sync-step': () => decodeMessage(bytes(0, 9, 0)),
  'invalid-update': () => validateUpdate(bytes(0xff)),
  'invalid-awareness': () => decodeAwarenessUpdate(bytes(1, 1, 1)),
}

describe('ProtocolErrorKind', () => {
  it.each(Object.entries(producers))(
    '%s is thrown by a decoder, with close code 1007',
    (kind, fn) => {
      const err = expectProtocolError(fn, kind as ProtocolErrorKind)
      expect(err.closeCode).toBe(CloseCode.InvalidPayload)
    },
  )

  it('invalid state vectors are reported as invalid-update', () => {
    expectProtocolError(() => validateStateVector(bytes(1)), 'invalid-update')
  })
})

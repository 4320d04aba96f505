import { expect } from 'vitest'
import { ProtocolError, type ProtocolErrorKind } from '../src/index.js'

/** Lower-case hex, so byte mismatches show up as readable string diffs. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

export function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values)
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/**
 * Copies `before`, `frame` and `after` into one buffer and returns the view of `frame`, the way
 * Node hands out slices of a pooled buffer.
 */
export function inPooledBuffer(frame: Uint8Array, before: Uint8Array, after: Uint8Array) {
  const pool = concat(before, frame, after)
  return pool.subarray(before.length, before.length + frame.length)
}

/** Runs `fn`, expecting it to throw a {@link ProtocolError}; returns the error. */
export function protocolErrorFrom(fn: () => unknown): ProtocolError {
  let thrown: unknown
  try {
    fn()
  } catch (err) {
    thrown = err
  }
  if (thrown === undefined) throw new Error('expected a ProtocolError, but nothing was thrown')
  if (!(thrown instanceof ProtocolError)) throw thrown
  return thrown
}

/** Expects `fn` to throw a {@link ProtocolError} of `kind`; returns the error. */
export function expectProtocolError(fn: () => unknown, kind: ProtocolErrorKind): ProtocolError {
  const err = protocolErrorFrom(fn)
  expect(err.kind).toBe(kind)
  return err
}

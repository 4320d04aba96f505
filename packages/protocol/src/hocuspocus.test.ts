import { describe, expect, it } from 'vitest'
import { ProtocolError } from './errors.js'
import {
  decodeHocuspocusFrame,
  encodeHocuspocusAuthenticated,
  encodeHocuspocusClose,
  encodeHocuspocusPermissionDenied,
  encodeHocuspocusStateless,
  encodeHocuspocusSyncStatus,
  encodeHocuspocusToken,
  encodeHocuspocusYjs,
  HOCUSPOCUS_PING,
  HOCUSPOCUS_PONG,
  parseHocuspocusAddress,
} from './hocuspocus.js'
import { encodeSyncStep1 } from './messages.js'

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'))
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex')

/**
 * Frames a stock `@hocuspocus/provider` 4.7.0 sent, in order: document `notes` (token `tok`),
 * and `notes` again with `sessionAwareness` (session `abc`, no token): auth, sync step 1,
 * awareness of each; an edit; a stateless message; the awareness removal and the close of
 * `notes` when the provider was destroyed.
 */
const captured = {
  token: '056e6f746573020003746f6b05342e372e30',
  sessionToken: '096e6f7465730061626302000005342e372e30',
  step1: '056e6f74657300000100',
  awareness: '056e6f7465730106010700027b7d',
  sessionStep1: '096e6f7465730061626300000100',
  sessionAwareness: '096e6f746573006162630106010800027b7d',
  update: '056e6f74657300020c010107000401017402686900',
  stateless: '056e6f746573050570696e6721',
  awarenessGone: '056e6f7465730108010701046e756c6c',
  close: '056e6f74657307',
}

describe('Hocuspocus framing', () => {
  it('decodes the frames of a real provider', () => {
    expect(decodeHocuspocusFrame(hex(captured.token))).toEqual({
      kind: 'document',
      address: 'notes',
      name: 'notes',
      sessionId: null,
      message: { type: 'token', token: 'tok', providerVersion: '4.7.0' },
    })
    expect(decodeHocuspocusFrame(hex(captured.sessionToken))).toEqual({
      kind: 'document',
      address: 'notes\0abc',
      name: 'notes',
      sessionId: 'abc',
      message: { type: 'token', token: '', providerVersion: '4.7.0' },
    })
    const step1 = decodeHocuspocusFrame(hex(captured.sessionStep1))
    expect(step1.kind === 'document' && step1.message).toMatchObject({
      type: 'yjs',
      frame: hex('00000100'),
      message: { type: 'sync-step-1' },
    })
    for (const name of ['awareness', 'sessionAwareness', 'awarenessGone'] as const) {
      const frame = decodeHocuspocusFrame(hex(captured[name]))
      expect(
        frame.kind === 'document' && frame.message.type === 'yjs' && frame.message.message,
      ).toMatchObject({ type: 'awareness' })
    }
    const update = decodeHocuspocusFrame(hex(captured.update))
    expect(update.kind === 'document' && update.message).toMatchObject({
      type: 'yjs',
      message: { type: 'sync-update' },
    })
    expect(decodeHocuspocusFrame(hex(captured.stateless))).toMatchObject({
      message: { type: 'stateless', payload: 'ping!' },
    })
    expect(decodeHocuspocusFrame(hex(captured.close))).toMatchObject({
      address: 'notes',
      message: { type: 'close', reason: null },
    })
  })

  it('encodes what the provider sends byte for byte', () => {
    expect(toHex(encodeHocuspocusToken('notes', 'tok', '4.7.0'))).toBe(captured.token)
    expect(toHex(encodeHocuspocusToken('notes\0abc', '', '4.7.0'))).toBe(captured.sessionToken)
    expect(toHex(encodeHocuspocusYjs('notes', encodeSyncStep1(hex('00'))))).toBe(captured.step1)
    expect(toHex(encodeHocuspocusStateless('notes', 'ping!'))).toBe(captured.stateless)
    expect(toHex(encodeHocuspocusClose('notes'))).toBe(captured.close)
  })

  it('encodes the server messages as the Hocuspocus server writes them', () => {
    expect(toHex(encodeHocuspocusAuthenticated('d', 'read-write'))).toBe(
      `016402020a${toHex(new TextEncoder().encode('read-write'))}`,
    )
    expect(toHex(encodeHocuspocusAuthenticated('d', 'readonly'))).toBe(
      `0164020208${toHex(new TextEncoder().encode('readonly'))}`,
    )
    expect(toHex(encodeHocuspocusPermissionDenied('d', 'no'))).toBe('01640201026e6f')
    expect(toHex(encodeHocuspocusSyncStatus('d', true))).toBe('01640801')
    expect(toHex(encodeHocuspocusSyncStatus('d', false))).toBe('01640800')
    expect(toHex(encodeHocuspocusClose('d', 'bye'))).toBe('01640703627965')
    expect(toHex(HOCUSPOCUS_PING)).toBe('09')
    expect(toHex(HOCUSPOCUS_PONG)).toBe('0a')
  })

  it('round-trips every server message', () => {
    expect(decodeHocuspocusFrame(encodeHocuspocusAuthenticated('a\0s', 'readonly'))).toEqual({
      kind: 'document',
      address: 'a\0s',
      name: 'a',
      sessionId: 's',
      message: { type: 'authenticated', scope: 'readonly' },
    })
    expect(decodeHocuspocusFrame(encodeHocuspocusPermissionDenied('a', 'why'))).toMatchObject({
      message: { type: 'permission-denied', reason: 'why' },
    })
    expect(decodeHocuspocusFrame(encodeHocuspocusSyncStatus('a', false))).toMatchObject({
      message: { type: 'sync-status', applied: false },
    })
    expect(decodeHocuspocusFrame(encodeHocuspocusClose('a', 'gone'))).toMatchObject({
      message: { type: 'close', reason: 'gone' },
    })
    expect(decodeHocuspocusFrame(hex('0161020000'))).toMatchObject({
      message: { type: 'token', token: '', providerVersion: null },
    })
    expect(decodeHocuspocusFrame(hex('01610200'))).toMatchObject({
      message: { type: 'token-request' },
    })
  })

  it('tells the bare ping and pong from a document whose name is 9 or 10 bytes long', () => {
    expect(decodeHocuspocusFrame(hex('09'))).toEqual({ kind: 'ping' })
    expect(decodeHocuspocusFrame(hex('0a'))).toEqual({ kind: 'pong' })
    const nine = decodeHocuspocusFrame(hex(`09${toHex(new TextEncoder().encode('ninebytes'))}03`))
    expect(nine).toMatchObject({ kind: 'document', name: 'ninebytes' })
  })

  it('splits a session-aware address at its first NUL', () => {
    expect(parseHocuspocusAddress('doc')).toEqual({ name: 'doc', sessionId: null })
    expect(parseHocuspocusAddress('doc\0s\0t')).toEqual({ name: 'doc', sessionId: 's\0t' })
  })

  it.each([
    ['empty', '', 'empty'],
    ['a lone name', '056e6f746573', 'truncated'],
    ['an empty address', '000300', 'truncated'],
    ['a name longer than the frame', '096e6f746573', 'truncated'],
    ['an unknown type', '016404', 'unknown-message-type'],
    ['the server-internal broadcast type', '0164060161', 'unknown-message-type'],
    ['an unknown auth kind', '01640203', 'unknown-message-type'],
    ['a truncated token', '0164020005', 'truncated'],
    ['bytes after a token and version', '016402000161016101', 'trailing-bytes'],
    ['bytes after a sync status', '0164080100', 'trailing-bytes'],
    ['bytes after a sync message', '01640000010000', 'trailing-bytes'],
    ['an unknown sync step', '0164000700', 'unknown-sync-step'],
    ['a Tandem saved-request', '016464', 'unknown-message-type'],
    ['a stateless payload that is not UTF-8', '01640501ff', 'truncated'],
  ])('refuses %s with a ProtocolError (1007)', (_what, bytes, kind) => {
    let error: unknown
    try {
      decodeHocuspocusFrame(hex(bytes))
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(ProtocolError)
    expect((error as ProtocolError).kind).toBe(kind)
    expect((error as ProtocolError).closeCode).toBe(1007)
  })
})

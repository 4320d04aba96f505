import { describe, expect, it } from 'vitest'
import { type DocMessage, decodeBusMessage, encodeBusMessage } from './bus.js'

describe('cluster messages', () => {
  const messages: DocMessage[] = [
    {
      type: 'update',
      doc: 'notes/ü',
      node: 'n1.abc',
      seq: 2 ** 40,
      update: new Uint8Array([1, 2]),
    },
    {
      type: 'awareness',
      doc: 'd',
      node: 'n1',
      userKey: 'ip:127.0.0.1',
      update: new Uint8Array([0]),
    },
    { type: 'awareness', doc: 'd', node: 'n1', userKey: undefined, update: new Uint8Array([0]) },
    { type: 'awareness-query', doc: 'd', node: 'n2' },
  ]

  it('N2: a document message decodes as it was sent (the document comes from the channel)', () => {
    for (const message of messages) {
      expect(decodeBusMessage(encodeBusMessage(message), message.doc)).toEqual(message)
    }
    for (const message of [
      { type: 'heartbeat', node: 'n3' },
      { type: 'leave', node: 'n3' },
      { type: 'link-revoked', node: 'n3', link: 'Zm9vYmFy' },
    ] as const) {
      expect(decodeBusMessage(encodeBusMessage(message), null)).toEqual(message)
    }
  })

  it('refuses what it cannot read: truncated, trailing bytes, another version, a document message without a document', () => {
    const bytes = encodeBusMessage(messages[0]!)
    expect(decodeBusMessage(bytes.slice(0, -1), 'd')).toBeNull()
    expect(decodeBusMessage(new Uint8Array([...bytes, 0]), 'd')).toBeNull()
    expect(decodeBusMessage(new Uint8Array([9, ...bytes.slice(1)]), 'd')).toBeNull()
    expect(decodeBusMessage(bytes, null)).toBeNull()
    expect(decodeBusMessage(new Uint8Array([0, 42, 0]), 'd')).toBeNull()
    expect(decodeBusMessage(new Uint8Array(), 'd')).toBeNull()
  })
})

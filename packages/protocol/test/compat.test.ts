// Wire compatibility with the reference implementation: frames written by y-protocols (as the
// stock y-websocket provider writes them) are read by Tandem's decoders, and frames written by
// Tandem's encoders are read by y-protocols into real Y.Doc and Awareness instances.
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { afterEach, describe, expect, it } from 'vitest'
import * as authProtocol from 'y-protocols/auth'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import {
  type AwarenessEntry,
  decodeAwarenessUpdate,
  decodeMessage,
  encodeAuthDenied,
  encodeAwareness,
  encodeAwarenessUpdate,
  encodeQueryAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
  type Message,
  MessageType,
  validateStateVector,
  validateUpdate,
} from '../src/index.js'

// y-websocket's message numbers, as its provider defines them.
const messageSync = 0
const messageAwareness = 1
const messageAuth = 2
const messageQueryAwareness = 3

/** A frame written the way y-websocket's provider writes it. */
function referenceFrame(messageType: number, writeBody: (e: encoding.Encoder) => void) {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, messageType)
  writeBody(encoder)
  return encoding.toUint8Array(encoder)
}

function decodeAs<T extends Message['type']>(frame: Uint8Array, type: T) {
  const message = decodeMessage(frame)
  if (message.type !== type) throw new Error(`expected ${type}, decoded ${message.type}`)
  return message as Extract<Message, { type: T }>
}

const toDestroy: { destroy(): void }[] = []
afterEach(() => {
  for (const d of toDestroy.splice(0)) d.destroy()
})

function docWithId(clientID: number): Y.Doc {
  const doc = new Y.Doc()
  doc.clientID = clientID
  toDestroy.push(doc)
  return doc
}

function awarenessFor(doc: Y.Doc): awarenessProtocol.Awareness {
  const awareness = new awarenessProtocol.Awareness(doc)
  toDestroy.push(awareness)
  return awareness
}

/** A document edited by three clients, with text, map, array and deletions. */
function editedDoc(): Y.Doc {
  const docs = [docWithId(11), docWithId(22), docWithId(2 ** 31 + 5)]
  docs.forEach((d, i) => {
    d.getText('content').insert(0, `client ${i} was here 🙂 `)
    d.getMap('meta').set(`k${i}`, { i, tags: ['x', i] })
    d.getArray('list').push([i, `item ${i}`])
  })
  for (const from of docs)
    for (const to of docs) Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)))
  docs[1]!.getText('content').delete(3, 10)
  Y.applyUpdate(docs[0]!, Y.encodeStateAsUpdate(docs[1]!))
  return docs[0]!
}

describe('y-protocols writes, Tandem reads', () => {
  it('sync step 1', () => {
    const doc = editedDoc()
    const frame = referenceFrame(messageSync, (e) => syncProtocol.writeSyncStep1(e, doc))
    const { stateVector } = decodeAs(frame, 'sync-step-1')
    expect(stateVector).toEqual(Y.encodeStateVector(doc))
    validateStateVector(stateVector)
    expect(Y.decodeStateVector(stateVector)).toEqual(Y.decodeStateVector(Y.encodeStateVector(doc)))
  })

  it('sync step 2, answering a peer’s state vector', () => {
    const doc = editedDoc()
    const peer = docWithId(99)
    peer.getText('content').insert(0, 'peer ')
    const sv = Y.encodeStateVector(peer)
    const frame = referenceFrame(messageSync, (e) => syncProtocol.writeSyncStep2(e, doc, sv))
    const { update } = decodeAs(frame, 'sync-step-2')
    expect(update).toEqual(Y.encodeStateAsUpdate(doc, sv))
    validateUpdate(update)
    Y.applyUpdate(peer, update)
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(peer))
    expect(peer.getText('content').toString()).toBe(doc.getText('content').toString())
  })

  it('sync update, as a provider sends on every local change', () => {
    const doc = editedDoc()
    const replica = docWithId(5)
    Y.applyUpdate(replica, Y.encodeStateAsUpdate(doc))
    const frames: Uint8Array[] = []
    doc.on('update', (update: Uint8Array) => {
      frames.push(referenceFrame(messageSync, (e) => syncProtocol.writeUpdate(e, update)))
    })
    doc.getText('content').insert(4, 'inserted ')
    doc.getMap('meta').delete('k1')
    doc.getArray('list').delete(0, 1)
    expect(frames).toHaveLength(3)
    for (const frame of frames) {
      const { update } = decodeAs(frame, 'sync-update')
      validateUpdate(update)
      Y.applyUpdate(replica, update)
    }
    expect(replica.getText('content').toString()).toBe(doc.getText('content').toString())
    expect(replica.getMap('meta').toJSON()).toEqual(doc.getMap('meta').toJSON())
    expect(replica.getArray('list').toJSON()).toEqual(doc.getArray('list').toJSON())
  })

  it('awareness update with several clients, including a removed one', () => {
    const a = awarenessFor(docWithId(1))
    const b = awarenessFor(docWithId(2 ** 32 - 1))
    a.setLocalState({ user: { name: 'Ada', color: '#f00' }, cursor: { anchor: 1, head: 4 } })
    b.setLocalStateField('user', { name: 'Bob ✨', color: '#00f' })
    awarenessProtocol.applyAwarenessUpdate(
      a,
      awarenessProtocol.encodeAwarenessUpdate(b, [b.clientID]),
      'b',
    )
    const clients = [a.clientID, b.clientID]
    const frame = referenceFrame(messageAwareness, (e) =>
      encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(a, clients)),
    )
    const entries = decodeAwarenessUpdate(decodeAs(frame, 'awareness').update)
    expect(entries.map((e) => [e.clientId, e.clock])).toEqual(
      clients.map((id) => [id, a.meta.get(id)?.clock]),
    )
    expect(entries.map((e) => JSON.parse(e.state ?? 'null'))).toEqual(
      clients.map((id) => a.getStates().get(id)),
    )

    awarenessProtocol.removeAwarenessStates(a, [b.clientID], 'timeout')
    const removal = referenceFrame(messageAwareness, (e) =>
      encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(a, [b.clientID])),
    )
    expect(decodeAwarenessUpdate(decodeAs(removal, 'awareness').update)).toEqual([
      { clientId: b.clientID, clock: b.meta.get(b.clientID)?.clock, state: null },
    ])
  })

  it('auth permission denied', () => {
    const frame = referenceFrame(messageAuth, (e) =>
      authProtocol.writePermissionDenied(e, 'token expired — sign in again'),
    )
    expect(decodeMessage(frame)).toEqual({
      type: 'auth-denied',
      reason: 'token expired — sign in again',
    })
  })

  it('query awareness', () => {
    const frame = referenceFrame(messageQueryAwareness, () => {})
    expect(decodeMessage(frame)).toEqual({ type: 'query-awareness' })
  })
})

describe('Tandem writes, y-protocols reads', () => {
  /** Reads a sync frame the way y-websocket's provider does; returns the step and any reply. */
  function referenceReadSync(frame: Uint8Array, doc: Y.Doc) {
    const decoder = decoding.createDecoder(frame)
    expect(decoding.readVarUint(decoder)).toBe(messageSync)
    const reply = encoding.createEncoder()
    encoding.writeVarUint(reply, messageSync)
    const errors: Error[] = []
    const step = syncProtocol.readSyncMessage(decoder, reply, doc, 'server', (e) => errors.push(e))
    expect(errors).toEqual([])
    expect(decoding.hasContent(decoder)).toBe(false)
    return { step, reply: encoding.toUint8Array(reply), replied: encoding.length(reply) > 1 }
  }

  it('sync step 1 is answered with a sync step 2 that Tandem reads back', () => {
    const server = editedDoc()
    const client = docWithId(42)
    client.getText('content').insert(0, 'offline edit ')
    const { step, reply, replied } = referenceReadSync(
      encodeSyncStep1(Y.encodeStateVector(server)),
      client,
    )
    expect(step).toBe(syncProtocol.messageYjsSyncStep1)
    expect(replied).toBe(true)
    const { update } = decodeAs(reply, 'sync-step-2')
    Y.applyUpdate(server, update)
    expect(server.getText('content').toString()).toContain('offline edit ')
  })

  it('sync step 2 fills an empty document', () => {
    const server = editedDoc()
    const client = docWithId(43)
    const { step, replied } = referenceReadSync(
      encodeSyncStep2(Y.encodeStateAsUpdate(server)),
      client,
    )
    expect(step).toBe(syncProtocol.messageYjsSyncStep2)
    expect(replied).toBe(false)
    expect(client.getText('content').toString()).toBe(server.getText('content').toString())
    expect(client.getMap('meta').toJSON()).toEqual(server.getMap('meta').toJSON())
  })

  it('sync update is applied', () => {
    const server = editedDoc()
    const client = docWithId(44)
    Y.applyUpdate(client, Y.encodeStateAsUpdate(server))
    const updates: Uint8Array[] = []
    server.on('update', (u: Uint8Array) => updates.push(u))
    server.getText('content').insert(0, '→ ')
    const { step } = referenceReadSync(encodeSyncUpdate(updates[0]!), client)
    expect(step).toBe(syncProtocol.messageYjsUpdate)
    expect(client.getText('content').toString()).toBe(server.getText('content').toString())
  })

  it('awareness updates add, change and remove peers in a real Awareness', () => {
    const client = awarenessFor(docWithId(7))
    const changes: unknown[] = []
    client.on('change', (change: unknown) => changes.push(change))
    const apply = (entries: AwarenessEntry[]) => {
      const frame = encodeAwareness(encodeAwarenessUpdate(entries))
      const decoder = decoding.createDecoder(frame)
      expect(decoding.readVarUint(decoder)).toBe(messageAwareness)
      awarenessProtocol.applyAwarenessUpdate(client, decoding.readVarUint8Array(decoder), 'server')
      expect(decoding.hasContent(decoder)).toBe(false)
    }
    const ada = { user: { name: 'Ada', color: '#f00' } }
    const bob = { user: { name: 'Bob', color: '#00f' }, cursor: null }
    apply([
      { clientId: 100, clock: 1, state: JSON.stringify(ada) },
      { clientId: 200, clock: 4, state: JSON.stringify(bob) },
    ])
    expect(client.getStates().get(100)).toEqual(ada)
    expect(client.getStates().get(200)).toEqual(bob)
    expect(changes).toEqual([{ added: [100, 200], updated: [], removed: [] }])

    apply([{ clientId: 100, clock: 2, state: JSON.stringify({ ...ada, cursor: 5 }) }])
    expect(client.getStates().get(100)).toEqual({ ...ada, cursor: 5 })

    apply([{ clientId: 200, clock: 5, state: null }])
    expect(client.getStates().has(200)).toBe(false)
    expect(changes.at(-1)).toEqual({ added: [], updated: [], removed: [200] })
  })

  it('auth permission denied reaches the handler with its reason', () => {
    const doc = docWithId(8)
    const decoder = decoding.createDecoder(encodeAuthDenied('read-only link ✋'))
    expect(decoding.readVarUint(decoder)).toBe(messageAuth)
    const reasons: string[] = []
    authProtocol.readAuthMessage(decoder, doc, (_y, reason) => reasons.push(reason))
    expect(reasons).toEqual(['read-only link ✋'])
    expect(decoding.hasContent(decoder)).toBe(false)
  })

  it('query awareness is the bare message number', () => {
    const decoder = decoding.createDecoder(encodeQueryAwareness())
    expect(decoding.readVarUint(decoder)).toBe(messageQueryAwareness)
    expect(decoding.hasContent(decoder)).toBe(false)
  })
})

describe('a Tandem-codec server and a y-protocols client converge', () => {
  it('through the y-websocket handshake and an exchange of updates', () => {
    // Server side: only Tandem's codecs over a Y.Doc. Client side: y-protocols, as the stock
    // provider does it. Frames travel as bytes in both directions.
    const server = docWithId(1000)
    server.getText('content').insert(0, 'stored text. ')
    const client = docWithId(2000)
    client.getText('content').insert(0, 'typed offline. ')

    const toClient: Uint8Array[] = []
    const toServer: Uint8Array[] = []

    const serverReceive = (frame: Uint8Array) => {
      const message = decodeMessage(frame)
      switch (message.type) {
        case 'sync-step-1':
          validateStateVector(message.stateVector)
          toClient.push(encodeSyncStep2(Y.encodeStateAsUpdate(server, message.stateVector)))
          break
        case 'sync-step-2':
        case 'sync-update':
          validateUpdate(message.update)
          Y.applyUpdate(server, message.update, 'client')
          break
        default:
          throw new Error(`server did not expect ${message.type}`)
      }
    }
    const clientReceive = (frame: Uint8Array) => {
      const decoder = decoding.createDecoder(frame)
      expect(decoding.readVarUint(decoder)).toBe(MessageType.Sync)
      const reply = encoding.createEncoder()
      encoding.writeVarUint(reply, messageSync)
      syncProtocol.readSyncMessage(decoder, reply, client, 'server')
      if (encoding.length(reply) > 1) toServer.push(encoding.toUint8Array(reply))
    }
    server.on('update', (u: Uint8Array, origin: unknown) => {
      if (origin !== 'client') toClient.push(encodeSyncUpdate(u))
    })
    client.on('update', (u: Uint8Array, origin: unknown) => {
      if (origin !== 'server') {
        toServer.push(referenceFrame(messageSync, (e) => syncProtocol.writeUpdate(e, u)))
      }
    })
    const pump = () => {
      while (toClient.length > 0 || toServer.length > 0) {
        for (const f of toServer.splice(0)) serverReceive(f)
        for (const f of toClient.splice(0)) clientReceive(f)
      }
    }

    // The provider opens with sync step 1; the server answers step 2 and sends its own step 1.
    toServer.push(referenceFrame(messageSync, (e) => syncProtocol.writeSyncStep1(e, client)))
    toClient.push(encodeSyncStep1(Y.encodeStateVector(server)))
    pump()
    expect(client.getText('content').toString()).toBe(server.getText('content').toString())
    expect(server.getText('content').toString()).toContain('typed offline. ')

    client.getText('content').insert(0, 'client ')
    server.getText('content').insert(server.getText('content').length, 'server')
    pump()
    expect(client.getText('content').toString()).toBe(server.getText('content').toString())
    expect(Y.encodeStateVector(client)).toEqual(Y.encodeStateVector(server))
  })
})

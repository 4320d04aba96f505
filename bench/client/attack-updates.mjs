// The bytes of the hostile-but-well-formed inputs of issue 13, built with yjs and lib0 directly
// (the bench runs plain .mjs and does not import the server's TypeScript). Every function is pure:
// it returns the payload (an update, an awareness update or a state vector); framing it for a
// server's protocol is the client's job (attack-client.mjs).
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'

/**
 * Attack 1, first half: one update building a chain of `depth` nested shared types in the root
 * array `name`; the type of each item is the parent of the next (a Y.Array holding one
 * Y.Array…). About 7 bytes per level with a client id below 2^14 (143 KB at 20,000). Returns the
 * update and the id of the outermost item, whose deletion makes Yjs delete (and
 * garbage-collect) the whole chain recursively.
 * @param {number} depth
 * @param {number} client the attacker's Yjs client id
 * @param {string} [name] root type of the chain
 */
export function nestedChainUpdate(depth, client, name = 'chain') {
  const doc = new Y.Doc({ gc: false })
  doc.clientID = client
  doc.transact(() => {
    let parent = doc.getArray(name)
    for (let level = 0; level < depth; level++) {
      const child = new Y.Array()
      parent.push([child])
      parent = child
    }
  })
  const update = Y.encodeStateAsUpdate(doc)
  // Not doc.destroy(): nothing recursive may run on the chain here either.
  return { update, outermost: { client, clock: 0 } }
}

/**
 * An update with no structs and one delete range per entry of `ranges` (V1 encoding: number of
 * clients with structs 0, then the delete set). Attack 1's second half is one range, the
 * outermost item of the chain: 7 bytes or so.
 * @param {number} client
 * @param {ArrayLike<number>} clocks  start clock of each range, ascending
 * @param {number} [length] length of each range
 */
export function deleteSetUpdate(client, clocks, length = 1) {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0) // no structs
  encoding.writeVarUint(encoder, 1) // one client in the delete set
  encoding.writeVarUint(encoder, client)
  encoding.writeVarUint(encoder, clocks.length)
  for (let i = 0; i < clocks.length; i++) {
    encoding.writeVarUint(encoder, /** @type {number} */ (clocks[i]))
    encoding.writeVarUint(encoder, length)
  }
  return encoding.toUint8Array(encoder)
}

/**
 * Attack 2: a delete set naming `ranges` separate one-clock ranges (every other clock) of
 * `client`, a client that never wrote: Yjs keeps what it cannot apply as pending and re-reads it
 * on every later update.
 * @param {number} ranges
 * @param {number} client
 */
export function wideDeleteSetUpdate(ranges, client) {
  const clocks = new Uint32Array(ranges)
  for (let i = 0; i < ranges; i++) clocks[i] = 2 * i
  return deleteSetUpdate(client, clocks)
}

/**
 * Attack 3: one awareness update (y-protocols' encoding) holding `count` client ids, ids
 * `firstId`…, each with clock 1 and the state `{}`: about 7 bytes per id.
 * @param {number} count
 * @param {number} [firstId]
 */
export function awarenessFloodUpdate(count, firstId = 1) {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, count)
  for (let i = 0; i < count; i++) {
    encoding.writeVarUint(encoder, firstId + i)
    encoding.writeVarUint(encoder, 1)
    encoding.writeVarString(encoder, '{}')
  }
  return encoding.toUint8Array(encoder)
}

/**
 * Attack 4: a state vector with one entry, a client the document has never seen at clock 1,
 * so the answer to it (sync step 2) is a diff holding the whole document. Framed as a y-websocket
 * sync step 1 it is 9 bytes for a client id below 2^28.
 * @param {number} client
 */
export function strangerStateVector(client) {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 1)
  encoding.writeVarUint(encoder, client)
  encoding.writeVarUint(encoder, 1)
  return encoding.toUint8Array(encoder)
}

/**
 * An ordinary participant of the attacked room, made once by a real Y.Doc (client `client`) in
 * the root text `codemirror`: `good` writes `goodText` (the text that must survive the attack),
 * then `keystrokes[i]` appends one character and has clock `goodText.length + i`.
 * @param {string} goodText
 * @param {number} count
 * @param {number} client
 */
export function typistScript(goodText, count, client) {
  const doc = new Y.Doc()
  doc.clientID = client
  const text = doc.getText('codemirror')
  text.insert(0, goodText)
  const good = Y.encodeStateAsUpdate(doc)
  /** @type {Uint8Array[]} */
  const keystrokes = []
  doc.on('update', (/** @type {Uint8Array} */ update) => keystrokes.push(update))
  for (let i = 0; i < count; i++) {
    text.insert(goodText.length + i, String.fromCharCode(97 + (i % 26)))
  }
  doc.destroy()
  return { good, keystrokes }
}

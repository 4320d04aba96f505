import * as Y from 'yjs'

/**
 * The two updates of issue 13's "document destroyed by two small updates", built with Yjs: a
 * chain of `depth` nested shared types (each in the one before it) by client `client`, and an
 * update that only deletes the outermost one. Folding the pair makes Yjs delete and
 * garbage-collect the chain recursively, which overflows the stack from about 5,000 levels.
 */
export function poisonousPair(depth = 20_000, client = 424242): [Uint8Array, Uint8Array] {
  const doc = new Y.Doc()
  doc.clientID = client
  doc.transact(() => {
    let parent: Y.Array<unknown> = doc.getArray('nest')
    for (let i = 0; i < depth; i++) {
      const child = new Y.Array<unknown>()
      parent.insert(0, [child])
      parent = child
    }
  })
  const chain = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  // The outermost item is the client's first (clock 0): a document holding only that item,
  // deleted, gives the 6-byte update that deletes it.
  const small = new Y.Doc()
  small.clientID = client
  small.getArray('nest').insert(0, [new Y.Array()])
  let deletion: Uint8Array | undefined
  small.on('update', (update: Uint8Array) => {
    deletion = update
  })
  small.getArray('nest').delete(0, 1)
  small.destroy()
  return [chain, deletion!]
}

/** An update by client `client` inserting `text` at `index` of the `codemirror` text of `state`. */
export function textEdit(
  state: Uint8Array | null,
  text: string,
  client: number,
  index = 0,
): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = client
  if (state) Y.applyUpdate(doc, state)
  const before = Y.encodeStateVector(doc)
  doc.getText('codemirror').insert(index, text)
  const update = Y.encodeStateAsUpdate(doc, before)
  doc.destroy()
  return update
}

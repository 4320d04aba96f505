import type { ChangeSpec } from '@codemirror/state'
import { type EditorView, ViewPlugin, type ViewUpdate } from '@codemirror/view'
import { ySyncAnnotation, ySyncFacet } from 'y-codemirror.next'
import * as Y from 'yjs'

/**
 * y-codemirror.next's `ySync`, with one difference: a change that arrives from elsewhere is
 * turned into editor changes by visiting the text's items only as far as the last one it
 * touched, without asking Yjs for the event's `delta`. Yjs computes a text event's delta by
 * visiting every item of the text, with set and delete-set lookups for each: on a document of
 * megabytes (half a million items) that is about 50 ms for every keystroke another person
 * types. Local changes go to the shared text exactly as in y-codemirror.next.
 */
export const ySync = ViewPlugin.fromClass(
  class {
    readonly conf
    readonly observer: (event: Y.YTextEvent, transaction: Y.Transaction) => void

    constructor(readonly view: EditorView) {
      this.conf = view.state.facet(ySyncFacet)
      this.observer = (event, transaction) => {
        if (transaction.origin === this.conf) return
        view.dispatch({
          changes: textChanges(event, transaction),
          annotations: [ySyncAnnotation.of(this.conf)],
        })
      }
      this.conf.ytext.observe(this.observer)
    }

    update(update: ViewUpdate) {
      if (!update.docChanged || update.transactions[0]?.annotation(ySyncAnnotation) === this.conf) {
        return
      }
      const ytext = this.conf.ytext
      ytext.doc?.transact(() => {
        // Changes are in positions of the text before them; `shift` moves them along.
        let shift = 0
        update.changes.iterChanges((fromA, toA, _fromB, _toB, insert) => {
          const inserted = insert.sliceString(0, insert.length, '\n')
          if (fromA !== toA) ytext.delete(fromA + shift, toA - fromA)
          if (inserted.length > 0) ytext.insert(fromA + shift, inserted)
          shift += inserted.length - (toA - fromA)
        })
      }, this.conf)
    }

    destroy() {
      this.conf.ytext.unobserve(this.observer)
    }
  },
)

/** The items of `text` that `transaction` inserted (and kept) or deleted. */
function changedItems(text: Y.Text, transaction: Y.Transaction): Set<Y.Item> {
  const changed = new Set<Y.Item>()
  const { beforeState, afterState, doc, deleteSet } = transaction
  afterState.forEach((clock, client) => {
    const from = beforeState.get(client) ?? 0
    if (clock <= from) return
    const structs = doc.store.clients.get(client)
    if (structs === undefined) return
    for (let i = Y.findIndexSS(structs, from); i < structs.length; i++) {
      const struct = structs[i]
      if (struct instanceof Y.Item && struct.parent === text && struct.parentSub === null) {
        changed.add(struct)
      }
    }
  })
  // Deleting splits items at the edges of what it deletes, so whole items are visited here
  // (Yjs's own iteration would split them again, in the middle of the observers).
  deleteSet.clients.forEach((ranges, client) => {
    const structs = doc.store.clients.get(client)
    if (structs === undefined) return
    for (const { clock, len } of ranges) {
      for (let i = Y.findIndexSS(structs, clock); i < structs.length; i++) {
        const struct = structs[i]
        if (struct === undefined || struct.id.clock >= clock + len) break
        if (struct instanceof Y.Item && struct.parent === text && struct.parentSub === null) {
          changed.add(struct)
        }
      }
    }
  })
  return changed
}

/**
 * The editor changes (in positions of the text before the transaction) that `transaction` made
 * to the text of `event`: one pass over the items from the start to the last changed one,
 * adding up the lengths of those that were there before.
 */
export function textChanges(event: Y.YTextEvent, transaction: Y.Transaction): ChangeSpec[] {
  const text = event.target as Y.Text
  const changed = changedItems(text, transaction)
  const changes: { from: number; to: number; insert: string }[] = []
  const add = (from: number, to: number, insert: string) => {
    const last = changes.at(-1)
    if (last !== undefined && last.to === from) {
      last.to = to
      last.insert += insert
    } else {
      changes.push({ from, to, insert })
    }
  }
  let remaining = changed.size
  let position = 0
  for (let item = text._start; item !== null && remaining > 0; item = item.right) {
    if (!changed.has(item)) {
      if (!item.deleted && item.countable) position += item.length
      continue
    }
    remaining--
    if (!item.countable) continue
    const inserted = item.id.clock >= (transaction.beforeState.get(item.id.client) ?? 0)
    if (inserted) {
      if (item.deleted) continue
      // Only strings in a text the editor shows; anything else is read as Yjs reads it.
      if (!(item.content instanceof Y.ContentString)) return deltaChanges(event)
      add(position, position, item.content.str)
    } else {
      add(position, position + item.length, '')
      position += item.length
    }
  }
  return changes
}

/** The same from the event's delta, as y-codemirror.next does it. */
function deltaChanges(event: Y.YTextEvent): ChangeSpec[] {
  const changes: ChangeSpec[] = []
  let position = 0
  for (const op of event.delta) {
    if (op.insert != null) {
      changes.push({ from: position, insert: String(op.insert) })
    } else if (op.delete != null) {
      changes.push({ from: position, to: position + op.delete })
      position += op.delete
    } else if (op.retain != null) {
      position += op.retain
    }
  }
  return changes
}

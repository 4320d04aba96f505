import { type Extension, StateEffect, StateField } from '@codemirror/state'
import { EditorView, ViewPlugin } from '@codemirror/view'
import type { Awareness } from 'y-protocols/awareness'
import type * as Y from 'yjs'
import { cursorRange } from '../collab/cursors'
import { revealLabel } from './remote-selections'

/** Starts following the person with this awareness client id, or stops (`null`). */
export const setFollowing = StateEffect.define<number | null>()

const followingField = StateField.define<number | null>({
  create: () => null,
  update(value, tr) {
    for (const effect of tr.effects) if (effect.is(setFollowing)) value = effect.value
    return value
  },
})

/** Whom the editor follows (an awareness client id), if anyone. */
export function following(view: EditorView): number | null {
  return view.state.field(followingField, false) ?? null
}

export interface FollowConfig {
  text: Y.Text
  awareness: Awareness
  /** Told whenever following starts or stops, also when it stops by itself. */
  onChange?: (clientId: number | null) => void
}

/** Room kept between a followed caret and the edge of the editor, in px. */
const MARGIN_PX = 64

function caretOf(config: FollowConfig, clientId: number): number | null {
  const range = cursorRange(config.awareness.getStates().get(clientId), config.text)
  return range?.head ?? null
}

/**
 * Scrolls the editor to the caret of the person with awareness id `clientId` and shows their
 * name label. Returns `false` when they have no caret in the text.
 */
export function scrollToPerson(
  view: EditorView,
  config: Pick<FollowConfig, 'text' | 'awareness'>,
  clientId: number,
): boolean {
  const head = caretOf(config, clientId)
  if (head === null) return false
  view.dispatch({
    effects: [
      EditorView.scrollIntoView(Math.min(head, view.state.doc.length), { y: 'center' }),
      revealLabel.of(clientId),
    ],
  })
  return true
}

/**
 * "Follow" mode: while the editor follows someone (see {@link setFollowing}), their caret is kept
 * in view as they move and type. It stops when you type, click, scroll or press a key in the
 * editor, and when the person leaves.
 */
export function followPerson(config: FollowConfig): Extension {
  const plugin = ViewPlugin.fromClass(
    class {
      readonly #onAwareness: (change: { updated: number[]; removed: number[] }) => void
      #scheduled = false

      constructor(readonly view: EditorView) {
        this.#onAwareness = ({ updated, removed }) => {
          const id = following(view)
          if (id === null) return
          if (removed.includes(id)) view.dispatch({ effects: setFollowing.of(null) })
          else if (updated.includes(id)) this.#keepInView()
        }
        config.awareness.on('change', this.#onAwareness)
      }

      destroy() {
        config.awareness.off('change', this.#onAwareness)
      }

      /** Scrolls, if needed, once the current update is done. */
      #keepInView() {
        if (this.#scheduled) return
        this.#scheduled = true
        queueMicrotask(() => {
          this.#scheduled = false
          const id = following(this.view)
          if (id === null) return
          const head = caretOf(config, id)
          if (head === null) return
          this.view.dispatch({
            effects: EditorView.scrollIntoView(Math.min(head, this.view.state.doc.length), {
              y: 'nearest',
              yMargin: MARGIN_PX,
            }),
          })
        })
      }

      update(update: { startState: EditorView['state']; state: EditorView['state'] }) {
        const before = update.startState.field(followingField, false) ?? null
        const after = update.state.field(followingField, false) ?? null
        if (before !== after) {
          config.onChange?.(after)
          if (after !== null) this.#keepInView()
        }
      }
    },
  )
  const stop = (_event: Event, view: EditorView) => {
    if (following(view) !== null) view.dispatch({ effects: setFollowing.of(null) })
  }
  return [
    followingField,
    plugin,
    // Observers, not handlers: they see keys that a key binding has handled too.
    EditorView.domEventObservers({ keydown: stop, mousedown: stop, wheel: stop, touchstart: stop }),
  ]
}

import { Annotation, type Extension, type Range, StateEffect } from '@codemirror/state'
import {
  Decoration,
  type DecorationSet,
  type EditorView,
  ViewPlugin,
  type ViewUpdate,
  WidgetType,
} from '@codemirror/view'
import type { Awareness } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { cursorKey } from '../collab/cursors'

const DEFAULT_COLOR = '#30bced'
const remoteChange = Annotation.define<true>()

/** How long a name label stays after its person last moved or typed, by default, in ms. */
export const DEFAULT_LABEL_IDLE_MS = 5_000

/** Shows the name label of the person with this awareness client id again, as if they moved. */
export const revealLabel = StateEffect.define<number>()

/**
 * The caret of someone else with their name above it. Same DOM and classes as y-codemirror.next's
 * (`cm-ySelectionCaret`, `cm-ySelectionInfo`), but it also compares names, so a renamed person's
 * label changes at once instead of keeping the old name while the colour stays the same.
 */
class RemoteCaretWidget extends WidgetType {
  constructor(
    readonly color: string,
    readonly name: string,
    /** Whether the person has been still for a while: the label fades (CSS). */
    readonly idle: boolean,
  ) {
    super()
  }

  override toDOM(): HTMLElement {
    const caret = document.createElement('span')
    caret.className = 'cm-ySelectionCaret'
    const dot = document.createElement('div')
    dot.className = 'cm-ySelectionCaretDot'
    const info = document.createElement('div')
    info.className = 'cm-ySelectionInfo'
    // Word joiners keep the caret from becoming a line-break opportunity.
    caret.append('\u2060', dot, '\u2060', info, '\u2060')
    this.#paint(caret, info)
    return caret
  }

  override updateDOM(dom: HTMLElement): boolean {
    const info = dom.querySelector<HTMLElement>('.cm-ySelectionInfo')
    if (info === null) return false
    this.#paint(dom, info)
    return true
  }

  override eq(other: RemoteCaretWidget): boolean {
    return other.color === this.color && other.name === this.name && other.idle === this.idle
  }

  override get estimatedHeight(): number {
    return -1
  }

  override ignoreEvent(): boolean {
    return true
  }

  #paint(caret: HTMLElement, info: HTMLElement): void {
    caret.style.backgroundColor = this.color
    caret.style.borderColor = this.color
    caret.classList.toggle('cm-ySelectionCaret-idle', this.idle)
    info.textContent = this.name
  }
}

function selectionMark(colorLight: string): Decoration {
  return Decoration.mark({
    attributes: { style: `background-color: ${colorLight}` },
    class: 'cm-ySelection',
  })
}

function selectionLine(colorLight: string): Decoration {
  return Decoration.line({
    attributes: { style: `background-color: ${colorLight}`, class: 'cm-yLineSelection' },
  })
}

interface RemoteSelectionsConfig {
  text: Y.Text
  awareness: Awareness
  /** How long a name label stays after its person last moved, typed or was renamed, in ms. */
  labelIdleMs?: number
}

/**
 * Publishes this editor's selection in awareness (`cursor: { anchor, head }` as Yjs relative
 * positions, the y-codemirror.next format) and draws everyone else's selection and caret in their
 * `user.color` / `user.colorLight` with their `user.name`. A name label fades once its person
 * has been still for `labelIdleMs` (class `cm-ySelectionCaret-idle`) and comes back when they
 * move, type or are renamed, or on {@link revealLabel}.
 */
export function remoteSelections({
  text,
  awareness,
  labelIdleMs = DEFAULT_LABEL_IDLE_MS,
}: RemoteSelectionsConfig): Extension {
  if (text.doc === null) throw new Error('remoteSelections needs a Y.Text that belongs to a Y.Doc')
  const doc: Y.Doc = text.doc

  return ViewPlugin.fromClass(
    class {
      decorations: DecorationSet = Decoration.none
      readonly #onChange: (change: {
        added: number[]
        updated: number[]
        removed: number[]
      }) => void
      /** Per remote client: what it last showed (selection and name) and since when, in ms. */
      readonly #activity = new Map<number, { key: string; since: number }>()
      #timer: ReturnType<typeof setTimeout> | null = null
      readonly #view: EditorView

      constructor(view: EditorView) {
        this.#view = view
        const now = Date.now()
        awareness.getStates().forEach((state, clientId) => {
          if (clientId !== doc.clientID)
            this.#activity.set(clientId, { key: activityKey(state), since: now })
        })
        this.#onChange = ({ added, updated, removed }) => {
          const clients = [...added, ...updated, ...removed]
          if (!clients.some((id) => id !== doc.clientID)) return
          const states = awareness.getStates()
          const at = Date.now()
          for (const id of removed) this.#activity.delete(id)
          for (const id of [...added, ...updated]) {
            if (id === doc.clientID) continue
            const key = activityKey(states.get(id))
            if (this.#activity.get(id)?.key !== key) this.#activity.set(id, { key, since: at })
          }
          view.dispatch({ annotations: remoteChange.of(true) })
        }
        awareness.on('change', this.#onChange)
      }

      destroy() {
        awareness.off('change', this.#onChange)
        if (this.#timer !== null) clearTimeout(this.#timer)
      }

      update(update: ViewUpdate) {
        this.#publishCursor(update)
        for (const tr of update.transactions) {
          for (const effect of tr.effects) {
            if (!effect.is(revealLabel)) continue
            const known = this.#activity.get(effect.value)
            if (known) known.since = Date.now()
          }
        }
        this.decorations = this.#draw(update)
        this.#scheduleFade()
      }

      /** Redraws when the next label should fade. */
      #scheduleFade() {
        if (this.#timer !== null) clearTimeout(this.#timer)
        this.#timer = null
        const now = Date.now()
        let next = Number.POSITIVE_INFINITY
        for (const { since } of this.#activity.values()) {
          const fadeAt = since + labelIdleMs
          if (fadeAt > now) next = Math.min(next, fadeAt)
        }
        if (next === Number.POSITIVE_INFINITY) return
        this.#timer = setTimeout(
          () => {
            this.#timer = null
            this.#view.dispatch({ annotations: remoteChange.of(true) })
          },
          next - now + 5,
        )
      }

      #publishCursor(update: ViewUpdate) {
        const local = awareness.getLocalState()
        if (local === null) return
        const hasFocus = update.view.hasFocus && update.view.dom.ownerDocument.hasFocus()
        const cursor = local.cursor as { anchor: unknown; head: unknown } | null | undefined
        if (!hasFocus) return
        const selection = update.state.selection.main
        const anchor = Y.createRelativePositionFromTypeIndex(text, selection.anchor)
        const head = Y.createRelativePositionFromTypeIndex(text, selection.head)
        if (
          cursor == null ||
          !Y.compareRelativePositions(Y.createRelativePositionFromJSON(cursor.anchor), anchor) ||
          !Y.compareRelativePositions(Y.createRelativePositionFromJSON(cursor.head), head)
        ) {
          awareness.setLocalStateField('cursor', { anchor, head })
        }
      }

      #draw(update: ViewUpdate): DecorationSet {
        const ranges: Range<Decoration>[] = []
        const now = Date.now()
        const lines = update.state.doc
        awareness.getStates().forEach((state, clientId) => {
          if (clientId === doc.clientID) return
          const cursor = state.cursor as { anchor?: unknown; head?: unknown } | null | undefined
          if (cursor?.anchor == null || cursor.head == null) return
          const anchor = Y.createAbsolutePositionFromRelativePosition(
            Y.createRelativePositionFromJSON(cursor.anchor),
            doc,
          )
          const head = Y.createAbsolutePositionFromRelativePosition(
            Y.createRelativePositionFromJSON(cursor.head),
            doc,
          )
          if (anchor === null || head === null || anchor.type !== text || head.type !== text) return
          const anchorIndex = Math.min(anchor.index, lines.length)
          const headIndex = Math.min(head.index, lines.length)

          const user = (state.user ?? {}) as {
            name?: unknown
            color?: unknown
            colorLight?: unknown
          }
          const color = typeof user.color === 'string' ? user.color : DEFAULT_COLOR
          const name = typeof user.name === 'string' ? user.name : 'Anonymous'
          const colorLight = typeof user.colorLight === 'string' ? user.colorLight : `${color}33`

          const start = Math.min(anchorIndex, headIndex)
          const end = Math.max(anchorIndex, headIndex)
          const startLine = lines.lineAt(start)
          const endLine = lines.lineAt(end)
          if (startLine.number === endLine.number) {
            if (end > start) ranges.push(selectionMark(colorLight).range(start, end))
          } else {
            if (startLine.to > start)
              ranges.push(selectionMark(colorLight).range(start, startLine.to))
            if (end > endLine.from) ranges.push(selectionMark(colorLight).range(endLine.from, end))
            for (let n = startLine.number + 1; n < endLine.number; n++) {
              ranges.push(selectionLine(colorLight).range(lines.line(n).from))
            }
          }
          ranges.push(
            Decoration.widget({
              // Draw the caret outside the selection, where the local caret would not overlap it.
              side: headIndex - anchorIndex > 0 ? -1 : 1,
              widget: new RemoteCaretWidget(
                color,
                name,
                now - (this.#activity.get(clientId)?.since ?? now) >= labelIdleMs,
              ),
            }).range(headIndex),
          )
        })
        return Decoration.set(ranges, true)
      }
    },
    { decorations: (plugin) => plugin.decorations },
  )
}

/** What counts as a person's activity: their selection and their name. */
function activityKey(state: Record<string, unknown> | undefined): string {
  const user = state?.user as { name?: unknown } | undefined
  return `${cursorKey(state)}\u0000${typeof user?.name === 'string' ? user.name : ''}`
}

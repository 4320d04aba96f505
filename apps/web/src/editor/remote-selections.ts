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
import { cursorKey, cursorRange } from '../collab/cursors'
import { type HexColor, remoteUser } from '../collab/remote-user'

const remoteChange = Annotation.define<true>()

/** How long a name label stays after its person last moved or typed, by default, in ms. */
export const DEFAULT_LABEL_IDLE_MS = 5_000

/**
 * The most remote carets (and their selections) drawn at once: those of the people who moved,
 * typed or were renamed most recently. Everyone else is still in awareness, just not drawn.
 */
export const MAX_REMOTE_CARETS = 50

/** Shows the name label of the person with this awareness client id again, as if they moved. */
export const revealLabel = StateEffect.define<number>()

/**
 * The caret of someone else with their name above it. Same DOM and classes as y-codemirror.next's
 * (`cm-ySelectionCaret`, `cm-ySelectionInfo`), but it also compares names, so a renamed person's
 * label changes at once instead of keeping the old name while the colour stays the same.
 */
class RemoteCaretWidget extends WidgetType {
  constructor(
    readonly color: HexColor,
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
    info.dir = 'auto'
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
    // One property at a time, through the CSSOM, with a checked #rrggbb.
    caret.style.setProperty('background-color', this.color)
    caret.style.setProperty('border-color', this.color)
    caret.classList.toggle('cm-ySelectionCaret-idle', this.idle)
    info.textContent = this.name
  }
}

/**
 * The one place a style attribute is written for someone else's selection: from a checked
 * colour only (`#rrggbb33`, made by `remoteUser`), never from awareness text.
 */
function selectionStyle(colorLight: HexColor): string {
  return `background-color: ${colorLight}`
}

function selectionMark(colorLight: HexColor): Decoration {
  return Decoration.mark({
    attributes: { style: selectionStyle(colorLight) },
    class: 'cm-ySelection',
  })
}

function selectionLine(colorLight: HexColor): Decoration {
  return Decoration.line({
    attributes: { style: selectionStyle(colorLight), class: 'cm-yLineSelection' },
  })
}

interface RemoteSelectionsConfig {
  text: Y.Text
  awareness: Awareness
  /** How long a name label stays after its person last moved, typed or was renamed, in ms. */
  labelIdleMs?: number
  /** The most people whose caret and selection are drawn at once. */
  maxCarets?: number
}

/**
 * Publishes this editor's selection in awareness (`cursor: { anchor, head }` as Yjs relative
 * positions, the y-codemirror.next format) and draws everyone else's selection and caret in their
 * `user.color` with their `user.name`, both checked by `remoteUser` (the light selection colour
 * is derived, never read). At most {@link MAX_REMOTE_CARETS} people are drawn, the most recently
 * active; an awareness change costs work for the clients it names only. A name label fades once
 * its person has been still for `labelIdleMs` (class `cm-ySelectionCaret-idle`) and comes back
 * when they move, type or are renamed, or on {@link revealLabel}.
 */
export function remoteSelections({
  text,
  awareness,
  labelIdleMs = DEFAULT_LABEL_IDLE_MS,
  maxCarets = MAX_REMOTE_CARETS,
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
      /** The clients drawn, least recently active first: at most `maxCarets`, all with a cursor. */
      readonly #shown: number[] = []
      #timer: ReturnType<typeof setTimeout> | null = null
      readonly #view: EditorView

      constructor(view: EditorView) {
        this.#view = view
        const now = Date.now()
        awareness.getStates().forEach((state, clientId) => {
          if (clientId === doc.clientID) return
          this.#activity.set(clientId, { key: activityKey(state), since: now })
          if (hasCursor(state) && this.#shown.length < maxCarets) this.#shown.push(clientId)
        })
        this.#onChange = ({ added, updated, removed }) => {
          const states = awareness.getStates()
          const at = Date.now()
          // Whether a drawn client stopped being drawn: then a free place may be filled.
          let hidden = false
          let redraw = false
          for (const id of removed) {
            this.#activity.delete(id)
            hidden = this.#hide(id) || hidden
          }
          for (const ids of [added, updated]) {
            for (const id of ids) {
              if (id === doc.clientID) continue
              const state = states.get(id)
              const key = activityKey(state)
              const known = this.#activity.get(id)
              if (!hasCursor(state)) {
                if (known === undefined) this.#activity.set(id, { key, since: at })
                else known.key = key
                hidden = this.#hide(id) || hidden
              } else if (known?.key !== key) {
                this.#activity.set(id, { key, since: at })
                this.#show(id)
                redraw = true
              } else if (this.#shown.includes(id)) {
                redraw = true
              }
            }
          }
          if (hidden) this.#refill(states)
          if (redraw || hidden) view.dispatch({ annotations: remoteChange.of(true) })
        }
        awareness.on('change', this.#onChange)
      }

      destroy() {
        awareness.off('change', this.#onChange)
        if (this.#timer !== null) clearTimeout(this.#timer)
      }

      /** Draws `clientId` as the most recently active, dropping the least recent beyond the cap. */
      #show(clientId: number) {
        const at = this.#shown.indexOf(clientId)
        if (at !== -1) this.#shown.splice(at, 1)
        this.#shown.push(clientId)
        if (this.#shown.length > maxCarets) this.#shown.shift()
      }

      /** Stops drawing `clientId`; whether it was drawn. */
      #hide(clientId: number): boolean {
        const at = this.#shown.indexOf(clientId)
        if (at === -1) return false
        this.#shown.splice(at, 1)
        return true
      }

      /**
       * Fills free places with the most recently active of those not drawn (one pass over the
       * clients, only after a drawn one left or lost its cursor).
       */
      #refill(states: Map<number, Record<string, unknown>>): void {
        const free = maxCarets - this.#shown.length
        if (free <= 0) return
        const shown = new Set(this.#shown)
        const best: { id: number; since: number }[] = []
        for (const [id, { since }] of this.#activity) {
          if (shown.has(id) || !hasCursor(states.get(id))) continue
          if (best.length === free && (best[0]?.since ?? 0) >= since) continue
          best.push({ id, since })
          best.sort((a, b) => a.since - b.since)
          if (best.length > free) best.shift()
        }
        // Older than everyone drawn (those were all active later): they go first.
        this.#shown.unshift(...best.map(({ id }) => id))
      }

      update(update: ViewUpdate) {
        this.#publishCursor(update)
        for (const tr of update.transactions) {
          for (const effect of tr.effects) {
            if (!effect.is(revealLabel)) continue
            const known = this.#activity.get(effect.value)
            if (known === undefined) continue
            known.since = Date.now()
            if (hasCursor(awareness.getStates().get(effect.value))) this.#show(effect.value)
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
        for (const id of this.#shown) {
          const since = this.#activity.get(id)?.since
          if (since === undefined) continue
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
        const states = awareness.getStates()
        for (const clientId of this.#shown) {
          const state = states.get(clientId)
          const range = cursorRange(state, text)
          if (range === null) continue
          const anchorIndex = Math.min(range.anchor, lines.length)
          const headIndex = Math.min(range.head, lines.length)
          const { name, color, colorLight } = remoteUser(clientId, state)

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
        }
        return Decoration.set(ranges, true)
      }
    },
    { decorations: (plugin) => plugin.decorations },
  )
}

/** Whether an awareness state publishes a selection at all. */
function hasCursor(state: Record<string, unknown> | undefined): boolean {
  return state?.cursor != null
}

/** What counts as a person's activity: their selection and their name. */
function activityKey(state: Record<string, unknown> | undefined): string {
  const user = state?.user as { name?: unknown } | undefined
  return `${cursorKey(state)}\u0000${typeof user?.name === 'string' ? user.name : ''}`
}

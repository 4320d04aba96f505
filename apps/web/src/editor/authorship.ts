import {
  type EditorState,
  type Extension,
  RangeSetBuilder,
  StateEffect,
  StateField,
} from '@codemirror/state'
import {
  Decoration,
  type DecorationSet,
  EditorView,
  hoverTooltip,
  type Tooltip,
} from '@codemirror/view'
import type { AttributedSpan } from '@tandem/protocol'
import type { AuthorStyle } from '../lib/author-colors'
import { lightColor } from '../lib/identity'
import { fullTime, relativeTime } from '../lib/time'

export type { AuthorStyle }

/** Who wrote what in the editor's text: spans of the current document, and their authors. */
export interface Authorship {
  /** Sorted, non-overlapping, in the coordinates of the document when dispatched. */
  readonly spans: readonly AttributedSpan[]
  readonly authors: ReadonlyMap<number, AuthorStyle>
}

/** Shows `Authorship` (replacing what was shown), or `null` to show none. */
export const setAuthorship = StateEffect.define<Authorship | null>()

/** What a passage's mark carries, for the hover. */
interface PassageSpec {
  readonly author: AuthorStyle
  readonly timeMs: number | null
}

function passageMark(author: AuthorStyle, timeMs: number | null): Decoration {
  const spec: PassageSpec = { author, timeMs }
  return Decoration.mark({
    class: 'cm-author',
    // Written from a checked colour only (see `remoteUser`), never from the server's text.
    attributes: { style: `background-color: ${lightColor(author.color)}` },
    ...spec,
  })
}

/**
 * The marks for `spans` in a document of `length`: spans past its end (text removed since the
 * spans were computed) are cut off, spans without an author left unmarked.
 */
export function authorshipDecorations(authorship: Authorship, length: number): DecorationSet {
  const builder = new RangeSetBuilder<Decoration>()
  // One decoration per author and time: consecutive spans of one author at one time share it.
  let last: { author: number; timeMs: number | null; mark: Decoration } | null = null
  for (const span of authorship.spans) {
    if (span.author === null) continue
    const from = Math.min(span.from, length)
    const to = Math.min(span.to, length)
    if (to <= from) continue
    const author = authorship.authors.get(span.author)
    if (author === undefined) continue
    if (last === null || last.author !== span.author || last.timeMs !== span.timeMs) {
      last = { author: span.author, timeMs: span.timeMs, mark: passageMark(author, span.timeMs) }
    }
    builder.add(from, to, last.mark)
  }
  return builder.finish()
}

const authorshipField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, tr) {
    let next = marks.map(tr.changes)
    for (const effect of tr.effects) {
      if (effect.is(setAuthorship)) {
        next =
          effect.value === null
            ? Decoration.none
            : authorshipDecorations(effect.value, tr.newDoc.length)
      }
    }
    return next
  },
  provide: (field) => EditorView.decorations.from(field),
})

/** Who wrote the text at `pos` and when, as marked; `null` where nobody is shown. */
export function passageAt(
  state: EditorState,
  pos: number,
  side: -1 | 1 = 1,
): { from: number; to: number; author: AuthorStyle; timeMs: number | null } | null {
  const marks = state.field(authorshipField, false)
  if (marks === undefined) return null
  const found: { from: number; to: number; author: AuthorStyle; timeMs: number | null }[] = []
  marks.between(pos, pos, (from, to, mark) => {
    if ((side < 0 && from === pos) || (side > 0 && to === pos)) return
    const spec = mark.spec as PassageSpec
    found.push({ from, to, author: spec.author, timeMs: spec.timeMs })
    return false
  })
  return found[0] ?? null
}

/** The hover's text: "Ada", "(unverified)", "5 minutes ago". */
function passageTooltip(author: AuthorStyle, timeMs: number | null): HTMLElement {
  const dom = document.createElement('div')
  dom.className = 'cm-author-tooltip'
  const swatch = document.createElement('span')
  swatch.className = 'author-swatch'
  swatch.style.setProperty('background-color', author.color)
  const who = document.createElement('strong')
  who.textContent = author.name
  who.dir = 'auto'
  dom.append('Written by ', swatch, who)
  if (!author.verified) {
    const unverified = document.createElement('span')
    unverified.className = 'unverified'
    unverified.textContent = ' (unverified name)'
    dom.append(unverified)
  }
  if (timeMs !== null) {
    const time = document.createElement('time')
    time.dateTime = new Date(timeMs).toISOString()
    time.title = fullTime(timeMs)
    time.textContent = relativeTime(timeMs, Date.now())
    const full = document.createElement('span')
    full.className = 'cm-author-tooltip-time'
    full.textContent = fullTime(timeMs)
    dom.append(' ', time, document.createElement('br'), full)
  }
  return dom
}

/**
 * Colours the text by who wrote it, as the last {@link setAuthorship} said (kept in place as
 * the text changes; new text stays uncoloured until the next one), and names the author and
 * the time in a hover.
 */
export function authorship(): Extension {
  return [
    authorshipField,
    hoverTooltip(
      (view, pos, side): Tooltip | null => {
        const passage = passageAt(view.state, pos, side)
        if (passage === null) return null
        return {
          pos: passage.from,
          end: passage.to,
          above: true,
          create: () => ({ dom: passageTooltip(passage.author, passage.timeMs) }),
        }
      },
      { hoverTime: 300 },
    ),
  ]
}

import {
  type ChangeDesc,
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
  type Panel,
  showPanel,
  type Tooltip,
  type ViewUpdate,
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
}

/** One mark per author (as long as their style object lives), so that steps reuse them. */
const marks = new WeakMap<AuthorStyle, Decoration>()

function passageMark(author: AuthorStyle): Decoration {
  let mark = marks.get(author)
  if (mark === undefined) {
    const spec: PassageSpec = { author }
    mark = Decoration.mark({
      class: 'cm-author',
      // Written from a checked colour only (see `remoteUser`), never from the server's text.
      attributes: { style: `background-color: ${lightColor(author.color)}` },
      ...spec,
    })
    marks.set(author, mark)
  }
  return mark
}

/**
 * The marks for `spans` in a document of `length`: one range per run of one author's text
 * (whatever the times), spans past its end (text removed since the spans were computed) cut
 * off, spans without an author left unmarked.
 */
export function authorshipDecorations(authorship: Authorship, length: number): DecorationSet {
  const builder = new RangeSetBuilder<Decoration>()
  let open: { from: number; to: number; mark: Decoration } | null = null
  for (const span of authorship.spans) {
    const from = Math.min(span.from, length)
    const to = Math.min(span.to, length)
    const author = span.author === null ? undefined : authorship.authors.get(span.author)
    if (to <= from) continue
    if (author === undefined) {
      if (open !== null) builder.add(open.from, open.to, open.mark)
      open = null
      continue
    }
    const mark = passageMark(author)
    if (open !== null && open.mark === mark && open.to === from) open.to = to
    else {
      if (open !== null) builder.add(open.from, open.to, open.mark)
      open = { from, to, mark }
    }
  }
  if (open !== null) builder.add(open.from, open.to, open.mark)
  return builder.finish()
}

/**
 * The marks shown, the spans they were made from (for the times), and the changes since, to
 * find a position of today's text in those spans.
 */
interface Shown {
  readonly marks: DecorationSet
  readonly spans: readonly AttributedSpan[]
  readonly since: ChangeDesc | null
}

const nothingShown: Shown = { marks: Decoration.none, spans: [], since: null }

const authorshipField = StateField.define<Shown>({
  create: () => nothingShown,
  update(shown, tr) {
    let next = shown
    if (tr.docChanged && shown !== nothingShown) {
      next = {
        marks: shown.marks.map(tr.changes),
        spans: shown.spans,
        since: shown.since === null ? tr.changes.desc : shown.since.composeDesc(tr.changes.desc),
      }
    }
    for (const effect of tr.effects) {
      if (effect.is(setAuthorship)) {
        next =
          effect.value === null
            ? nothingShown
            : {
                marks: authorshipDecorations(effect.value, tr.newDoc.length),
                spans: effect.value.spans,
                since: null,
              }
      }
    }
    return next
  },
  provide: (field) => EditorView.decorations.from(field, (shown) => shown.marks),
})

/** The span of `spans` (sorted) that holds `pos`, by binary search. */
function spanAt(spans: readonly AttributedSpan[], pos: number): AttributedSpan | null {
  let lo = 0
  let hi = spans.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const span = spans[mid] as AttributedSpan
    if (span.to <= pos) lo = mid + 1
    else if (span.from > pos) hi = mid - 1
    else return span
  }
  return null
}

/** Who wrote the text at `pos` and when, as marked; `null` where nobody is shown. */
export function passageAt(
  state: EditorState,
  pos: number,
  side: -1 | 1 = 1,
): { from: number; to: number; author: AuthorStyle; timeMs: number | null } | null {
  const shown = state.field(authorshipField, false)
  if (shown === undefined) return null
  const found: { from: number; to: number; author: AuthorStyle }[] = []
  shown.marks.between(pos, pos, (from, to, mark) => {
    if ((side < 0 && from === pos) || (side > 0 && to === pos)) return
    found.push({ from, to, author: (mark.spec as PassageSpec).author })
    return false
  })
  const passage = found[0]
  if (passage === undefined) return null
  // The character hovered, in the coordinates of the spans the marks were made from.
  const char = side < 0 ? pos - 1 : pos
  const then = shown.since === null ? char : shown.since.invertedDesc.mapPos(char, 1)
  return { ...passage, timeMs: spanAt(shown.spans, then)?.timeMs ?? null }
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

/** What the cursor panel says for the passage at the cursor. */
function describePassage(
  passage: { author: AuthorStyle; timeMs: number | null } | null,
  nowMs: number,
): string {
  if (passage === null) return 'At the cursor: nobody recorded (yet).'
  const who = `${passage.author.name}${passage.author.verified ? '' : ' (unverified name)'}`
  const when = passage.timeMs === null ? '' : `, ${relativeTime(passage.timeMs, nowMs)}`
  return `At the cursor: written by ${who}${when}.`
}

/**
 * A line under the text naming who wrote the passage at the cursor, for those who move with
 * the keyboard rather than hover (announced politely when it changes).
 */
function cursorPanel(view: EditorView): Panel {
  const dom = document.createElement('div')
  dom.className = 'cm-author-panel'
  dom.setAttribute('aria-live', 'polite')
  dom.dataset.testid = 'author-at-cursor'
  const say = (state: EditorState) => {
    // The character before the cursor, as one reads; at the very start, the first one.
    const head = state.selection.main.head
    const text = describePassage(passageAt(state, head, head === 0 ? 1 : -1), Date.now())
    if (dom.textContent !== text) dom.textContent = text
  }
  say(view.state)
  return {
    dom,
    update(update: ViewUpdate) {
      if (update.docChanged || update.selectionSet || update.transactions.length > 0) {
        say(update.state)
      }
    },
  }
}

/**
 * Colours the text by who wrote it, as the last {@link setAuthorship} said (kept in place as
 * the text changes; new text stays uncoloured until the next one), and names the author and
 * the time in a hover. `cursor`: also name, under the text, who wrote the passage at the cursor
 * while anything is coloured.
 */
export function authorship({ cursor = false }: { cursor?: boolean } = {}): Extension {
  return [
    authorshipField,
    cursor
      ? showPanel.from(authorshipField, (shown) => (shown === nothingShown ? null : cursorPanel))
      : [],
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

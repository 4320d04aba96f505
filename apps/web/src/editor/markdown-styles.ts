import { syntaxTree } from '@codemirror/language'
import type { EditorState, Extension, Range } from '@codemirror/state'
import {
  Decoration,
  type DecorationSet,
  type EditorView,
  ViewPlugin,
  type ViewUpdate,
} from '@codemirror/view'

/** Inline Markdown nodes and the class their text gets. */
const markClasses: Readonly<Record<string, string>> = {
  ATXHeading1: 'cm-md-heading cm-md-h1',
  SetextHeading1: 'cm-md-heading cm-md-h1',
  ATXHeading2: 'cm-md-heading cm-md-h2',
  SetextHeading2: 'cm-md-heading cm-md-h2',
  ATXHeading3: 'cm-md-heading cm-md-h3',
  ATXHeading4: 'cm-md-heading cm-md-h4',
  ATXHeading5: 'cm-md-heading cm-md-h5',
  ATXHeading6: 'cm-md-heading cm-md-h6',
  Emphasis: 'cm-md-emphasis',
  StrongEmphasis: 'cm-md-strong',
  Strikethrough: 'cm-md-strikethrough',
  InlineCode: 'cm-md-code',
  Link: 'cm-md-link',
  Image: 'cm-md-link',
  URL: 'cm-md-url',
  Autolink: 'cm-md-url',
  HeaderMark: 'cm-md-mark',
  EmphasisMark: 'cm-md-mark',
  StrikethroughMark: 'cm-md-mark',
  CodeMark: 'cm-md-mark',
  LinkMark: 'cm-md-mark',
  QuoteMark: 'cm-md-mark',
  ListMark: 'cm-md-list-mark',
  TaskMarker: 'cm-md-list-mark',
  CodeInfo: 'cm-md-mark',
  HorizontalRule: 'cm-md-mark',
  Comment: 'cm-md-mark',
  CommentBlock: 'cm-md-mark',
}

/** Block Markdown nodes and the class each of their lines gets. */
const lineClasses: Readonly<Record<string, string>> = {
  FencedCode: 'cm-md-code-block',
  CodeBlock: 'cm-md-code-block',
  Blockquote: 'cm-md-quote',
}

const marks = new Map(
  Object.entries(markClasses).map(([node, cls]) => [node, Decoration.mark({ class: cls })]),
)
const lines = new Map(
  Object.entries(lineClasses).map(([node, cls]) => [node, Decoration.line({ class: cls })]),
)

function decorate(view: EditorView): DecorationSet {
  const ranges: Range<Decoration>[] = []
  const { state } = view
  for (const { from, to } of view.visibleRanges) {
    syntaxTree(state).iterate({
      from,
      to,
      enter(node) {
        const mark = marks.get(node.name)
        if (mark && node.to > node.from) ranges.push(mark.range(node.from, node.to))
        const line = lines.get(node.name)
        if (line) addLines(state, ranges, line, Math.max(node.from, from), Math.min(node.to, to))
      },
    })
  }
  return Decoration.set(ranges, true)
}

function addLines(
  state: EditorState,
  ranges: Range<Decoration>[],
  decoration: Decoration,
  from: number,
  to: number,
): void {
  for (let pos = from; pos <= to; ) {
    const line = state.doc.lineAt(pos)
    ranges.push(decoration.range(line.from))
    pos = line.to + 1
  }
}

/**
 * Styles Markdown as prose: larger headings, emphasis, code and quotes, with the markup
 * characters muted. The look comes from `cm-md-*` classes, themed in `theme.ts`.
 */
export function markdownStyles(): Extension {
  return ViewPlugin.fromClass(
    class {
      decorations: DecorationSet

      constructor(view: EditorView) {
        this.decorations = decorate(view)
      }

      update(update: ViewUpdate) {
        if (
          update.docChanged ||
          update.viewportChanged ||
          syntaxTree(update.startState) !== syntaxTree(update.state)
        ) {
          this.decorations = decorate(update.view)
        }
      }
    },
    { decorations: (plugin) => plugin.decorations },
  )
}

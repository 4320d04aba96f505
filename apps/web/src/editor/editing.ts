import { defaultKeymap } from '@codemirror/commands'
import { markdownKeymap, markdownLanguage, pasteURLAsLink } from '@codemirror/lang-markdown'
import { bracketMatching, indentOnInput, LanguageSupport } from '@codemirror/language'
import { highlightSelectionMatches, searchKeymap } from '@codemirror/search'
import { type Extension, Prec } from '@codemirror/state'
import { keymap } from '@codemirror/view'
import { markdownStyles } from './markdown-styles'

/**
 * Markdown (GitHub's flavour) with its styles, Enter continuing lists and quotes, Backspace
 * removing their markup, a URL pasted on a selection making a link; CodeMirror's default key
 * bindings and search. Loaded after the editor shows (`setup.ts`, `loadEditing`).
 *
 * Unlike `@codemirror/lang-markdown`'s `markdown()`, HTML inside Markdown is not parsed as HTML:
 * that would bring the HTML, CSS and JavaScript parsers (45 kB gzipped) for tag auto-closing
 * alone, since the editor styles Markdown by its own node classes, not by token highlighting.
 */
export function editingSetup(): Extension {
  return [
    new LanguageSupport(markdownLanguage, [Prec.high(keymap.of(markdownKeymap)), pasteURLAsLink]),
    markdownStyles(),
    indentOnInput(),
    bracketMatching(),
    highlightSelectionMatches(),
    keymap.of([...searchKeymap, ...defaultKeymap]),
  ]
}

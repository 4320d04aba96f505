import type { Extension } from '@codemirror/state'
import { EditorView } from '@codemirror/view'

/**
 * Tandem's editor look: a centred column of prose in the page's font, coloured through the CSS
 * variables in `app/styles.css` so light and dark follow the system.
 */
export function tandemTheme(): Extension {
  return EditorView.theme({
    '&': {
      height: '100%',
      color: 'var(--text)',
      backgroundColor: 'var(--surface)',
      fontSize: '1.0625rem',
    },
    '&.cm-focused': { outline: 'none' },
    '.cm-scroller': {
      fontFamily: 'inherit',
      lineHeight: '1.7',
    },
    '.cm-content': {
      maxWidth: '44rem',
      margin: '0 auto',
      padding: '2.5rem 1.5rem 40vh',
      caretColor: 'var(--accent)',
    },
    '.cm-line': { padding: '0 2px' },
    '.cm-cursor, .cm-dropCursor': { borderLeft: '2px solid var(--accent)' },
    '&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection':
      { backgroundColor: 'var(--selection)' },
    '.cm-activeLine': { backgroundColor: 'transparent' },
    '&.cm-focused .cm-activeLine': { backgroundColor: 'var(--active-line)' },
    '.cm-selectionMatch': { backgroundColor: 'var(--selection-match)' },
    '.cm-placeholder': { color: 'var(--text-faint)', fontStyle: 'italic' },
    '.cm-content[contenteditable=false] .cm-placeholder': { display: 'none' },
    '.cm-panels': {
      backgroundColor: 'var(--surface-raised)',
      color: 'var(--text)',
      fontFamily: 'inherit',
    },
    '.cm-panels.cm-panels-bottom': { borderTop: '1px solid var(--border)' },
    '.cm-panels.cm-panels-top': { borderBottom: '1px solid var(--border)' },
    '.cm-searchMatch': {
      backgroundColor: 'var(--search-match)',
      outline: '1px solid var(--search-match-outline)',
    },
    '.cm-searchMatch.cm-searchMatch-selected': { backgroundColor: 'var(--search-match-selected)' },
    '.cm-textfield, .cm-button': { fontFamily: 'inherit', fontSize: '0.875rem' },

    // Remote cursors (y-codemirror.next): keep the name label visible, in the page's font.
    '.cm-ySelectionCaret': { borderLeftWidth: '2px', marginLeft: '-1px', marginRight: '-1px' },
    '.cm-ySelectionInfo': {
      opacity: '1',
      top: '-1.45em',
      left: '-2px',
      padding: '0.05em 0.4em',
      borderRadius: '4px 4px 4px 0',
      fontFamily: 'inherit',
      fontSize: '0.7rem',
      fontWeight: '600',
      lineHeight: '1.4',
      letterSpacing: '0.01em',
      pointerEvents: 'none',
      // A name is at most 64 code points (remote-user.ts): cut it to the width of a label, and
      // keep it from reordering anything around it.
      maxWidth: '16em',
      overflow: 'hidden',
      textOverflow: 'ellipsis',
      unicodeBidi: 'isolate',
      transition: 'opacity 0.6s ease',
      transitionDelay: '0s',
    },
    '.cm-ySelectionCaretDot': { display: 'none' },
    // A label fades once its person has been still for a while (remote-selections.ts); hovering
    // their caret shows it again.
    '.cm-ySelectionCaret-idle > .cm-ySelectionInfo': { opacity: '0' },
    '.cm-ySelectionCaret-idle:hover > .cm-ySelectionInfo': { opacity: '1', transition: 'none' },

    // Markdown, see markdown-styles.ts.
    '.cm-md-heading': { fontWeight: '700', color: 'var(--heading)' },
    '.cm-md-h1': { fontSize: '1.75em', letterSpacing: '-0.01em' },
    '.cm-md-h2': { fontSize: '1.4em' },
    '.cm-md-h3': { fontSize: '1.2em' },
    '.cm-md-h4, .cm-md-h5, .cm-md-h6': { fontSize: '1em' },
    '.cm-md-emphasis': { fontStyle: 'italic' },
    '.cm-md-strong': { fontWeight: '700' },
    '.cm-md-strikethrough': { textDecoration: 'line-through' },
    '.cm-md-mark': { color: 'var(--text-faint)', fontWeight: '400' },
    '.cm-md-list-mark': { color: 'var(--accent)' },
    '.cm-md-link': { color: 'var(--link)' },
    '.cm-md-url': { color: 'var(--text-muted)', textDecoration: 'underline' },
    '.cm-md-code': {
      fontFamily: 'var(--font-mono)',
      fontSize: '0.9em',
      backgroundColor: 'var(--code-bg)',
      borderRadius: '3px',
      padding: '0.1em 0.2em',
    },
    '.cm-md-code-block': {
      fontFamily: 'var(--font-mono)',
      fontSize: '0.9em',
      backgroundColor: 'var(--code-bg)',
    },
    '.cm-md-code-block .cm-md-code': { backgroundColor: 'transparent', padding: '0' },
    '.cm-md-quote': {
      borderLeft: '3px solid var(--border-strong)',
      paddingLeft: '0.9em',
      color: 'var(--text-muted)',
    },
  })
}

/** The undo shortcut as this platform writes it: `⌘Z` on Apple systems, `Ctrl+Z` elsewhere. */
export function undoKey(): string {
  return /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent) ? '⌘Z' : 'Ctrl+Z'
}

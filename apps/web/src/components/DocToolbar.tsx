import type { ExportFormat } from '../lib/files'
import { FileMenu } from './FileMenu'
import { ThemeToggle } from './ThemeToggle'

export interface DocToolbarProps {
  onShare: () => void
  /** Whether the Markdown preview is shown, and the id of the element that shows it. */
  previewOpen: boolean
  previewId: string
  onTogglePreview: () => void
  historyOpen: boolean
  onToggleHistory: () => void
  /** Whether the text is coloured by author; `showAuthors`: whether to offer it at all. */
  authorsOn: boolean
  onToggleAuthors: () => void
  showAuthors: boolean
  onExport: (format: ExportFormat) => void
  onImport: (file: File) => void
  /** Whether importing is possible now; `showImport`: whether to offer it at all. */
  canImport: boolean
  showImport: boolean
}

/** A document's actions: Share, Preview, Authors, History, the File menu and the theme. */
export function DocToolbar({
  onShare,
  previewOpen,
  previewId,
  onTogglePreview,
  historyOpen,
  onToggleHistory,
  authorsOn,
  onToggleAuthors,
  showAuthors,
  onExport,
  onImport,
  canImport,
  showImport,
}: DocToolbarProps) {
  return (
    <div className="topbar-actions">
      <button
        type="button"
        className="button primary small"
        data-testid="share-button"
        aria-haspopup="dialog"
        onClick={onShare}
      >
        Share
      </button>
      <button
        type="button"
        className="button subtle"
        data-testid="preview-toggle"
        aria-pressed={previewOpen}
        aria-controls={previewOpen ? previewId : undefined}
        onClick={onTogglePreview}
      >
        Preview
      </button>
      {showAuthors && (
        <button
          type="button"
          className="button subtle"
          data-testid="authors-toggle"
          aria-pressed={authorsOn}
          title="Colour the text by who wrote it"
          onClick={onToggleAuthors}
        >
          Authors
        </button>
      )}
      <button
        type="button"
        className="button subtle"
        data-testid="history-button"
        aria-expanded={historyOpen}
        aria-pressed={historyOpen}
        onClick={onToggleHistory}
      >
        History
      </button>
      <FileMenu
        onExport={onExport}
        onImport={onImport}
        canImport={canImport}
        showImport={showImport}
      />
      <ThemeToggle />
    </div>
  )
}

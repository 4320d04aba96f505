import { useEffect, useId, useRef } from 'react'
import type { ExportFormat } from '../lib/files'

export interface FileMenuProps {
  onExport: (format: ExportFormat) => void
  /** Downloads the text with the files it shows, as a zip archive. */
  onExportArchive?: () => void
  onImport: (file: File) => void
  /** Files chosen to be uploaded into the text at the cursor. */
  onInsertFiles?: (files: File[]) => void
  /** Whether importing is possible now (not while the document is closed by the server). */
  canImport: boolean
  /** Whether to offer importing at all (not on a view-only page). */
  showImport?: boolean
}

/**
 * "File": download the text as Markdown or plain text, or import a file. A `<details>`
 * disclosure, so it opens with Enter or Space; Escape and a click elsewhere close it.
 */
export function FileMenu({
  onExport,
  onExportArchive,
  onImport,
  onInsertFiles,
  canImport,
  showImport = true,
}: FileMenuProps) {
  const menu = useRef<HTMLDetailsElement>(null)
  const input = useRef<HTMLInputElement>(null)
  const insertInput = useRef<HTMLInputElement>(null)
  const id = useId()

  const close = (focusSummary = false) => {
    const details = menu.current
    if (!details) return
    details.open = false
    if (focusSummary) details.querySelector('summary')?.focus()
  }

  useEffect(() => {
    const onPointerDown = (event: PointerEvent) => {
      const details = menu.current
      if (details?.open && !details.contains(event.target as Node)) details.open = false
    }
    document.addEventListener('pointerdown', onPointerDown)
    return () => document.removeEventListener('pointerdown', onPointerDown)
  }, [])

  return (
    <details
      ref={menu}
      className="menu"
      onKeyDown={(event) => {
        if (event.key === 'Escape' && menu.current?.open) {
          event.preventDefault()
          close(true)
        }
      }}
    >
      <summary className="button subtle">
        File <span aria-hidden="true">▾</span>
      </summary>
      <div className="menu-popover">
        <button
          type="button"
          className="menu-item"
          data-testid="export-md"
          onClick={() => {
            onExport('md')
            close()
          }}
        >
          Download as Markdown (.md)
        </button>
        <button
          type="button"
          className="menu-item"
          data-testid="export-txt"
          onClick={() => {
            onExport('txt')
            close()
          }}
        >
          Download as text (.txt)
        </button>
        <button
          hidden={!onExportArchive}
          type="button"
          className="menu-item"
          data-testid="export-zip"
          onClick={() => {
            onExportArchive?.()
            close()
          }}
        >
          Download with its files (.zip)
        </button>
        {showImport && <hr className="menu-separator" />}
        <button
          hidden={!showImport}
          type="button"
          className="menu-item"
          disabled={!canImport}
          aria-describedby={`${id}-import-help`}
          onClick={() => input.current?.click()}
        >
          Import a file…
        </button>
        <p id={`${id}-import-help`} className="menu-help" hidden={!showImport}>
          Replaces the whole text (a .md or .txt file, or a .zip downloaded with its files); you can
          undo it. You can also drop a text file on the text.
        </p>
        <input
          ref={input}
          type="file"
          className="visually-hidden"
          tabIndex={-1}
          aria-hidden="true"
          data-testid="import-file"
          accept=".md,.markdown,.txt,.text,text/plain,text/markdown,.zip,application/zip"
          disabled={!canImport}
          onChange={(event) => {
            const file = event.target.files?.[0]
            // Cleared, so that choosing the same file again is a change too.
            event.target.value = ''
            close()
            if (file) onImport(file)
          }}
        />
        <button
          hidden={!showImport || !onInsertFiles}
          type="button"
          className="menu-item"
          data-testid="insert-file-button"
          disabled={!canImport}
          onClick={() => insertInput.current?.click()}
        >
          Insert an image or file…
        </button>
        <input
          ref={insertInput}
          type="file"
          multiple
          className="visually-hidden"
          tabIndex={-1}
          aria-hidden="true"
          data-testid="insert-file"
          disabled={!canImport || !showImport}
          onChange={(event) => {
            const files = [...(event.target.files ?? [])]
            event.target.value = ''
            close()
            if (files.length > 0) onInsertFiles?.(files)
          }}
        />
      </div>
    </details>
  )
}

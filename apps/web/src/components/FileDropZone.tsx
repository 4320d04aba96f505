import { type DragEvent, type ReactNode, useState } from 'react'

export interface FileDropZoneProps {
  /** Whether a dropped file is taken now; otherwise the drop is refused. */
  canDrop: boolean
  /** A file was dropped (the first, when several were). */
  onFile: (file: File) => void
  hidden: boolean
  children: ReactNode
}

const hasFiles = (event: DragEvent) => event.dataTransfer.types.includes('Files')

/**
 * The editor's area (`<main>`), where a text file dropped replaces the document after a
 * confirmation: an overlay says so while a file is dragged over it. CodeMirror never sees the
 * drop, so it cannot insert the file itself.
 */
export function FileDropZone({ canDrop, onFile, hidden, children }: FileDropZoneProps) {
  const [dragging, setDragging] = useState(false)
  return (
    <main
      className={dragging ? 'editor-host dragging' : 'editor-host'}
      data-testid="editor"
      hidden={hidden}
      onDragOverCapture={(event) => {
        if (!hasFiles(event)) return
        event.preventDefault()
        event.dataTransfer.dropEffect = canDrop ? 'copy' : 'none'
        if (!dragging) setDragging(true)
      }}
      onDragLeave={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false)
      }}
      onDropCapture={(event) => {
        if (!hasFiles(event)) return
        // The file replaces the text after a confirmation; CodeMirror must not insert it.
        event.preventDefault()
        event.stopPropagation()
        setDragging(false)
        const file = event.dataTransfer.files[0]
        if (file && canDrop) onFile(file)
      }}
    >
      {children}
      {dragging && canDrop && (
        <div className="drop-overlay" aria-hidden="true">
          Drop a text file to replace the document
        </div>
      )}
    </main>
  )
}

import { type DragEvent, type ReactNode, useState } from 'react'
import { looksLikeText } from '../lib/files'

export interface FileDropZoneProps {
  /** Whether a dropped file is taken now; otherwise the drop is refused. */
  canDrop: boolean
  /** A text file was dropped (the first, when several were): it replaces the document. */
  onFile: (file: File) => void
  /** Other files were dropped (images, anything but text), at this point of the window. */
  onUpload?: (files: File[], at: { x: number; y: number }) => void
  hidden: boolean
  children: ReactNode
}

const hasFiles = (event: DragEvent) => event.dataTransfer.types.includes('Files')

/**
 * The editor's area (`<main>`), where a text file dropped replaces the document after a
 * confirmation, and other files (images) are uploaded and inserted where they are dropped: an
 * overlay says so while a file is dragged over it. CodeMirror never sees the drop, so it cannot
 * insert the file itself.
 */
export function FileDropZone({ canDrop, onFile, onUpload, hidden, children }: FileDropZoneProps) {
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
        const files = [...event.dataTransfer.files]
        if (!canDrop || files.length === 0) return
        const text = files.filter(looksLikeText)
        if (text.length === files.length || !onUpload) {
          if (files[0]) onFile(files[0])
        } else {
          onUpload(
            files.filter((f) => !looksLikeText(f)),
            { x: event.clientX, y: event.clientY },
          )
        }
      }}
    >
      {children}
      {dragging && canDrop && (
        <div className="drop-overlay" aria-hidden="true">
          Drop a text file to replace the document, or an image to insert it
        </div>
      )}
    </main>
  )
}

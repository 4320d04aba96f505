import { useState } from 'react'
import type { CollabSession } from '../collab/session'
import { decodeImport, importSizeProblem, looksLikeText } from '../lib/files'
import { undoKey } from '../lib/keys'

/** A file read and waiting for the confirmation that it replaces the text. */
export interface PendingImport {
  /** The file's name. */
  readonly name: string
  readonly text: string
}

export interface FileImport {
  /** The file waiting for confirmation, if any. */
  readonly pending: PendingImport | null
  /** Reads `file` and asks for confirmation, or says what is wrong with it. */
  choose(file: File): Promise<void>
  /** Replaces the text with the pending file's, as one edit that undo reverts. */
  confirm(): void
  cancel(): void
}

export interface FileImportOptions {
  /** Shows a notice (an error when `error` is true). */
  notify: (text: string, error?: boolean) => void
  /** Runs after the text has been replaced. */
  onImported: () => void
}

/**
 * Importing a text file into the document of `session`: checked (a text file, not too big,
 * decodable) before anything changes, then confirmed, then written as this client's edit.
 */
export function useFileImport(
  session: CollabSession | null,
  { notify, onImported }: FileImportOptions,
): FileImport {
  const [pending, setPending] = useState<PendingImport | null>(null)

  const choose = async (file: File) => {
    if (!looksLikeText(file)) {
      notify(`“${file.name}” is not a text file; import a .md or .txt file.`, true)
      return
    }
    // Refused before it is read: a huge file should not be loaded into memory first.
    const tooBig = importSizeProblem(file.size)
    const read = tooBig
      ? ({ ok: false, problem: tooBig } as const)
      : decodeImport(new Uint8Array(await file.arrayBuffer()))
    if (!read.ok) {
      notify(`Cannot import “${file.name}”: ${read.problem}`, true)
      return
    }
    setPending({ name: file.name, text: read.text })
  }

  const confirm = () => {
    if (session === null || pending === null) return
    session.replaceText(pending.text)
    notify(`Imported “${pending.name}”. Press ${undoKey()} in the text to undo.`)
    setPending(null)
    onImported()
  }

  return { pending, choose, confirm, cancel: () => setPending(null) }
}

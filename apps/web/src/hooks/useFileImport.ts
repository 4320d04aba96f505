import { useState } from 'react'
import type { CollabSession } from '../collab/session'
import { ARCHIVE_LIMITS, readArchive, relink } from '../lib/doc-archive'
import { decodeImport, importSizeProblem, looksLikeText, looksLikeZip } from '../lib/files'
import { undoKey } from '../lib/keys'

/** A file read and waiting for the confirmation that it replaces the text. */
export interface PendingImport {
  /** The file's name. */
  readonly name: string
  readonly text: string
  /** From a zip archive: the files the text links to, by link target, uploaded on confirming. */
  readonly files?: ReadonlyMap<string, { readonly name: string; readonly bytes: Uint8Array }>
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
  /** Uploads a file of an imported archive to the document; resolves with its address. */
  upload?: (bytes: Uint8Array, name: string) => Promise<string>
}

/**
 * Importing a text file into the document of `session`: checked (a text file, not too big,
 * decodable) before anything changes, then confirmed, then written as this client's edit.
 */
export function useFileImport(
  session: CollabSession | null,
  { notify, onImported, upload }: FileImportOptions,
): FileImport {
  const [pending, setPending] = useState<PendingImport | null>(null)

  const choose = async (file: File) => {
    if (looksLikeZip(file) && upload) {
      if (file.size > ARCHIVE_LIMITS.maxBytes) {
        notify(`Cannot import “${file.name}”: it is larger than 200 MB.`, true)
        return
      }
      try {
        const archive = await readArchive(new Uint8Array(await file.arrayBuffer()))
        setPending({ name: file.name, text: archive.text, files: archive.files })
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err)
        notify(`Cannot import “${file.name}”: ${why}.`, true)
      }
      return
    }
    if (!looksLikeText(file)) {
      notify(`“${file.name}” is not a text file; import a .md, .txt or exported .zip file.`, true)
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
    const { name, text, files } = pending
    setPending(null)
    const done = (imported: string) => {
      session.replaceText(imported)
      notify(`Imported “${name}”. Press ${undoKey()} in the text to undo.`)
      onImported()
    }
    if (!files || files.size === 0 || !upload) {
      done(text)
      return
    }
    // The archive's files first: the text goes in once every file it shows is on the server.
    notify(`Uploading the ${files.size} file${files.size === 1 ? '' : 's'} of “${name}”…`)
    void (async () => {
      const urls = new Map<string, string>()
      for (const [target, file] of files) urls.set(target, await upload(file.bytes, file.name))
      return urls
    })().then(
      (urls) => done(relink(text, urls)),
      (err: unknown) => {
        const why = err instanceof Error ? err.message : String(err)
        notify(`Cannot import “${name}”: a file could not be uploaded: ${why}`, true)
      },
    )
  }

  return { pending, choose, confirm, cancel: () => setPending(null) }
}

/** The largest file an import accepts, in bytes: well inside one WebSocket message (16 MiB). */
export const MAX_IMPORT_BYTES = 4 * 1024 * 1024

/** What can be exported. */
export type ExportFormat = 'md' | 'txt'

const mimeTypes: Record<ExportFormat, string> = {
  md: 'text/markdown;charset=utf-8',
  txt: 'text/plain;charset=utf-8',
}

/**
 * A file name for document `name`: its last path segment, without characters that file systems
 * refuse, and `.md` or `.txt`.
 */
export function exportFileName(name: string, format: ExportFormat): string {
  const base =
    (name.split('/').at(-1) ?? '')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes.
      .replace(/[<>:"\\|?*\u0000-\u001f\u007f]+/g, '-')
      .replace(/\s+/g, ' ')
      .replace(/^[\s.-]+|[\s.-]+$/g, '') || 'document'
  return `${base}.${format}`
}

/** Saves `text` as a download called `fileName`. */
export function downloadText(text: string, fileName: string, format: ExportFormat): void {
  download(new Blob([text], { type: mimeTypes[format] }), fileName)
}

/** Saves `blob` as a download called `fileName`. */
export function download(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = fileName
  link.style.display = 'none'
  document.body.append(link)
  link.click()
  link.remove()
  // The download has started from the click; the URL is not needed after this task.
  setTimeout(() => URL.revokeObjectURL(url), 0)
}

/** Why a file of `size` bytes cannot be imported, or `null` if its size is fine. */
export function importSizeProblem(size: number): string | null {
  return size > MAX_IMPORT_BYTES
    ? `The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB; import a smaller text file.`
    : null
}

export type ImportResult = { ok: true; text: string } | { ok: false; problem: string }

/**
 * Reads an imported file's bytes as text: UTF-8 (a byte-order mark is dropped), line breaks
 * made `\n` as the editor keeps them; refuses what is too big or not text.
 */
export function decodeImport(bytes: Uint8Array): ImportResult {
  const tooBig = importSizeProblem(bytes.byteLength)
  if (tooBig !== null) return { ok: false, problem: tooBig }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    return { ok: false, problem: 'The file is not UTF-8 text; save it as UTF-8 and try again.' }
  }
  if (text.includes('\u0000')) {
    return { ok: false, problem: 'The file is not a text file.' }
  }
  return { ok: true, text: text.replace(/\r\n?/g, '\n') }
}

/** Whether a file is a zip archive by its name or type (an export with its files). */
export function looksLikeZip(file: { name: string; type: string }): boolean {
  return /\.zip$/i.test(file.name) || /^application\/(x-)?zip(-compressed)?$/.test(file.type)
}

/** Whether a file looks like text by its name or type (a drop may carry anything). */
export function looksLikeText(file: { name: string; type: string }): boolean {
  return (
    file.type.startsWith('text/') ||
    /\.(md|markdown|mdown|txt|text)$/i.test(file.name) ||
    (file.type === '' && !/\.[a-z0-9]+$/i.test(file.name))
  )
}

import { isInlineImageType, type UploadedFileJson } from '@tandem/protocol'
import { docApiPath, isRecord } from './api'

/** The address scheme of a placeholder: never fetched, replaced once its upload ends. */
export const PLACEHOLDER_SCHEME = 'tandem-upload:'

/** `text` for Markdown link text: brackets and backslashes escaped, lines joined. */
function label(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/[\\[\]]/g, (c) => `\\${c}`)
}

/** A fresh placeholder id: 12 random base-36 characters. */
export function placeholderId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  return Array.from(bytes, (b) => (b % 36).toString(36)).join('')
}

/**
 * The Markdown that stands in the shared text for a file being uploaded, so that everyone sees
 * at once that something comes there: `![Uploading name…](tandem-upload:<id>)`.
 */
export function placeholderMarkdown(id: string, fileName: string): string {
  return `![Uploading ${label(fileName)}…](${PLACEHOLDER_SCHEME}${id})`
}

/**
 * Where placeholder `id` is in `text` now (others may have edited around it, or its text), as
 * `[from, to)`: the whole placeholder if it is intact, else its address alone; `null` if it is
 * gone.
 */
export function findPlaceholder(
  text: string,
  id: string,
  fileName: string,
): { from: number; to: number; whole: boolean } | null {
  const whole = placeholderMarkdown(id, fileName)
  const at = text.indexOf(whole)
  if (at !== -1) return { from: at, to: at + whole.length, whole: true }
  const address = `${PLACEHOLDER_SCHEME}${id}`
  const part = text.indexOf(address)
  return part === -1 ? null : { from: part, to: part + address.length, whole: false }
}

/** An upload that failed: why, for people, and the server's code if it gave one. */
export class UploadError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message)
    this.name = 'UploadError'
  }
}

export interface UploadOptions {
  apiUrl: string
  /** The document's name. */
  doc: string
  file: Blob
  /** The file's name (sent as `?name=`). */
  name?: string
  /** The page's token, sent as `Authorization: Bearer`. */
  token: string | null
  /** Told the fraction sent so far, from 0 to 1. */
  onProgress?: (fraction: number) => void
  signal?: AbortSignal
}

/**
 * Uploads `file` to the document (`POST /api/docs/{name}/files`), reporting progress, and
 * resolves with where the server keeps it and the Markdown that shows it. A failure rejects
 * with an {@link UploadError} that says why in words for people.
 */
export function uploadFile({
  apiUrl,
  doc,
  file,
  name: fileName,
  token,
  onProgress,
  signal,
}: UploadOptions): Promise<UploadedFileJson> {
  return new Promise((resolve, reject) => {
    const name = fileName?.trim() ? `?name=${encodeURIComponent(fileName.trim())}` : ''
    const xhr = new XMLHttpRequest()
    xhr.open('POST', `${docApiPath(apiUrl, doc)}/files${name}`)
    xhr.responseType = 'text'
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`)
    // Only a raster type is worth claiming: the server checks it against the bytes.
    xhr.setRequestHeader(
      'Content-Type',
      isInlineImageType(file.type) ? file.type : 'application/octet-stream',
    )
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress?.(event.loaded / event.total)
    }
    xhr.onload = () => {
      let body: unknown = null
      try {
        body = JSON.parse(xhr.responseText)
      } catch {}
      if ((xhr.status === 200 || xhr.status === 201) && isUploaded(body)) {
        onProgress?.(1)
        resolve(body)
        return
      }
      const message =
        isRecord(body) && typeof body.message === 'string' && body.message.trim() !== ''
          ? sentence(body.message)
          : `The server answered ${xhr.status}.`
      const code = isRecord(body) && typeof body.error === 'string' ? body.error : 'http'
      reject(new UploadError(message, xhr.status, code))
    }
    xhr.onerror = () => reject(new UploadError('The server cannot be reached.', 0, 'network'))
    xhr.onabort = () => reject(new UploadError('The upload was cancelled.', 0, 'aborted'))
    signal?.addEventListener('abort', () => xhr.abort(), { once: true })
    xhr.send(file)
  })
}

function isUploaded(body: unknown): body is UploadedFileJson {
  return (
    isRecord(body) &&
    typeof body.url === 'string' &&
    typeof body.markdown === 'string' &&
    typeof body.hash === 'string'
  )
}

/** "the file is empty" → "The file is empty." */
function sentence(text: string): string {
  const trimmed = text.trim()
  const capital = trimmed.charAt(0).toLocaleUpperCase() + trimmed.slice(1)
  return /[.!?…]$/.test(capital) ? capital : `${capital}.`
}

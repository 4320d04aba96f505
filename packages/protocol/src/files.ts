/**
 * Files uploaded to a document: what both ends agree on. The server recognises a file's type
 * from its first bytes ({@link sniffMediaType}) and serves only {@link INLINE_IMAGE_TYPES}
 * inline; a file's address is the document's API path, `files/` and the SHA-256 of its bytes.
 */

/** The raster image types shown inline: a file of any other type is only ever downloaded. */
export const INLINE_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const

export type InlineImageType = (typeof INLINE_IMAGE_TYPES)[number]

/** The type of a file that is not a recognised raster image. */
export const DOWNLOAD_TYPE = 'application/octet-stream'

/** The bytes {@link sniffMediaType} needs to recognise every type it knows. */
export const SNIFF_BYTES = 12

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  if (bytes.length < at + prefix.length) return false
  return prefix.every((b, i) => bytes[at + i] === b)
}

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0))

/**
 * The type of a file by its magic bytes: one of {@link INLINE_IMAGE_TYPES}, or
 * {@link DOWNLOAD_TYPE} for anything else (SVG and HTML included: they can carry script). What
 * an upload claims about itself plays no part.
 */
export function sniffMediaType(bytes: Uint8Array): InlineImageType | typeof DOWNLOAD_TYPE {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png'
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg'
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'image/gif'
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'image/webp'
  return DOWNLOAD_TYPE
}

/** Whether `type` is one of {@link INLINE_IMAGE_TYPES}. */
export function isInlineImageType(type: string): type is InlineImageType {
  return (INLINE_IMAGE_TYPES as readonly string[]).includes(type)
}

/** Longest file name, in UTF-16 code units. */
export const MAX_FILE_NAME_LENGTH = 255

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const BAD_NAME_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029/\\]/u

/** Whether `name` may name an uploaded file: 1 to 255 characters, no control character, `/` or `\`. */
export function isValidFileName(name: string): boolean {
  return (
    name.trim() !== '' &&
    name.length <= MAX_FILE_NAME_LENGTH &&
    !BAD_NAME_CHARACTER.test(name) &&
    name.isWellFormed()
  )
}

/**
 * The path of file `hash` of document `doc`: `/api/docs/<doc, one segment>/files/<hash>`. The
 * name is percent-encoded as `encodeURIComponent` does, and its parentheses too, so that the path
 * can stand as a Markdown link's destination whatever the name.
 */
export function filePath(doc: string, hash: string): string {
  const segment = encodeURIComponent(doc).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
  return `/api/docs/${segment}/files/${hash}`
}

const FILE_PATH = /^\/api\/docs\/[^/?#]+\/files\/([0-9a-f]{64})$/

/**
 * The hash of a file address ({@link filePath}, of any document, as a path or as an absolute
 * URL of `origin`), or `null` if `url` is not one.
 */
export function fileHashOf(url: string, origin?: string): string | null {
  let path = url
  if (origin !== undefined && url.startsWith(`${origin}/`)) path = url.slice(origin.length)
  return FILE_PATH.exec(path)?.[1] ?? null
}

/** `text` for Markdown link or image text: brackets and backslashes escaped, lines joined. */
function markdownLabel(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/[\\[\]]/g, (c) => `\\${c}`)
}

/**
 * The Markdown that shows an uploaded file: an image for a type of
 * {@link INLINE_IMAGE_TYPES}, a link to download it otherwise.
 */
export function fileMarkdown(name: string, url: string, mediaType: string): string {
  const label = markdownLabel(name)
  return isInlineImageType(mediaType) ? `![${label}](${url})` : `[${label}](${url})`
}

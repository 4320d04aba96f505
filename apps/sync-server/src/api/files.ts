import type { ServerResponse } from 'node:http'
import {
  DOWNLOAD_TYPE,
  fileMarkdown,
  filePath,
  isInlineImageType,
  isValidFileName,
  SNIFF_BYTES,
  sniffMediaType,
  type UploadedFileJson,
} from '@tandem/protocol'
import { hashInSlices, isFileHash } from '../persistence/file-hash.js'
import { requestUrl } from '../request-url.js'
import type { Context } from './context.js'
import { ApiError } from './errors.js'
import { sendJson } from './http.js'

/** What uploads may be (the `FILE_*` settings). */
export interface FileLimits {
  /** Largest file, in bytes. */
  maxFileBytes: number
  /** Bytes of files one document may hold in all. */
  maxDocBytes: number
  /** `images`: only PNG, JPEG, GIF and WebP are taken; `any`: every file. */
  types: 'any' | 'images'
}

/** The settings' defaults: 20 MiB a file, 200 MiB a document, any type. */
export const defaultFileLimits: FileLimits = {
  maxFileBytes: 20 * 1024 * 1024,
  maxDocBytes: 200 * 1024 * 1024,
  types: 'any',
}

/** `bytes` for people: `20 MiB`, `1.5 MiB`, `1000 bytes`. */
function describeBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024)
  return mib >= 1 ? `${Number(mib.toFixed(1))} MiB` : `${bytes} bytes`
}

/** A year, in seconds: a file's address names its bytes, so it never changes. */
const IMMUTABLE_MAX_AGE_S = 365 * 24 * 60 * 60

/**
 * The name an upload gives (`?name=`, else the percent-encoded `X-File-Name` header), or
 * `null` if it gives none; `invalid_file_name` for one that breaks the rules.
 */
function uploadName(ctx: Context): string | null {
  let name = requestUrl(ctx.req)?.searchParams.get('name') ?? null
  const header = ctx.req.headers['x-file-name']
  if (name === null && typeof header === 'string') {
    try {
      name = decodeURIComponent(header)
    } catch {
      throw new ApiError('invalid_file_name', 'X-File-Name is not percent-encoded UTF-8')
    }
  }
  if (name === null) return null
  if (!isValidFileName(name)) {
    throw new ApiError(
      'invalid_file_name',
      'a file name is 1 to 255 characters without control characters, / or \\',
    )
  }
  return name.trim()
}

const defaultNames: Record<string, string> = {
  'image/png': 'image.png',
  'image/jpeg': 'image.jpg',
  'image/gif': 'image.gif',
  'image/webp': 'image.webp',
}

/**
 * Reads an upload's body: at most `maxBytes` (413 as soon as more is declared or arrives), all
 * that `Content-Length` declares (400 if the body ends before), at least one byte.
 */
async function readUpload(ctx: Context, maxBytes: number): Promise<Buffer> {
  const { req } = ctx
  const tooLarge = () =>
    new ApiError('payload_too_large', `a file is at most ${describeBytes(maxBytes)}`, {
      Connection: 'close',
    })
  const header = req.headers['content-length']
  const declared = header === undefined ? null : Number(header)
  if (declared !== null && declared > maxBytes) throw tooLarge()
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > maxBytes) throw tooLarge()
      chunks.push(chunk)
    }
  } catch (err) {
    if (err instanceof ApiError) throw err
    // The client went away mid-body (`aborted`): what arrived is not the file.
    throw new ApiError('invalid_file', `the body ended after ${size} bytes`)
  }
  if (declared !== null && size !== declared) {
    throw new ApiError('invalid_file', `the body has ${size} bytes, not ${declared}`)
  }
  if (size === 0) throw new ApiError('invalid_file', 'the file is empty')
  return Buffer.concat(chunks, size)
}

/**
 * Checks an RFC 9530 `Content-Digest: sha-256=:<base64>:` header, if the upload sent one,
 * hashing a slice at a time so that a large file does not hold the event loop.
 */
async function checkDigest(ctx: Context, bytes: Uint8Array): Promise<void> {
  const header = ctx.req.headers['content-digest']
  if (typeof header !== 'string') return
  const sha256 = /(?:^|,)\s*sha-256=:([A-Za-z0-9+/=]+):/.exec(header)?.[1]
  if (sha256 === undefined) return
  if (Buffer.from(sha256, 'base64').toString('hex') !== (await hashInSlices(bytes))) {
    throw new ApiError('invalid_file', 'Content-Digest does not match the bytes received')
  }
}

/**
 * `POST /api/docs/{name}/files`: stores the body as a file of the document. The type comes
 * from the bytes alone; a `Content-Type` naming an image type they are not is refused (415).
 * Answers 201 with where the file is and the Markdown that shows it (200 if the document
 * already had these bytes). Nothing is stored on any refusal.
 */
export async function uploadFile(ctx: Context): Promise<void> {
  const limits = ctx.deps.files ?? defaultFileLimits
  try {
    const given = uploadName(ctx)
    const bytes = await readUpload(ctx, limits.maxFileBytes)
    const type = sniffMediaType(bytes)
    const givenType = ctx.req.headers['content-type']?.split(';')[0]?.trim().toLowerCase()
    // A raster type the upload claims must be what its bytes are; any other claim (SVG, PDF,
    // application/octet-stream) is not believed either way, and changes nothing.
    const claimed = givenType === 'image/jpg' ? 'image/jpeg' : givenType
    if (claimed !== undefined && isInlineImageType(claimed) && claimed !== type) {
      throw new ApiError(
        'unsupported_media_type',
        `the body is not ${claimed}${type === DOWNLOAD_TYPE ? '' : ` but ${type}`}`,
      )
    }
    if (limits.types === 'images' && !isInlineImageType(type)) {
      throw new ApiError(
        'unsupported_media_type',
        'this server takes PNG, JPEG, GIF and WebP images only',
      )
    }
    await checkDigest(ctx, bytes)
    const name = given ?? defaultNames[type] ?? 'file'
    const saved = await ctx.inOrder(() =>
      ctx.deps.store.saveFile(
        ctx.name,
        { name, mediaType: type, bytes, createdAtMs: Date.now() },
        limits.maxDocBytes,
      ),
    )
    if (saved.outcome === 'over_limit') {
      throw new ApiError(
        'document_files_full',
        `the document's files take ${describeBytes(saved.usedBytes)} of ${describeBytes(limits.maxDocBytes)}; this one does not fit`,
      )
    }
    const { file } = saved
    const { hash } = file
    const url = filePath(ctx.name, hash)
    ctx.log.info(
      { hash, size: file.size, type: file.mediaType, stored: saved.outcome === 'saved' },
      'file uploaded',
    )
    sendJson(ctx.res, saved.outcome === 'saved' ? 201 : 200, {
      url,
      markdown: fileMarkdown(file.name, url, file.mediaType),
      hash,
      name: file.name,
      type: file.mediaType,
      size: file.size,
    } satisfies UploadedFileJson)
  } catch (err) {
    if (err instanceof ApiError) ctx.log.info({ code: err.code }, `upload refused: ${err.message}`)
    throw err
  }
}

/** `filename*` of a `Content-Disposition` (RFC 6266), with a plain `filename` fallback. */
function disposition(kind: 'inline' | 'attachment', name: string): string {
  const plain = name.replace(/[^\x20-\x7e]|["\\%]/g, '_')
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
  return `${kind}; filename="${plain}"; filename*=UTF-8''${encoded}`
}

/** Whether `If-None-Match` names `etag` (or is `*`). */
function notModified(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === etag || t === '*')
}

/** Resolves when `res` can take more, or is closed (the client went away). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.on('drain', done)
    res.on('close', done)
  })
}

/**
 * `GET /api/docs/{name}/files/{hash}`: the file's bytes, to view access. Its type is
 * recognised from its bytes again (never what was claimed); only a raster image is served
 * inline, anything else as a download; a sandbox policy and `nosniff` keep the browser from
 * running anything in it. Cached for a year (its address names its bytes), privately when the
 * request needed a token. The bytes are sent a slice at a time as the client takes them, so a
 * request holds one slice in memory, not the file.
 */
export async function getFile(ctx: Context): Promise<void> {
  const { hash, res } = ctx
  const file = isFileHash(hash) ? await ctx.deps.store.openFile(ctx.name, hash) : null
  if (!file) throw new ApiError('not_found', 'no such file in this document')
  const etag = `"${file.info.hash}"`
  const headers: Record<string, string | number> = {
    ETag: etag,
    'Cache-Control': `${ctx.access?.subject === undefined ? 'public' : 'private'}, max-age=${IMMUTABLE_MAX_AGE_S}, immutable`,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
  }
  if (notModified(ctx.req.headers['if-none-match'], etag)) {
    res.writeHead(304, headers)
    res.end()
    return
  }
  const chunks = file.chunks()[Symbol.asyncIterator]()
  const first = await chunks.next()
  const type = first.done ? DOWNLOAD_TYPE : sniffMediaType(first.value.subarray(0, SNIFF_BYTES))
  res.writeHead(200, {
    ...headers,
    'Content-Type': type,
    'Content-Length': file.info.size,
    'Content-Disposition': disposition(
      isInlineImageType(type) ? 'inline' : 'attachment',
      file.info.name,
    ),
  })
  let next = first
  try {
    while (!next.done) {
      if (res.destroyed) return
      if (!res.write(next.value)) await drained(res)
      next = await chunks.next()
    }
    res.end()
  } catch (err) {
    // Deleted while it was sent, or the client went away: the answer cannot be completed.
    ctx.log.info({ err, hash }, 'file not sent whole')
    await chunks.return?.()
    res.destroy()
  }
}

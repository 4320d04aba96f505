import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ApiErrorJson } from '@tandem/protocol'
import type { HttpError } from '../errors.js'
import { ApiError } from './errors.js'

const commonHeaders = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' }

/** The server's one JSON answer (the API's, `/healthz`, `/readyz`, refusals): never cached. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    ...commonHeaders,
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  })
  res.end(text)
}

export function sendText(res: ServerResponse, text: string): void {
  res.writeHead(200, {
    ...commonHeaders,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  })
  res.end(text)
}

/** Answers `err`'s status with `{ "error": code, "message": message }`. */
export function sendError(res: ServerResponse, err: HttpError): void {
  const body: ApiErrorJson = { error: err.code, message: err.message }
  sendJson(res, err.status, body, err.headers)
}

/**
 * Checks the request's `Content-Type` against `mediaType` (absent is accepted); a `charset`, if
 * given, must be UTF-8. Throws `unsupported_media_type` otherwise.
 */
export function expectContentType(req: IncomingMessage, mediaType: string): void {
  const header = req.headers['content-type']
  if (header === undefined) return
  const [type, ...params] = header.split(';').map((part) => part.trim().toLowerCase())
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length)
  if (type !== mediaType || (charset !== undefined && !/^"?utf-8"?$/.test(charset))) {
    throw new ApiError(
      'unsupported_media_type',
      `the body must be ${mediaType}${mediaType.startsWith('text/') ? ' in UTF-8' : ''}`,
    )
  }
}

/**
 * Reads the whole body, refusing (`payload_too_large`) one over `maxBytes` as soon as that is
 * known: from `Content-Length` before reading, else once that many bytes have arrived.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    new ApiError('payload_too_large', `the body is larger than ${maxBytes} bytes`, {
      Connection: 'close',
    })
  const declared = Number(req.headers['content-length'])
  if (declared > maxBytes) throw tooLarge()
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBytes) throw tooLarge()
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, size)
}

/** Reads a UTF-8 text body (a byte order mark is dropped); `invalid_body` if it is not UTF-8. */
export async function readText(req: IncomingMessage, maxBytes: number): Promise<string> {
  const body = await readBody(req, maxBytes)
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body)
  } catch {
    throw new ApiError('invalid_body', 'the body is not valid UTF-8')
  }
}

/** Reads a JSON object body; `invalid_body` if it is anything else. */
export async function readJsonObject(
  req: IncomingMessage,
  maxBytes: number,
): Promise<Record<string, unknown>> {
  const text = await readText(req, maxBytes)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new ApiError('invalid_body', 'the body is not JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError('invalid_body', 'the body must be a JSON object')
  }
  return value as Record<string, unknown>
}

import { CloseCode, closeReason } from '@tandem/protocol'

/** Where an error is answered: the HTTP API, a refused upgrade, the plain HTTP routes, an open connection. */
export type ErrorSurface = 'api' | 'upgrade' | 'http' | 'connection'

/** One entry of the catalogue. */
export interface ErrorEntry {
  /** The HTTP status it is answered with, on the API, an upgrade or a plain route. */
  readonly status?: number
  /** The WebSocket close code it ends a connection with. */
  readonly close?: CloseCode
  /** Where it occurs. */
  readonly surfaces: readonly ErrorSurface[]
  readonly description: string
}

/**
 * Every error the server answers with, in one table: its HTTP status, its WebSocket close code,
 * or both. The API's codes (`surfaces` holds `api`) are what docs/API.md and docs/openapi.json
 * list; SECURITY.md's table "Error codes" lists them all. A test checks both.
 */
export const serverErrors = {
  bad_request: {
    status: 400,
    surfaces: ['http', 'upgrade'],
    description: 'The request target is not a path (`http://host/…`, `*`).',
  },
  invalid_name: {
    status: 400,
    surfaces: ['api', 'upgrade'],
    description: 'The document name breaks the name rules.',
  },
  invalid_version_id: {
    status: 400,
    surfaces: ['api'],
    description: 'The version id is not a positive integer.',
  },
  invalid_query: {
    status: 400,
    surfaces: ['api'],
    description:
      'A query parameter is not what the route takes (`limit`: an integer from 1 to 500; `q`: at most 256 characters; `view`: `ids` or `text`).',
  },
  invalid_body: {
    status: 400,
    surfaces: ['api'],
    description: 'The body is not what the route takes (a JSON object; UTF-8 text).',
  },
  invalid_label: {
    status: 400,
    surfaces: ['api'],
    description: 'The label is not 1–200 characters of text without control characters.',
  },
  invalid_file: {
    status: 400,
    surfaces: ['api'],
    description:
      'An upload is empty, its body ended before `Content-Length` bytes arrived, or its `Content-Digest` does not match its bytes.',
  },
  invalid_file_name: {
    status: 400,
    surfaces: ['api'],
    description:
      'The file name (`?name=` or `X-File-Name`) is not 1–255 characters without control characters, `/` or `\\`, or is not percent-encoded UTF-8.',
  },
  token_required: {
    status: 401,
    surfaces: ['api', 'upgrade'],
    description: 'Token mode: the request carries no token.',
  },
  token_invalid: {
    status: 401,
    surfaces: ['api', 'upgrade'],
    description: 'The token is malformed, forged, or its claims are not valid.',
  },
  token_expired: {
    status: 401,
    close: CloseCode.TokenExpired,
    surfaces: ['api', 'upgrade', 'connection'],
    description:
      'The token has expired; a connection is closed when its token expires. Connect again with a new one.',
  },
  token_revoked: {
    status: 401,
    close: CloseCode.AccessRevoked,
    surfaces: ['api', 'upgrade', 'connection'],
    description:
      'The token is a share link that has been revoked; its open connections are closed. The link will not be accepted again.',
  },
  sign_in_refused: {
    status: 401,
    surfaces: ['api', 'upgrade'],
    description:
      "The application's sign-in (the `authenticate` hook, or `AUTH_CALLBACK_URL` answering 401 or 403) refused the request.",
  },
  admin_key_required: {
    status: 401,
    surfaces: ['api'],
    description: 'A server-wide route needs the admin key (`ADMIN_KEY`), or token mode has none.',
  },
  unauthorized: {
    status: 401,
    surfaces: ['http'],
    description: '`/metrics` needs `Authorization: Bearer <METRICS_TOKEN>`.',
  },
  token_wrong_document: {
    status: 403,
    surfaces: ['api', 'upgrade'],
    description: 'The token is for another document.',
  },
  read_only: {
    status: 403,
    surfaces: ['api'],
    description: 'The request may read the document but not change it.',
  },
  origin_not_allowed: {
    status: 403,
    surfaces: ['api', 'upgrade'],
    description:
      'A browser page of another origin opened a connection, or made a request that changes something (`ALLOWED_ORIGINS`, `ALLOWED_HOSTS`).',
  },
  not_found: {
    status: 404,
    surfaces: ['api', 'http'],
    description: 'No such document, version or route.',
  },
  method_not_allowed: {
    status: 405,
    surfaces: ['api'],
    description: 'The route does not take this method; `Allow` lists those it takes.',
  },
  document_open: {
    status: 409,
    surfaces: ['api'],
    description:
      'Someone has the document open (connected to this server): it cannot be deleted or renamed until they close it.',
  },
  name_taken: {
    status: 409,
    surfaces: ['api'],
    description:
      'A document with the target name exists or is open (rename, restore from the trash).',
  },
  payload_too_large: {
    status: 413,
    surfaces: ['api'],
    description:
      'The body is larger than the server accepts (`API_MAX_BODY_BYTES`; for an upload, `FILE_MAX_BYTES`).',
  },
  document_files_full: {
    status: 413,
    surfaces: ['api'],
    description:
      'The upload would bring the files of the document over `FILE_MAX_BYTES_PER_DOC`; nothing is stored.',
  },
  unsupported_media_type: {
    status: 415,
    surfaces: ['api'],
    description:
      'The body has a content type (or charset) the route does not take; for an upload, `Content-Type` names PNG, JPEG, GIF or WebP and its bytes are not that, or the bytes are no image and `FILE_TYPES` is `images`.',
  },
  misdirected_request: {
    status: 421,
    surfaces: ['api', 'upgrade', 'http'],
    description:
      'The `Host` header names a host this server does not answer to (DNS rebinding); see `ALLOWED_HOSTS`.',
  },
  document_corrupt: {
    status: 422,
    close: CloseCode.DocumentCorrupt,
    surfaces: ['api', 'connection'],
    description:
      'The stored document does not decode; it is quarantined and left untouched until an operator acts.',
  },
  rate_limited: {
    status: 429,
    surfaces: ['api', 'upgrade'],
    description:
      'Over a budget: requests or upgrades of the address, requests of the token, connections of the address or document, the cooldown of a user whose connection abused its rate, or too many document-sized requests at once; `Retry-After` says when to try again.',
  },
  internal: {
    status: 500,
    close: CloseCode.InternalError,
    surfaces: ['api', 'http', 'connection'],
    description: 'The server failed; the log has the details.',
  },
  unavailable: {
    status: 503,
    surfaces: ['api', 'upgrade'],
    description:
      'Storage cannot take more now, too many documents are open, or the server is closing; try again later.',
  },
  sign_in_unavailable: {
    status: 503,
    surfaces: ['api', 'upgrade'],
    description:
      "The application's sign-in could not answer: `AUTH_CALLBACK_URL` is down, slow or answered neither 2xx nor 401/403, `AUTH_JWKS_URL` cannot be read, or the `authenticate` hook failed. The request is refused, never let through.",
  },
  going_away: {
    close: CloseCode.GoingAway,
    surfaces: ['connection'],
    description: 'The server is shutting down or the document is being unloaded; reconnect.',
  },
  text_frame: {
    close: CloseCode.UnsupportedData,
    surfaces: ['connection'],
    description: 'A text frame arrived; the protocol is binary only.',
  },
  malformed_message: {
    close: CloseCode.InvalidPayload,
    surfaces: ['connection'],
    description:
      'A frame that is not a well-formed message, an update or state vector that does not decode, or an awareness state over `MAX_AWARENESS_STATE_BYTES`.',
  },
  presence_flood: {
    close: CloseCode.PolicyViolation,
    surfaces: ['connection'],
    description: 'An awareness message naming more clients than a document may hold.',
  },
  rate_abused: {
    close: CloseCode.PolicyViolation,
    surfaces: ['connection'],
    description:
      'The connection was held back for its rate for most of `RATE_LIMIT_ABUSE_WINDOW_MS`, or more frames waited for it than one maximum-size message (while held, or while the document loads).',
  },
  unauthenticated_flood: {
    close: CloseCode.PolicyViolation,
    surfaces: ['connection'],
    description:
      'A Hocuspocus socket queued more than 5 MiB or 1,000 messages for documents it has not authenticated, or had more than 100 documents waiting for authentication at once.',
  },
  idle: {
    close: CloseCode.PolicyViolation,
    surfaces: ['connection'],
    description:
      'No message completed for `IDLE_TIMEOUT_MS` (a never-finished fragmented message), or more than 64 fragments in one message.',
  },
  message_too_big: {
    close: CloseCode.MessageTooBig,
    surfaces: ['connection'],
    description: 'A message over `MAX_MESSAGE_BYTES`.',
  },
  try_again_later: {
    close: CloseCode.TryAgainLater,
    surfaces: ['connection'],
    description: 'The document could not be opened, or the join failed; reconnect with backoff.',
  },
  update_refused: {
    close: CloseCode.UpdateRefused,
    surfaces: ['connection'],
    description:
      'A well-formed update the document refuses (too deep, too many deletions, outside `ROOT_TYPES`, shapes Yjs mishandles); resending it would be refused again.',
  },
  storage_unavailable: {
    close: CloseCode.StorageUnavailable,
    surfaces: ['connection'],
    description: 'Storage cannot take the connection’s updates now; the server is retrying.',
  },
  dependencies_missing: {
    close: CloseCode.DependenciesMissing,
    surfaces: ['connection'],
    description:
      'An update waited too long for content it depends on and was dropped; reconnect and resync.',
  },
} as const satisfies Record<string, ErrorEntry>

export type ServerErrorCode = keyof typeof serverErrors

/** The codes answered over HTTP: those with a status. */
export type HttpErrorCode = {
  [K in ServerErrorCode]: (typeof serverErrors)[K] extends { status: number } ? K : never
}[ServerErrorCode]

/** The codes that close a connection: those with a close code. */
export type CloseErrorCode = {
  [K in ServerErrorCode]: (typeof serverErrors)[K] extends { close: number } ? K : never
}[ServerErrorCode]

/** The HTTP status of `code`. */
export function statusOf(code: HttpErrorCode): number {
  return serverErrors[code].status
}

/** The close code of `code`, and the reason the close frame carries. */
export function closeOf(code: CloseErrorCode): { code: CloseCode; reason: string } {
  const close = serverErrors[code].close
  return { code: close, reason: closeReason[close] }
}

/**
 * An error answered over HTTP with `{ "error": code, "message": message }` and the code's
 * status.
 */
export class HttpError extends Error {
  override readonly name: string = 'HttpError'
  readonly status: number
  constructor(
    readonly code: HttpErrorCode,
    message: string,
    /** Extra response headers (`Allow`, `Retry-After`). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
    this.status = statusOf(code)
  }
}

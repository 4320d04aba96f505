/**
 * Every error code the HTTP API answers with (besides those of the access check, which come
 * from `auth/`), with its status. docs/API.md and docs/openapi.json list exactly these; a test
 * checks that.
 */
export const apiErrors = {
  invalid_name: { status: 400, description: 'The document name breaks the name rules.' },
  invalid_version_id: { status: 400, description: 'The version id is not a positive integer.' },
  invalid_body: {
    status: 400,
    description: 'The body is not what the route takes (a JSON object; UTF-8 text).',
  },
  invalid_label: {
    status: 400,
    description: 'The label is not 1–200 characters of text without control characters.',
  },
  read_only: { status: 403, description: 'The request may read the document but not change it.' },
  origin_not_allowed: {
    status: 403,
    description:
      'A request that changes something came from a browser page of another origin (`ALLOWED_ORIGINS`, `ALLOWED_HOSTS`).',
  },
  not_found: { status: 404, description: 'No such document, version or route.' },
  method_not_allowed: { status: 405, description: 'The route does not take this method.' },
  document_open: {
    status: 409,
    description:
      'Someone has the document open (connected to this server): it cannot be deleted or renamed until they close it.',
  },
  name_taken: {
    status: 409,
    description:
      'A document with the target name exists or is open (rename, restore from the trash).',
  },
  payload_too_large: { status: 413, description: 'The body is larger than the server accepts.' },
  unsupported_media_type: {
    status: 415,
    description: 'The body has a content type (or charset) the route does not take.',
  },
  misdirected_request: {
    status: 421,
    description:
      'The `Host` header names a host this server does not answer to (DNS rebinding); see `ALLOWED_HOSTS`.',
  },
  document_corrupt: {
    status: 422,
    description: 'The stored document does not decode; it is left untouched.',
  },
  rate_limited: {
    status: 429,
    description:
      'Over the request budget of the address or token, or too many document-sized requests at once; `Retry-After` says when to try again.',
  },
  unavailable: {
    status: 503,
    description: 'Storage cannot take more now, or the server is closing; try again later.',
  },
  internal: { status: 500, description: 'The server failed; the log has the details.' },
} as const satisfies Record<string, { status: number; description: string }>

export type ApiErrorCode = keyof typeof apiErrors

/** An error the API answers with `{ "error": code, "message": message }` and the code's status. */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  readonly status: number
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** Extra response headers (e.g. `Allow`). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
    this.status = apiErrors[code].status
  }
}

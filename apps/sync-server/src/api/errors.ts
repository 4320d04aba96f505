import { type ErrorEntry, HttpError, type ServerErrorCode, serverErrors } from '../errors.js'

/** The codes of the server's catalogue (`../errors.ts`) that the HTTP API answers with. */
export type ApiErrorCode = {
  [K in ServerErrorCode]: 'api' extends (typeof serverErrors)[K]['surfaces'][number] ? K : never
}[ServerErrorCode]

/**
 * The API's part of the catalogue: docs/API.md and docs/openapi.json list exactly these; a test
 * checks that.
 */
export const apiErrors = Object.fromEntries(
  Object.entries(serverErrors).filter(([, e]) => (e as ErrorEntry).surfaces.includes('api')),
) as Pick<typeof serverErrors, ApiErrorCode>

/** An error the API answers with `{ "error": code, "message": message }` and the code's status. */
export class ApiError extends HttpError {
  override readonly name = 'ApiError'
  declare readonly code: ApiErrorCode
  constructor(code: ApiErrorCode, message: string, headers: Record<string, string> = {}) {
    super(code, message, headers)
  }
}

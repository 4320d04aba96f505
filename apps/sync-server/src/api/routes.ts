import type { IncomingMessage, ServerResponse } from 'node:http'
import { parseDocName } from '@tandem/protocol'
import type { Access } from '../auth/access.js'
import { addressKey } from '../limits/address-key.js'
import {
  type ApiLimitOptions,
  ApiLimits,
  type DocWorkSlot,
  type LimitRefusal,
} from '../limits/api-limits.js'
import { getAttribution, getTimeline } from './attribution.js'
import type { ApiDeps, Context } from './context.js'
import { roomError } from './context.js'
import {
  compactAll,
  deleteDocument,
  getText,
  listDocuments,
  putText,
  renameDocument,
} from './documents.js'
import { ApiError } from './errors.js'
import { sendError, sendJson } from './http.js'
import { createLinks, listLinks, revokeLink } from './links.js'
import { listSetAside } from './set-aside.js'
import { TextCache } from './text-cache.js'
import { listTrash, restoreFromTrash } from './trash.js'
import { createVersion, getVersion, listVersions, restoreVersion } from './versions.js'

export type { ApiDeps } from './context.js'

/**
 * Handles a request under `/api/` (every such path: one that matches no route is answered 404);
 * resolves `false` for a path outside `/api/`.
 */
export type ApiHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
) => Promise<boolean>

/** The largest request body by default: 10 MiB. */
export const defaultMaxBodyBytes = 10 * 1024 * 1024

/** The API's budgets when none are given (the defaults of the `API_*` settings). */
export const defaultApiLimits: ApiLimitOptions = {
  requestsPerMinutePerIp: 600,
  requestsPerMinutePerToken: 600,
  maxConcurrentDocRequests: 4,
  maxConcurrentDocRequestsPerIp: 2,
}

/** Code units of text the cache of folded texts holds: 8 Mi (16 MiB as UTF-16). */
const TEXT_CACHE_UNITS = 8 * 1024 * 1024

interface Route {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE'
  /** An OpenAPI path: `{name}`, `{id}` and `{link}` each stand for one path segment. */
  path: string
  /** What the access check must allow: the whole server (admin), reading, or changing. */
  needs: 'admin' | 'view' | 'edit'
  /** Whether its cost grows with the document (a fold of it): it takes a slot of the cap. */
  docSized?: true
  handle(ctx: Context): Promise<void>
}

const routes: readonly Route[] = [
  { method: 'GET', path: '/api/docs', needs: 'admin', handle: listDocuments },
  { method: 'POST', path: '/api/compact', needs: 'admin', handle: compactAll },
  { method: 'DELETE', path: '/api/docs/{name}', needs: 'edit', handle: deleteDocument },
  { method: 'POST', path: '/api/docs/{name}/rename', needs: 'edit', handle: renameDocument },
  { method: 'GET', path: '/api/docs/{name}/text', needs: 'view', docSized: true, handle: getText },
  { method: 'PUT', path: '/api/docs/{name}/text', needs: 'edit', docSized: true, handle: putText },
  {
    method: 'GET',
    path: '/api/docs/{name}/versions',
    needs: 'view',
    docSized: true,
    handle: listVersions,
  },
  {
    method: 'POST',
    path: '/api/docs/{name}/versions',
    needs: 'edit',
    docSized: true,
    handle: createVersion,
  },
  {
    method: 'GET',
    path: '/api/docs/{name}/versions/{id}',
    needs: 'view',
    docSized: true,
    handle: getVersion,
  },
  {
    method: 'POST',
    path: '/api/docs/{name}/versions/{id}/restore',
    needs: 'edit',
    docSized: true,
    handle: restoreVersion,
  },
  {
    method: 'GET',
    path: '/api/docs/{name}/attribution',
    needs: 'view',
    docSized: true,
    handle: getAttribution,
  },
  {
    method: 'GET',
    path: '/api/docs/{name}/timeline',
    needs: 'view',
    docSized: true,
    handle: getTimeline,
  },
  { method: 'POST', path: '/api/docs/{name}/links', needs: 'edit', handle: createLinks },
  { method: 'GET', path: '/api/docs/{name}/links', needs: 'edit', handle: listLinks },
  {
    method: 'DELETE',
    path: '/api/docs/{name}/links/{link}',
    needs: 'edit',
    handle: revokeLink,
  },
  { method: 'GET', path: '/api/docs/{name}/set-aside', needs: 'admin', handle: listSetAside },
  { method: 'GET', path: '/api/trash', needs: 'admin', handle: listTrash },
  { method: 'POST', path: '/api/trash/{name}/restore', needs: 'edit', handle: restoreFromTrash },
]

/** Every route the API serves (docs/openapi.json lists exactly these; a test checks it). */
export const apiRoutes: readonly { method: string; path: string }[] = routes.map(
  ({ method, path }) => ({ method, path }),
)

/** The raw (still percent-encoded) segments `pathname` gives `template`'s parameters, or null. */
function match(template: string, pathname: string): Record<string, string> | null {
  const want = template.split('/')
  const got = pathname.split('/')
  if (want.length !== got.length) return null
  const params: Record<string, string> = {}
  for (const [i, segment] of want.entries()) {
    const actual = got[i]!
    if (segment.startsWith('{')) {
      if (actual === '') return null
      params[segment.slice(1, -1)] = actual
    } else if (segment !== actual) {
      return null
    }
  }
  return params
}

function parseName(segment: string): string {
  const parsed = parseDocName(segment)
  if (!parsed.ok) throw new ApiError('invalid_name', `invalid document name: ${parsed.problem}`)
  return parsed.name
}

/** The access check refused a second document the request names. */
class AccessRefusedError extends Error {
  constructor(readonly refusal: Extract<Access, { ok: false }>) {
    super(refusal.message)
  }
}

function sendRefusal(res: ServerResponse, refusal: Extract<Access, { ok: false }>): void {
  const headers: Record<string, string> =
    refusal.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}
  sendJson(res, refusal.status, { error: refusal.code, message: refusal.message }, headers)
}

/** Throws `rate_limited` (429 with `Retry-After`) for a refusal of the budgets. */
function refuseIfLimited(refusal: LimitRefusal | null): void {
  if (refusal) {
    throw new ApiError('rate_limited', refusal.message, {
      'Retry-After': String(refusal.retryAfterSeconds),
    })
  }
}

function parseId(segment: string): number {
  const id = /^[1-9][0-9]{0,15}$/.test(segment) ? Number(segment) : Number.NaN
  if (!Number.isSafeInteger(id)) {
    throw new ApiError('invalid_version_id', 'a version id is a positive integer')
  }
  return id
}

/**
 * The HTTP API under `/api/` (docs/API.md, docs/openapi.json). A document name is one path
 * segment, percent-encoded (`a%2Fb` for `a/b`). Every route of a document asks
 * `deps.authorize` first; `view` access may read, only `edit` may change. Errors are
 * `{ "error": code, "message": text }` with the codes of `apiErrors`.
 */
export function createApiHandler(deps: ApiDeps): ApiHandler {
  const maxBodyBytes = deps.maxBodyBytes ?? defaultMaxBodyBytes
  const limits = deps.limits ?? new ApiLimits(defaultApiLimits)
  const originAllowed = deps.originAllowed ?? ((req) => req.headers.origin === undefined)
  const clientKey =
    deps.clientKey ?? ((req: IncomingMessage) => addressKey(req.socket.remoteAddress ?? 'unknown'))
  const texts = new TextCache(TEXT_CACHE_UNITS)
  /** Per document, the end of the changes the API is making to it: they run one at a time. */
  const changes = new Map<string, Promise<void>>()

  function serialize<T>(name: string, task: () => Promise<T>): Promise<T> {
    const result = (changes.get(name) ?? Promise.resolve()).then(task)
    const settled = result.then(
      () => {},
      () => {},
    )
    changes.set(name, settled)
    void settled.then(() => {
      if (changes.get(name) === settled) changes.delete(name)
    })
    return result
  }

  return async (req, res, pathname) => {
    const matched = routes.flatMap((route) => {
      const params = match(route.path, pathname)
      return params ? [{ route, params }] : []
    })
    if (!pathname.startsWith('/api/')) return false
    if (matched.length === 0) {
      const hint = pathname.startsWith('/api/docs/')
        ? '; a document name is one path segment, with / encoded as %2F'
        : ''
      sendError(res, new ApiError('not_found', `no such route${hint}`))
      return true
    }
    const found = matched.find((m) => m.route.method === req.method)
    const log = deps.log.child({ method: req.method, route: matched[0]!.route.path })
    const ip = clientKey(req)
    let slot: DocWorkSlot | null = null
    try {
      // Every request that may change something, admin routes included: a page of another
      // site must not be able to make a logged-in browser (or one on this machine) do it.
      if (req.method !== 'GET' && req.method !== 'HEAD' && !originAllowed(req)) {
        throw new ApiError('origin_not_allowed', 'origin not allowed')
      }
      refuseIfLimited(limits.chargeAddress(ip))
      if (!found) {
        throw new ApiError('method_not_allowed', `${req.method} is not allowed here`, {
          Allow: matched.map((m) => m.route.method).join(', '),
        })
      }
      const { route, params } = found
      const name = params.name === undefined ? '' : parseName(params.name)
      const id = params.id === undefined ? 0 : parseId(params.id)
      // Link ids are base64url: the raw segment is the id, or no id at all.
      const linkId = params.link ?? ''
      let access: Context['access'] = null
      if (route.needs === 'admin') {
        const answer = deps.admin(req)
        if (!answer.ok) {
          sendJson(
            res,
            answer.status,
            { error: answer.code, message: answer.message },
            {
              'WWW-Authenticate': 'Bearer',
            },
          )
          return true
        }
      } else {
        const answer = await deps.authorize(req, name)
        if (!answer.ok) {
          sendRefusal(res, answer)
          return true
        }
        if (route.needs === 'edit' && answer.mode !== 'edit') {
          throw new ApiError('read_only', 'this access may read the document but not change it')
        }
        if (answer.subject !== undefined) refuseIfLimited(limits.chargeSubject(answer.subject))
        access = answer
      }
      if (route.docSized) {
        const taken = limits.acquire(ip)
        refuseIfLimited('release' in taken ? null : taken)
        slot = taken as DocWorkSlot
        // Let what is waiting (health checks, other requests) go first: this may fold a
        // whole document on the event loop.
        await new Promise<void>((resolve) => setImmediate(resolve))
      }
      const docLog = name ? log.child({ doc: name }) : log
      await route.handle({
        req,
        res,
        deps,
        log: docLog,
        name,
        id,
        linkId,
        access,
        texts,
        authorizeOther: async (other, mode) => {
          const answer = await deps.authorize(req, other)
          if (!answer.ok) throw new AccessRefusedError(answer)
          if (mode === 'edit' && answer.mode !== 'edit') {
            throw new ApiError('read_only', `this access may not change ${JSON.stringify(other)}`)
          }
        },
        maxBodyBytes,
        change: (fn) => serialize(name, () => deps.rooms.use(name, fn)),
        unloaded: (others, fn) =>
          serialize(name, () => deps.rooms.whileUnloaded([name, ...others], fn)),
      })
    } catch (thrown) {
      const err = roomError(thrown)
      if (err instanceof AccessRefusedError) {
        if (!res.headersSent) sendRefusal(res, err.refusal)
      } else if (err instanceof ApiError) {
        if (err.status >= 500) log.warn({ err: thrown }, 'API request refused')
        if (!res.headersSent) sendError(res, err)
      } else {
        log.error({ err }, 'API request failed')
        if (res.headersSent) res.destroy()
        else sendError(res, new ApiError('internal', 'the server failed; its log has the details'))
      }
    } finally {
      slot?.release()
    }
    return true
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Registry } from 'prom-client'
import { sendError, sendJson } from '../api/http.js'
import type { ApiHandler } from '../api/routes.js'
import { bearerToken, secretMatches } from '../auth/access.js'
import { HttpError, statusOf } from '../errors.js'
import type { Logger } from '../log.js'
import { requestUrl } from '../request-url.js'
import { createStaticHandler } from './static.js'

export interface HttpOptions {
  /** Directory of the built web app, or empty to serve none. */
  webDir: string
  /** Whether the server can do its work now; `reason` says why not. */
  readiness: () => { ok: true } | { ok: false; reason: string }
  /** Routes under `/api/`. */
  api: ApiHandler
  /** The Prometheus registry served on `/metrics`. */
  metrics: Registry
  /** If set, `/metrics` asks for `Authorization: Bearer <metricsToken>`. */
  metricsToken: string | undefined
  /** Whether the request's `Host` names this server; others get 421 (DNS rebinding). */
  hostAllowed: (req: IncomingMessage) => boolean
}

function sendNotFound(res: ServerResponse): void {
  sendError(res, new HttpError('not_found', 'no such route'))
}

/**
 * The plain-HTTP side of the server: `/healthz` (the process answers), `/readyz` (it can
 * store edits: 503 with the reason otherwise) and the web app. Every request must name this
 * server in `Host` first (421 `misdirected_request` otherwise).
 */
export function createRequestHandler(
  options: HttpOptions,
  log: Logger,
): (req: IncomingMessage, res: ServerResponse) => void {
  const serveStatic = options.webDir ? createStaticHandler(options.webDir) : null

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req)
    if (!url) {
      sendError(res, new HttpError('bad_request', 'invalid request target'))
      return
    }
    const { pathname } = url
    if (!options.hostAllowed(req)) {
      log.info(
        { method: req.method, path: pathname, host: req.headers.host },
        'request refused: unknown Host',
      )
      sendError(
        res,
        new HttpError(
          'misdirected_request',
          'this server does not answer to that Host name (see ALLOWED_HOSTS)',
        ),
      )
      return
    }
    if (pathname === '/healthz') {
      sendJson(res, 200, { status: 'ok' })
      return
    }
    if (pathname === '/readyz') {
      const ready = options.readiness()
      sendJson(
        res,
        ready.ok ? 200 : statusOf('unavailable'),
        ready.ok ? { status: 'ready' } : { status: 'unavailable', reason: ready.reason },
      )
      return
    }
    if (pathname === '/metrics') {
      if (options.metricsToken && !secretMatches(bearerToken(req), options.metricsToken)) {
        sendError(res, new HttpError('unauthorized', 'metrics need the metrics token'))
        return
      }
      const text = await options.metrics.metrics()
      res.writeHead(200, {
        'Content-Type': options.metrics.contentType,
        'Cache-Control': 'no-store',
      })
      res.end(text)
      return
    }
    if (pathname.startsWith('/api/')) {
      if (!(await options.api(req, res, pathname))) sendNotFound(res)
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end()
      return
    }
    if (serveStatic) {
      await serveStatic(req, res, pathname)
      return
    }
    sendNotFound(res)
  }

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      // The path alone: the query may carry `?token=`.
      log.error({ err, method: req.method, path: requestUrl(req)?.pathname }, 'request failed')
      if (!res.headersSent) sendError(res, new HttpError('internal', 'the server failed'))
      else res.destroy()
    })
  }
}

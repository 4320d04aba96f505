/** Where the page was loaded from: the parts of `Location` that choose the sync server. */
export interface PageOrigin {
  protocol: string
  host: string
}

/** How the app was built: Vite's `import.meta.env` fields that matter here. */
export interface BuildEnv {
  DEV: boolean
  VITE_SYNC_URL?: string | undefined
}

/** The sync server of `vite dev` when `VITE_SYNC_URL` is not set (the server's default port). */
export const DEV_SYNC_URL = 'ws://127.0.0.1:1234'

/**
 * The WebSocket base URL of the sync server, without a trailing slash; the provider appends
 * `/<document>`. `VITE_SYNC_URL` wins when set; otherwise `vite dev` talks to a local server and
 * a production build to the origin that served the page (the sync server serves the app).
 */
export function syncServerUrl(page: PageOrigin, env: BuildEnv): string {
  const configured = env.VITE_SYNC_URL?.trim()
  if (configured) return configured.replace(/\/+$/, '')
  if (env.DEV) return DEV_SYNC_URL
  const scheme = page.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${page.host}`
}

/** `ws:` → `http:` and `wss:` → `https:`; other URLs unchanged. */
export function httpUrlOf(wsUrl: string): string {
  return wsUrl.replace(/^ws(s?):/i, 'http$1:')
}

/**
 * The base URL of the server's HTTP API (`/api/...`), without a trailing slash: the server that
 * `VITE_SYNC_URL` names, else the page's own origin (`''`; `vite dev` proxies `/api` to the
 * local server).
 */
export function apiBaseUrl(env: BuildEnv): string {
  const configured = env.VITE_SYNC_URL?.trim()
  return configured ? httpUrlOf(configured.replace(/\/+$/, '')) : ''
}

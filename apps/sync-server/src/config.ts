import { readFileSync } from 'node:fs'
import { defaultLimits } from '@tandem/protocol'
import { z } from 'zod'
import { parseHostPattern } from './auth/hosts.js'
import { defaultRoomLimits } from './rooms/room.js'

const port = z.coerce.number().int().min(0).max(65535)
const positiveInt = z.coerce.number().int().positive()
const nonNegativeInt = z.coerce.number().int().min(0)

const httpUrl = z.string().refine((value) => {
  try {
    const { protocol } = new URL(value)
    return protocol === 'http:' || protocol === 'https:'
  } catch {
    return false
  }
}, 'must be an http:// or https:// URL')

/** A JWT claim's name: letters, digits and `_.:/-`, as identity providers name them. */
const claimName = z.string().regex(/^[A-Za-z0-9_.:/-]{1,128}$/, 'must be a claim name')

/** A comma-separated list of names matching `pattern` (`*` alone also, if `star`). */
function nameList(pattern: RegExp, problem: string, star = false) {
  return z.string().transform((list, ctx) => {
    const names = list
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean)
    for (const name of names) {
      if (!(star && name === '*') && !pattern.test(name)) {
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(name)} ${problem}` })
      }
    }
    return names
  })
}

/**
 * Every setting the server reads, from environment variables of the same name. Each entry has
 * its type, unit (in the name), default and description; the README's table is checked against
 * this schema by a test.
 */
export const configSchema = z.object({
  PORT: port.default(1234).describe('TCP port for HTTP and WebSocket (0 picks a free port).'),
  HOST: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe('Address to listen on; `0.0.0.0` or `::` to accept connections from other machines.'),
  DATA_DIR: z
    .string()
    .min(1)
    .default('data')
    .describe(
      'Directory for the SQLite database (`tandem.db`), created if missing; unused with `DATABASE_URL`.',
    ),
  STORAGE: z
    .enum(['durable', 'memory'])
    .default('durable')
    .describe(
      '`durable`: SQLite, or PostgreSQL with `DATABASE_URL`. `memory`: nothing survives a restart; for measuring what durability costs.',
    ),
  SQLITE_SYNCHRONOUS: z
    .enum(['normal', 'full'])
    .default('normal')
    .describe(
      '`normal`: every acknowledged edit survives a crash or `kill -9` of the server; `full`: also a power loss (an fsync per commit).',
    ),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional()
    .describe(
      'PostgreSQL to store documents in instead of SQLite (`postgres://user:pass@host/db`).',
    ),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain SQL identifier')
    .optional()
    .describe(
      "PostgreSQL schema for Tandem's tables, created if missing. Default: the search path.",
    ),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional()
    .describe(
      'Redis that carries live edits and presence between the nodes of a cluster (`redis://host:6379`); needs `DATABASE_URL`. Unset: a single node.',
    ),
  NODE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1 to 64 letters, digits, `_`, `.` or `-`')
    .optional()
    .describe(
      'Name of this node in logs and cluster messages; each start adds a random suffix. Default: random.',
    ),
  CLUSTER_CHANNEL_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1 to 64 letters, digits, `_`, `.`, `:` or `-`')
    .default('tandem:')
    .describe(
      'Prefix of the Redis channels: the nodes that share it (and a database) form one cluster.',
    ),
  CLUSTER_HEARTBEAT_MS: positiveInt
    .default(2_000)
    .describe("Interval between a cluster node's heartbeats to the other nodes."),
  CLUSTER_NODE_TIMEOUT_MS: positiveInt
    .default(10_000)
    .describe(
      "A cluster node not heard from for this long is gone: the others remove its users' cursors.",
    ),
  CLUSTER_CHECK_INTERVAL_MS: positiveInt
    .default(5_000)
    .describe(
      'How often a cluster node compares its open documents with PostgreSQL and catches up any that missed edits.',
    ),
  WEB_DIR: z
    .string()
    .optional()
    .describe(
      'Directory of the built web app to serve; empty to serve none. Default: the one built with the server (`apps/web/dist`, in the package `dist/web`); the library serves none unless set.',
    ),
  AUTH_MODE: z
    .enum(['open', 'token'])
    .default('open')
    .describe(
      "`open`: anyone with a document's URL may edit it; `token`: every connection needs a signed token.",
    ),
  AUTH_SECRET: z
    .string()
    .min(32, 'must have at least 32 characters')
    .optional()
    .describe(
      'Key that signs tokens (also `AUTH_SECRET_FILE`). Default: one generated in `DATA_DIR/auth-secret`.',
    ),
  ADMIN_KEY: z
    .string()
    .min(16, 'must have at least 16 characters')
    .optional()
    .describe(
      'Bearer key for the server-wide API (list, compact, trash) and any document (also `ADMIN_KEY_FILE`). Unset: open mode allows them, token mode refuses.',
    ),
  ALLOWED_ORIGINS: z
    .string()
    .transform((list, ctx) => {
      const origins = list
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean)
      for (const origin of origins) {
        let parsed: URL | null = null
        try {
          parsed = new URL(origin)
        } catch {}
        if (!parsed || parsed.origin !== origin) {
          ctx.addIssue({ code: 'custom', message: `${JSON.stringify(origin)} is not an origin` })
        }
      }
      return origins
    })
    .optional()
    .describe(
      "Comma-separated browser origins allowed to connect (`https://a.example,https://b.example`). Default: the server's own.",
    ),
  ALLOWED_HOSTS: z
    .string()
    .transform((list, ctx) => {
      const hosts = list
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean)
      for (const host of hosts) {
        if (host !== '*' && !parseHostPattern(host)) {
          ctx.addIssue({
            code: 'custom',
            message: `${JSON.stringify(host)} is not a host name, host:port or *.domain`,
          })
        }
      }
      return hosts
    })
    .optional()
    .describe(
      'Comma-separated names users reach the server by (`notes.example.com`, `notes.example.com:8443`, `*.example.com`); other `Host` headers get 421 (DNS rebinding). IP addresses, `localhost` and `HOST` always pass; `*` accepts every name.',
    ),
  AUTH_CALLBACK_URL: httpUrl
    .optional()
    .describe(
      "Your service's sign-in check (docs/EMBEDDING.md): every connection and API request without a Tandem token is asked of it by a POST; its answer is cached briefly. Down, slow or not 2xx: refused with 503 `sign_in_unavailable`, never open. Also `AUTH_CALLBACK_URL_FILE`.",
    ),
  AUTH_CALLBACK_HEADERS: nameList(/^[a-z0-9!#$%&'*+.^_`|~-]+$/i, 'is not a header name')
    .default(['authorization'])
    .describe(
      'Comma-separated request headers passed on to `AUTH_CALLBACK_URL` (`Cookie` is passed as `AUTH_CALLBACK_COOKIES` says, never here).',
    ),
  AUTH_CALLBACK_COOKIES: nameList(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'is not a cookie name', true)
    .default([])
    .describe(
      'Comma-separated cookies passed on to `AUTH_CALLBACK_URL` (your session cookie); `*` for all. Default: none.',
    ),
  AUTH_CALLBACK_TIMEOUT_MS: positiveInt
    .default(3_000)
    .describe(
      'A sign-in check with no answer within this time has failed (503 `sign_in_unavailable`).',
    ),
  AUTH_CALLBACK_CACHE_MS: nonNegativeInt
    .default(10_000)
    .describe(
      "How long a sign-in check's answer (yes or no) is reused for the same document, headers, cookies and token. 0: ask every time.",
    ),
  AUTH_JWKS_URL: httpUrl
    .optional()
    .describe(
      "Your identity provider's JSON Web Key Set: tokens it signs (ES256 or RS256) are accepted, checked for `AUTH_JWT_ISSUER` and `AUTH_JWT_AUDIENCE`.",
    ),
  AUTH_PUBLIC_KEY_FILE: z
    .string()
    .min(1)
    .optional()
    .describe(
      'PEM file of the public key (EC P-256 or RSA) that signs accepted tokens, instead of `AUTH_JWKS_URL`.',
    ),
  AUTH_JWT_ISSUER: z
    .string()
    .min(1)
    .optional()
    .describe(
      'The `iss` every token of `AUTH_JWKS_URL` or `AUTH_PUBLIC_KEY_FILE` must carry; needed with them.',
    ),
  AUTH_JWT_AUDIENCE: z
    .string()
    .min(1)
    .optional()
    .describe(
      'The `aud` every token of `AUTH_JWKS_URL` or `AUTH_PUBLIC_KEY_FILE` must carry; needed with them.',
    ),
  AUTH_JWT_DOCUMENT_CLAIM: claimName
    .default('doc')
    .describe(
      'Claim of such a token naming the documents it opens: a name, a list of names, or `*` for all.',
    ),
  AUTH_JWT_MODE_CLAIM: claimName
    .default('mode')
    .describe(
      'Claim of such a token giving its access, `edit` or `view`; a token without it may view.',
    ),
  AUTH_JWT_NAME_CLAIM: claimName
    .default('name')
    .describe("Claim of such a token with the user's display name (shown with their cursor)."),
  METRICS_TOKEN: z
    .string()
    .min(16, 'must have at least 16 characters')
    .optional()
    .describe(
      'If set, `/metrics` needs `Authorization: Bearer <token>` (also `METRICS_TOKEN_FILE`).',
    ),
  WEBHOOK_URLS: z
    .string()
    .transform((list, ctx) => {
      const urls = list
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean)
      urls.forEach((url, i) => {
        let parsed: URL | null = null
        try {
          parsed = new URL(url)
        } catch {}
        if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:') {
          ctx.addIssue({ code: 'custom', message: `entry ${i + 1} is not an http(s) URL` })
        }
      })
      return urls
    })
    .optional()
    .describe(
      'Comma-separated URLs that receive a signed POST when a document changes (docs/SELF-HOSTING.md, "Webhooks"); also `WEBHOOK_URLS_FILE`. Unset: none.',
    ),
  WEBHOOK_SECRET: z
    .string()
    .min(16, 'must have at least 16 characters')
    .optional()
    .describe(
      'Key of the HMAC-SHA256 signature of every webhook request (also `WEBHOOK_SECRET_FILE`); needed with `WEBHOOK_URLS`.',
    ),
  WEBHOOK_DEBOUNCE_MS: positiveInt
    .default(2_000)
    .describe(
      "A document's changes are reported once it has had no edit for this long (per document).",
    ),
  WEBHOOK_MAX_WAIT_MS: positiveInt
    .default(10_000)
    .describe(
      'During continuous editing, a document is reported at the latest this long after its first unreported edit.',
    ),
  WEBHOOK_MAX_ATTEMPTS: positiveInt
    .default(6)
    .describe(
      'Attempts per webhook delivery, the first included; network errors, timeouts, 408, 429 and 5xx are retried.',
    ),
  WEBHOOK_RETRY_DELAY_MS: positiveInt
    .default(2_000)
    .describe('Delay before the first retry of a webhook; it doubles with each further attempt.'),
  WEBHOOK_TIMEOUT_MS: positiveInt
    .default(10_000)
    .describe('A webhook request with no response within this time has failed.'),
  WEBHOOK_MAX_QUEUE: positiveInt
    .default(1_000)
    .describe(
      'Webhook deliveries waiting per URL (at most one per document); beyond it the oldest is dropped.',
    ),
  LOG_FORMAT: z
    .enum(['json', 'pretty'])
    .default('json')
    .describe(
      '`json`: one JSON object per line (for log collectors); `pretty`: coloured text for a terminal.',
    ),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('Least severe log level written (JSON lines on stdout).'),
  MAX_MESSAGE_BYTES: positiveInt
    .default(defaultLimits.maxMessageBytes)
    .describe('Largest WebSocket message accepted; a larger one closes the connection with 1009.'),
  MAX_BUFFERED_BYTES: positiveInt
    .default(32 * 1024 * 1024)
    .describe('Outgoing bytes a slow reader may have queued before it is disconnected (1008).'),
  MAX_AWARENESS_STATE_BYTES: positiveInt
    .default(defaultLimits.maxAwarenessStateBytes)
    .describe('Largest awareness (cursor/presence) state of one client; larger closes with 1007.'),
  MAX_AWARENESS_CLIENTS_PER_CONNECTION: positiveInt
    .default(defaultRoomLimits.maxAwarenessClientsPerConnection)
    .describe(
      'Awareness (presence) client ids one connection may own; a browser tab has one. States for further ids are dropped.',
    ),
  MAX_AWARENESS_CLIENTS_PER_ROOM: positiveInt
    .default(defaultRoomLimits.maxAwarenessClientsPerRoom)
    .describe(
      'Awareness client ids one document holds at once; states for further ids are dropped, and a message naming more closes its connection with 1008.',
    ),
  MAX_TYPE_DEPTH: positiveInt
    .default(defaultRoomLimits.updateLimits.maxTypeDepth)
    .describe(
      'Deepest nesting of shared types in a document (a root type is depth 1); an update nesting deeper closes its connection with 4413 and is not stored.',
    ),
  MAX_DELETE_RANGES: positiveInt
    .default(defaultRoomLimits.updateLimits.maxDeleteRanges)
    .describe(
      "Most ranges one update's delete set may name (a heavily edited 300 KB document has about 3,000); more closes the connection with 4413.",
    ),
  ROOT_TYPES: z
    .string()
    .transform((list) =>
      list
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    )
    .optional()
    .describe(
      'Comma-separated root types documents may hold (`codemirror` for the web app alone); an update writing another closes its connection with 4413. Unset: any.',
    ),
  PENDING_UPDATE_TIMEOUT_MS: positiveInt
    .default(defaultRoomLimits.pendingTimeoutMs)
    .describe(
      "How long an update waits for content it depends on that the document lacks (another server's edit not yet arrived); then its connection is closed with 4512 and resyncs.",
    ),
  MAX_PENDING_UPDATE_BYTES: positiveInt
    .default(defaultRoomLimits.maxPendingBytes)
    .describe(
      'Bytes of such waiting updates one document holds; beyond it the sender is closed with 4512.',
    ),
  MAX_MESSAGES_PER_SECOND: positiveInt
    .default(200)
    .describe(
      'Messages one connection may send per second, averaged over 2 s; beyond it the server stops reading the connection until its allowance refills (TCP holds the sender back).',
    ),
  MAX_BYTES_PER_SECOND: positiveInt
    .default(4 * 1024 * 1024)
    .describe(
      'Bytes one connection may send per second, averaged over 2 s; beyond it the connection is held back like `MAX_MESSAGES_PER_SECOND`.',
    ),
  MAX_MESSAGES_PER_IP_PER_SECOND: positiveInt
    .default(2_000)
    .describe(
      'Messages all connections of one address may send per second together, averaged over 2 s (a busy office behind one NAT: 64 people typing at once send about 1,000); beyond it the connection that sends is held back.',
    ),
  MAX_BYTES_PER_IP_PER_SECOND: positiveInt
    .default(16 * 1024 * 1024)
    .describe(
      'Bytes all connections of one address may send per second together, averaged over 2 s; beyond it the connection that sends is held back.',
    ),
  RATE_LIMIT_ABUSE_WINDOW_MS: positiveInt
    .default(60_000)
    .describe(
      'A connection held back by its own message or byte rate for 90% of the last this long (it sends faster than its rate without pause) is closed with 1008.',
    ),
  MAX_CONNECTIONS_PER_IP: positiveInt
    .default(64)
    .describe('Open WebSocket connections from one address; more are refused with 429.'),
  MAX_CONNECTIONS_PER_DOC: positiveInt
    .default(1000)
    .describe('Open WebSocket connections to one document; more are refused with 429.'),
  MAX_UPGRADES_PER_IP_PER_MINUTE: positiveInt
    .default(120)
    .describe(
      'WebSocket upgrades one address may attempt per minute, at most a sixth of them at once; more get 429 with Retry-After.',
    ),
  RATE_LIMIT_COOLDOWN_MS: nonNegativeInt
    .default(10_000)
    .describe(
      'After a connection with a token is closed for abusing its rate (1008), upgrades with a token of the same user get 429 with Retry-After for this long, so that reconnecting does not buy a fresh allowance; other users of its address are not affected. 0 turns it off.',
    ),
  TRUSTED_PROXY_HOPS: nonNegativeInt
    .default(0)
    .describe(
      'Reverse proxies in front of the server (nginx: 1) whose `X-Forwarded-For` gives the client address that per-address limits count.',
    ),
  MAX_LOADED_DOCS: positiveInt
    .default(10_000)
    .describe('Documents loaded at once; a connection that would load one more gets 503.'),
  IDLE_TIMEOUT_MS: positiveInt
    .default(90_000)
    .describe('A connection that completes no message for this long is closed (1008).'),
  HEARTBEAT_INTERVAL_MS: positiveInt
    .default(30_000)
    .describe('Interval between WebSocket pings; a peer that misses a pong is dropped.'),
  ROOM_UNLOAD_DELAY_MS: nonNegativeInt
    .default(2_000)
    .describe('How long an empty document stays loaded after its last client leaves.'),
  COMPACT_AFTER_UPDATES: positiveInt
    .default(500)
    .describe(
      'Stored updates after which a loaded document is compacted into one snapshot once editing pauses (see COMPACT_QUIET_MS); at 20 times as many it is compacted at once.',
    ),
  COMPACT_QUIET_MS: positiveInt
    .default(2_000)
    .describe(
      'How long editing of a document must pause before its update log is compacted. Every update is durable before this; compaction only makes the stored form compact.',
    ),
  ATTRIBUTION: z
    .enum(['on', 'authors', 'off'])
    .default('on')
    .describe(
      '`on`: every stored edit records who made it and when (the Authors view, the timeslider, `GET /api/docs/{name}/attribution`), and compaction keeps deleted text so the timeslider can show it (on a deletion-heavy history such as automerge-paper, 28% more stored). `authors`: the records only (3% there); the timeslider then shows only text that still exists. `off`: nothing is recorded (what was recorded before stays).',
    ),
  VERSION_QUIET_MS: positiveInt
    .default(60_000)
    .describe('A version is kept automatically once a document has had no edit for this long.'),
  VERSION_MAX_INTERVAL_MS: positiveInt
    .default(600_000)
    .describe('During continuous editing, a version is kept at least this often.'),
  TRASH_RETENTION_DAYS: positiveInt
    .default(30)
    .describe(
      'How long a deleted document stays in the trash, restorable, before it is purged for good; also how long an uploaded file is kept once neither the text nor any version of its document shows it.',
    ),
  API_MAX_BODY_BYTES: positiveInt
    .default(10 * 1024 * 1024)
    .describe('Largest HTTP API request body (an imported text); larger gets 413.'),
  API_MAX_REQUESTS_PER_IP_PER_MINUTE: positiveInt
    .default(600)
    .describe(
      'HTTP API requests one client address may make per minute, at most a sixth of them at once; more get 429 `rate_limited` with Retry-After.',
    ),
  API_MAX_REQUESTS_PER_TOKEN_PER_MINUTE: positiveInt
    .default(600)
    .describe(
      'HTTP API requests made with one token (or the admin key) per minute, at most a sixth of them at once; more get 429 with Retry-After.',
    ),
  API_MAX_CONCURRENT_DOC_REQUESTS: positiveInt
    .default(4)
    .describe(
      'HTTP API requests whose cost grows with the document (text, versions, import, restore) or with a file (uploads) running at once, server-wide; more get 429 with Retry-After.',
    ),
  API_MAX_CONCURRENT_DOC_REQUESTS_PER_IP: positiveInt
    .default(2)
    .describe(
      'Document-sized HTTP API requests (as above) running at once for one client address; more get 429 with Retry-After.',
    ),
  FILE_MAX_BYTES: positiveInt
    .default(20 * 1024 * 1024)
    .describe(
      'Largest file that may be uploaded to a document (`POST /api/docs/{name}/files`); larger gets 413.',
    ),
  FILE_MAX_BYTES_PER_DOC: positiveInt
    .default(200 * 1024 * 1024)
    .describe(
      'Bytes of files one document may hold in all; an upload that would exceed it gets 413 `document_files_full`.',
    ),
  FILE_TYPES: z
    .enum(['any', 'images'])
    .default('any')
    .describe(
      '`any`: every file may be uploaded; only PNG, JPEG, GIF and WebP (recognised by their bytes) are shown inline, anything else is only ever served as a download. `images`: only those four; other files get 415.',
    ),
  SHUTDOWN_TIMEOUT_MS: positiveInt
    .default(10_000)
    .describe('Longest a graceful shutdown waits for storage to flush before exiting.'),
})

export type Config = Readonly<z.infer<typeof configSchema>>

/** Settings that may instead be read from a file named by `<KEY>_FILE` (container secrets). */
const secretKeys: ReadonlySet<string> = new Set([
  'ADMIN_KEY',
  'AUTH_SECRET',
  'DATABASE_URL',
  'METRICS_TOKEN',
  'REDIS_URL',
  'WEBHOOK_SECRET',
  'WEBHOOK_URLS',
  // Its query may hold a key of the service it names.
  'AUTH_CALLBACK_URL',
])

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
  }
}

/** The settings that take a comma-separated list (or, in a settings object, an array). */
type ListSetting = {
  [K in keyof Config]: NonNullable<Config[K]> extends readonly string[] ? K : never
}[keyof Config]

/**
 * The settings as a library caller gives them to `createTandem`: the environment's names and
 * meanings, every one optional (its default applies). A number may be given as a number or a
 * string; a list as an array or a comma-separated string. Validated exactly as the
 * environment is ({@link parseConfig}).
 */
export type TandemSettings = {
  readonly [K in keyof Config]?: K extends ListSetting
    ? string | readonly string[]
    : NonNullable<Config[K]> extends number
      ? number | string
      : Config[K]
}

/**
 * The settings of `env` as a settings object: each setting's variable, or the file its
 * `<KEY>_FILE` names for the secrets. Unset and empty variables are left out (their defaults
 * apply), except `WEB_DIR`, where empty means "no web app". Throws {@link ConfigError} if a
 * file cannot be read or a secret is given both ways.
 */
export function settingsFromEnv(env: Record<string, string | undefined>): TandemSettings {
  const input: Record<string, string> = {}
  const problems: string[] = []
  for (const key of Object.keys(configSchema.shape)) {
    let value = env[key]
    const file = env[`${key}_FILE`]
    if (secretKeys.has(key) && file) {
      if (value !== undefined) problems.push(`${key} and ${key}_FILE: set only one of them`)
      try {
        value = readFileSync(file, 'utf8').trim()
      } catch (err) {
        problems.push(`${key}_FILE=${JSON.stringify(file)}: ${(err as Error).message}`)
      }
    }
    if (value !== undefined && (value !== '' || key === 'WEB_DIR')) input[key] = value
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return input
}

/**
 * Validates a settings object (the library's `createTandem`, or {@link settingsFromEnv}) with
 * the schema: defaults for what is missing, and a {@link ConfigError} listing every bad
 * setting at once, an unknown name included (with the setting it probably means).
 */
export function parseConfig(settings: TandemSettings): Config {
  const input: Record<string, unknown> = {}
  const problems: string[] = []
  const known = Object.keys(configSchema.shape)
  for (const [key, value] of Object.entries(settings as Record<string, unknown>)) {
    if (!Object.hasOwn(configSchema.shape, key)) {
      const closest = nearest(key, known)
      problems.push(`${key} is not a setting${closest ? `; did you mean ${closest}?` : ''}`)
      continue
    }
    if (value === undefined || (value === '' && key !== 'WEB_DIR')) continue
    input[key] = Array.isArray(value) ? value.join(',') : value
  }
  const result = configSchema.safeParse(input)
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path.join('.')
      const shown = secretKeys.has(key) ? '[redacted]' : JSON.stringify(input[key] ?? '')
      problems.push(`${key}=${shown}: ${issue.message}`)
    }
  }
  const data = result.success ? result.data : null
  problems.push(...clusterProblems(input, data))
  problems.push(...webhookProblems(input, data))
  problems.push(...signInProblems(input))
  if (problems.length > 0 || !result.success) throw new ConfigError(problems)
  return Object.freeze(result.data)
}

/**
 * Reads the configuration from `env` once: {@link settingsFromEnv}, then {@link parseConfig}.
 * Throws {@link ConfigError} listing every bad setting at once.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseConfig(settingsFromEnv(env))
}

/** Sign-in settings that are valid alone but not together. */
function signInProblems(input: Record<string, unknown>): string[] {
  const problems: string[] = []
  const ways = ['AUTH_CALLBACK_URL', 'AUTH_JWKS_URL', 'AUTH_PUBLIC_KEY_FILE'].filter(
    (key) => input[key] !== undefined,
  )
  if (ways.length > 1) {
    problems.push(`${ways.join(' and ')}: set only one way to sign in`)
  }
  if (input.AUTH_JWKS_URL !== undefined || input.AUTH_PUBLIC_KEY_FILE !== undefined) {
    for (const key of ['AUTH_JWT_ISSUER', 'AUTH_JWT_AUDIENCE']) {
      if (input[key] === undefined) {
        problems.push(
          `${key} is not set: tokens of ${input.AUTH_JWKS_URL !== undefined ? 'AUTH_JWKS_URL' : 'AUTH_PUBLIC_KEY_FILE'} are accepted only for one issuer and audience, or tokens your provider signs for other services would open documents here`,
        )
      }
    }
  }
  return problems
}

/** Settings that are valid alone but not together, for a cluster node. */
function clusterProblems(
  input: Record<string, unknown>,
  config: z.infer<typeof configSchema> | null,
): string[] {
  const problems: string[] = []
  if (input.REDIS_URL !== undefined && input.DATABASE_URL === undefined) {
    problems.push(
      'REDIS_URL is set without DATABASE_URL: the nodes of a cluster keep documents in one ' +
        'PostgreSQL database (DATABASE_URL); SQLite cannot be shared between nodes',
    )
  }
  if (input.REDIS_URL !== undefined && input.STORAGE === 'memory') {
    problems.push('REDIS_URL with STORAGE=memory: the nodes of a cluster share PostgreSQL')
  }
  if (config && config.CLUSTER_NODE_TIMEOUT_MS < 2 * config.CLUSTER_HEARTBEAT_MS) {
    problems.push(
      `CLUSTER_NODE_TIMEOUT_MS=${config.CLUSTER_NODE_TIMEOUT_MS}: must be at least twice ` +
        `CLUSTER_HEARTBEAT_MS (${config.CLUSTER_HEARTBEAT_MS}), or live nodes would be taken for gone`,
    )
  }
  return problems
}

/** Webhook settings that are valid alone but not together. */
function webhookProblems(
  input: Record<string, unknown>,
  config: z.infer<typeof configSchema> | null,
): string[] {
  const problems: string[] = []
  if (input.WEBHOOK_URLS !== undefined && input.WEBHOOK_SECRET === undefined) {
    problems.push(
      'WEBHOOK_URLS is set without WEBHOOK_SECRET: every webhook request is signed, so that its ' +
        'receiver can tell it comes from this server',
    )
  }
  if (config && config.WEBHOOK_MAX_WAIT_MS < config.WEBHOOK_DEBOUNCE_MS) {
    problems.push(
      `WEBHOOK_MAX_WAIT_MS=${config.WEBHOOK_MAX_WAIT_MS}: must be at least WEBHOOK_DEBOUNCE_MS ` +
        `(${config.WEBHOOK_DEBOUNCE_MS})`,
    )
  }
  return problems
}

/** Variables that Tandem's tools read besides the server's settings (the CLI's). */
const otherKnownNames = ['TANDEM_URL', 'TANDEM_TOKEN']
/** First words of several settings that other programs' variables start with too. */
const commonWords = new Set(['LOG', 'MAX'])

/** An environment variable that looks like a Tandem setting but is none, and the nearest one. */
export interface UnknownSetting {
  name: string
  /** The known name it most likely means, if one is close. */
  closest: string | undefined
}

/**
 * The variables of `env` that look meant for Tandem but that it does not read, so that a typo
 * (`DATA_DIRR`, `ALLOWED_ORIGIN`) does not go unnoticed. A variable looks meant for Tandem when
 * it starts with `TANDEM_` or with a word that begins several settings (`WEBHOOK_`, `CLUSTER_`,
 * `DATABASE_`, …; not `LOG_` and `MAX_`, which are common), or when it is within a small edit
 * distance of a setting's name, ignoring case (1
 * for names of up to 5 letters, so `HOME` is not taken for `HOST`; 2 for longer ones).
 * Kubernetes' service variables (`TANDEM_PORT=tcp://…`, `TANDEM_SERVICE_HOST`) are not reported.
 */
export function unknownSettings(env: Record<string, string | undefined>): UnknownSetting[] {
  const settings = Object.keys(configSchema.shape)
  const known = new Set([
    ...settings,
    ...[...secretKeys].map((key) => `${key}_FILE`),
    ...otherKnownNames,
  ])
  const firstWords = new Map<string, number>()
  for (const name of settings) {
    const word = name.split('_')[0]!
    firstWords.set(word, (firstWords.get(word) ?? 0) + 1)
  }
  const prefixes = [
    'TANDEM_',
    ...[...firstWords].filter(([w, n]) => n >= 2 && !commonWords.has(w)).map(([w]) => `${w}_`),
  ]
  const unknown: UnknownSetting[] = []
  for (const [name, value] of Object.entries(env)) {
    if (known.has(name) || isServiceLink(name, value)) continue
    const upper = name.toUpperCase()
    const bare = upper.startsWith('TANDEM_') ? upper.slice('TANDEM_'.length) : upper
    let closest: string | undefined
    let distance = Number.POSITIVE_INFINITY
    for (const candidate of known) {
      const d = Math.min(editDistance(upper, candidate), editDistance(bare, candidate))
      if (d < distance) {
        distance = d
        closest = candidate
      }
    }
    const typo = closest !== undefined && distance <= (closest.length <= 5 ? 1 : 2)
    if (!typo && !prefixes.some((p) => upper.startsWith(p))) continue
    const near = distance <= Math.max(2, Math.floor(name.length / 3))
    unknown.push({ name, closest: near ? closest : undefined })
  }
  return unknown.sort((a, b) => (a.name < b.name ? -1 : 1))
}

/** The variables Kubernetes (and Docker links) set for a service: `X_SERVICE_HOST`, `X_PORT=tcp://…`. */
function isServiceLink(name: string, value: string | undefined): boolean {
  return (
    /_SERVICE_(HOST|PORT)(_|$)|_PORT_\d+_(TCP|UDP|SCTP)(_|$)/.test(name) ||
    (name.endsWith('_PORT') && /^(tcp|udp|sctp):\/\//.test(value ?? ''))
  )
}

/** The name of `names` nearest to `name` (ignoring case), if one is close. */
function nearest(name: string, names: readonly string[]): string | undefined {
  let closest: string | undefined
  let distance = Number.POSITIVE_INFINITY
  for (const candidate of names) {
    const d = editDistance(name.toUpperCase(), candidate)
    if (d < distance) {
      distance = d
      closest = candidate
    }
  }
  return distance <= Math.max(2, Math.floor(name.length / 3)) ? closest : undefined
}

/** Levenshtein distance: insertions, deletions and substitutions that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
    }
    previous = current
  }
  return previous[b.length]!
}

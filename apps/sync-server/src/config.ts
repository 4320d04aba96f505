import { defaultLimits } from '@tandem/protocol'
import { z } from 'zod'

const port = z.coerce.number().int().min(0).max(65535)
const positiveInt = z.coerce.number().int().positive()
const nonNegativeInt = z.coerce.number().int().min(0)

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
  WEB_DIR: z
    .string()
    .optional()
    .describe(
      'Directory of the built web app to serve; empty to serve none. Default: `apps/web/dist`.',
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
  HEARTBEAT_INTERVAL_MS: positiveInt
    .default(30_000)
    .describe('Interval between WebSocket pings; a peer that misses a pong is dropped.'),
  ROOM_UNLOAD_DELAY_MS: nonNegativeInt
    .default(2_000)
    .describe('How long an empty document stays loaded after its last client leaves.'),
  COMPACT_AFTER_UPDATES: positiveInt
    .default(500)
    .describe('Stored updates after which a loaded document is compacted into one snapshot.'),
  SHUTDOWN_TIMEOUT_MS: positiveInt
    .default(10_000)
    .describe('Longest a graceful shutdown waits for storage to flush before exiting.'),
})

export type Config = Readonly<z.infer<typeof configSchema>>

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
  }
}

/**
 * Reads the configuration from `env` once. Unset and empty variables take their defaults
 * (except `WEB_DIR`, where empty means "no web app"). Throws {@link ConfigError} listing every
 * bad setting at once.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const input: Record<string, string> = {}
  for (const key of Object.keys(configSchema.shape)) {
    const value = env[key]
    if (value !== undefined && (value !== '' || key === 'WEB_DIR')) input[key] = value
  }
  const result = configSchema.safeParse(input)
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const key = issue.path.join('.')
        return `${key}=${JSON.stringify(input[key] ?? '')}: ${issue.message}`
      }),
    )
  }
  return Object.freeze(result.data)
}

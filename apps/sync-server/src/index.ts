/**
 * `@tandem/sync-server` as a library (docs/EMBEDDING.md): create Tandem from settings (the
 * environment's, by the same names, validated the same way) and hooks, then mount it in an
 * application's HTTP server under a prefix, or let it listen on its own.
 *
 * ```ts
 * import { createTandem } from '@tandem/sync-server'
 * const tandem = await createTandem({ DATA_DIR: 'data' }, {
 *   authenticate: ({ cookies }) => sessionUser(cookies.sid)
 *     ? { mode: 'edit', subject: user.id, name: user.name } : null,
 * })
 * tandem.attach(httpServer, { prefix: '/collab' })
 * ```
 */
export {
  createTandem,
  type DocumentEvent,
  type MountOptions,
  type TandemHooks,
  type TandemOptions,
  type TandemServer,
} from './app.js'
export type { Authenticate, SignedIn, SignInRequest } from './auth/sign-in.js'
export {
  type Config,
  ConfigError,
  configSchema,
  loadConfig,
  parseConfig,
  settingsFromEnv,
  type TandemSettings,
} from './config.js'
export { createLogger, type Logger } from './log.js'
export type { ChangeEvent } from './webhooks/webhooks.js'

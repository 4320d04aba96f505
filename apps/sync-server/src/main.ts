#!/usr/bin/env node
import { startTandem } from './app.js'
import { ConfigError, loadConfig } from './config.js'
import { createLogger } from './log.js'

/** The server process: configuration from the environment, logs on stdout, signals. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig(process.env)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(`tandem: ${err.message}\n`)
    process.exit(2)
  }
  const log = createLogger(config.LOG_LEVEL, undefined, config.LOG_FORMAT)
  const tandem = await startTandem(config, log)
  log.info(
    {
      url: tandem.url.href,
      storage: config.DATABASE_URL ? 'postgresql' : `sqlite:${config.DATA_DIR}`,
      webDir: config.WEB_DIR ?? 'apps/web/dist',
    },
    'listening',
  )

  const shutdown = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'shutting down')
    const timer = setTimeout(() => {
      log.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out')
      process.exit(1)
    }, config.SHUTDOWN_TIMEOUT_MS)
    timer.unref()
    tandem.close().then(
      () => {
        log.info('stopped')
        process.exit(0)
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', shutdown)
  process.once('SIGINT', shutdown)
}

main().catch((err: unknown) => {
  process.stderr.write(`tandem: failed to start: ${err instanceof Error ? err.stack : err}\n`)
  process.exit(1)
})

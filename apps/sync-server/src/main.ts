#!/usr/bin/env node
import { bundledWebDir, createTandem } from './app.js'
import { ConfigError, loadConfig, unknownSettings } from './config.js'
import { createLogger } from './log.js'

/**
 * The server process (`tandem serve`), a user of the library like any other: configuration
 * from the environment, the web app built with it, its own HTTP server, logs on stdout, signals.
 */
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
  for (const { name, closest } of unknownSettings(process.env)) {
    log.warn(
      { variable: name, didYouMean: closest },
      `${name} is not a Tandem setting and is ignored${closest ? `; did you mean ${closest}?` : ''}`,
    )
  }
  const webDir = config.WEB_DIR ?? bundledWebDir
  const tandem = await createTandem({ ...config, WEB_DIR: webDir ?? '' }, { log })
  const url = await tandem.listen()

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
  // Before `listening` announces the server: a supervisor may send SIGTERM as soon as it reads
  // that line, and must get a graceful shutdown rather than the default instant death.
  process.once('SIGTERM', shutdown)
  process.once('SIGINT', shutdown)

  log.info(
    {
      url: url.href,
      storage: config.DATABASE_URL ? 'postgresql' : `sqlite:${config.DATA_DIR}`,
      webDir: webDir || null,
    },
    'listening',
  )
  // Where the server listens is never hidden: with a LOG_LEVEL above info, it goes to stderr.
  if (!log.isLevelEnabled('info')) process.stderr.write(`tandem: listening on ${url.href}\n`)
}

main().catch((err: unknown) => {
  process.stderr.write(`tandem: failed to start: ${err instanceof Error ? err.stack : err}\n`)
  process.exit(1)
})

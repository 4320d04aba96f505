import { type Logger, type LoggerOptions, pino } from 'pino'
import pretty from 'pino-pretty'

export type { Logger }

/** Paths whose values never reach the log. */
const redact = ['token', '*.token', 'req.headers.authorization', 'req.headers.cookie']

/**
 * A logger on stdout: JSON lines, or readable text for a terminal with `format: 'pretty'`
 * (or on `destination`, for tests).
 */
export function createLogger(
  level: LoggerOptions['level'],
  destination?: pino.DestinationStream,
  format: 'json' | 'pretty' = 'json',
): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'tandem' },
    redact: { paths: redact, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  }
  if (destination) return pino(options, destination)
  if (format === 'pretty') {
    return pino(options, pretty({ colorize: process.stdout.isTTY, sync: true, ignore: 'service' }))
  }
  // Synchronous writes, as `console.log` makes to a pipe on Linux: every line is out before
  // `process.exit`. pino's default asynchronous destination flushes at exit with a loop that
  // retries any failed write every 100 ms, so a SIGTERM after the reader of stdout had gone
  // (`node main.js | head -1`) spun forever on EPIPE. Synchronously, the first EPIPE reaches
  // pino's handler at once, which then drops the lines instead.
  return pino(options, pino.destination({ dest: 1, sync: true }))
}

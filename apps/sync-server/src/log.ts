import { type Logger, type LoggerOptions, pino } from 'pino'

export type { Logger }

/** Paths whose values never reach the log. */
const redact = ['token', '*.token', 'req.headers.authorization', 'req.headers.cookie']

/** A JSON-lines logger on stdout (or on `destination`, for tests). */
export function createLogger(
  level: LoggerOptions['level'],
  destination?: pino.DestinationStream,
): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'tandem' },
    redact: { paths: redact, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  }
  return destination ? pino(options, destination) : pino(options)
}

import { createHmac, timingSafeEqual } from 'node:crypto'

/** Header with the signature: `sha256=<hex>`. */
export const SIGNATURE_HEADER = 'x-tandem-signature'
/** Header with the time of the attempt, in whole seconds since 1970 (signed with the body). */
export const TIMESTAMP_HEADER = 'x-tandem-timestamp'

/**
 * The signature of a webhook request: `sha256=` and the hex HMAC-SHA256, keyed with the
 * secret, of the timestamp, a `.`, and the raw body.
 */
export function signWebhook(secret: string, timestampS: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex')}`
}

/**
 * Whether a webhook request is genuine and fresh: its signature matches `body` and its
 * timestamp, and the timestamp is within `toleranceS` seconds of `nowMs`.
 */
export function verifyWebhook(
  secret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  body: string,
  toleranceS = 300,
  nowMs = Date.now(),
): boolean {
  const { signature, timestamp } = headers
  if (signature === undefined || timestamp === undefined || !/^\d{1,15}$/.test(timestamp)) {
    return false
  }
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceS) return false
  const expected = Buffer.from(signWebhook(secret, Number(timestamp), body))
  const given = Buffer.from(signature)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

const DAY_MS = 24 * 60 * 60 * 1000

function startOfDay(ms: number): number {
  const date = new Date(ms)
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime()
}

/**
 * When a version was kept, for the history list: "Today, 14:32", "Yesterday, 09:05",
 * "12 Mar, 14:32", or with the year when it is not this year's.
 */
export function describeTime(thenMs: number, nowMs: number, locale?: string): string {
  const time = new Intl.DateTimeFormat(locale, { hour: 'numeric', minute: '2-digit' }).format(
    thenMs,
  )
  const days = Math.round((startOfDay(nowMs) - startOfDay(thenMs)) / DAY_MS)
  if (days === 0 || days === 1) {
    const word = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }).format(-days, 'day')
    return `${word.charAt(0).toLocaleUpperCase(locale) + word.slice(1)}, ${time}`
  }
  const sameYear = new Date(thenMs).getFullYear() === new Date(nowMs).getFullYear()
  const date = new Intl.DateTimeFormat(locale, {
    day: 'numeric',
    month: 'short',
    ...(sameYear ? {} : { year: 'numeric' }),
  }).format(thenMs)
  return `${date}, ${time}`
}

/** The full date and time, for a tooltip. */
export function fullTime(ms: number, locale?: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'medium' }).format(ms)
}

const relativeUnits: readonly [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * DAY_MS],
  ['month', 30 * DAY_MS],
  ['week', 7 * DAY_MS],
  ['day', DAY_MS],
  ['hour', 60 * 60 * 1000],
  ['minute', 60 * 1000],
]

/** How long ago, in words: "now", "5 minutes ago", "yesterday", "3 weeks ago". */
export function relativeTime(thenMs: number, nowMs: number, locale?: string): string {
  const ago = Math.max(0, nowMs - thenMs)
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' })
  for (const [unit, unitMs] of relativeUnits) {
    if (ago >= unitMs) return format.format(-Math.floor(ago / unitMs), unit)
  }
  return format.format(0, 'second')
}

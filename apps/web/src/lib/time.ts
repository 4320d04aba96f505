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

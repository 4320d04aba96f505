const DAY_MS = 24 * 60 * 60 * 1000

/**
 * Formatters are costly to make (tens of microseconds, more on a busy page) and the playback
 * asks for one every step: each kind is made once per locale.
 */
function cached<T>(make: (locale: string | undefined) => T): (locale?: string) => T {
  const made = new Map<string | undefined, T>()
  return (locale) => {
    let formatter = made.get(locale)
    if (formatter === undefined) {
      formatter = make(locale)
      made.set(locale, formatter)
    }
    return formatter
  }
}

const clockFormat = cached(
  (locale) => new Intl.DateTimeFormat(locale, { hour: 'numeric', minute: '2-digit' }),
)
const relativeDayFormat = cached(
  (locale) => new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }),
)
const dayFormat = cached(
  (locale) => new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short' }),
)
const dayInYearFormat = cached(
  (locale) => new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', year: 'numeric' }),
)
const fullFormat = cached(
  (locale) => new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'medium' }),
)

function startOfDay(ms: number): number {
  const date = new Date(ms)
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime()
}

/**
 * When a version was kept, for the history list: "Today, 14:32", "Yesterday, 09:05",
 * "12 Mar, 14:32", or with the year when it is not this year's.
 */
export function describeTime(thenMs: number, nowMs: number, locale?: string): string {
  const time = clockFormat(locale).format(thenMs)
  const days = Math.round((startOfDay(nowMs) - startOfDay(thenMs)) / DAY_MS)
  if (days === 0 || days === 1) {
    const word = relativeDayFormat(locale).format(-days, 'day')
    return `${word.charAt(0).toLocaleUpperCase(locale) + word.slice(1)}, ${time}`
  }
  const sameYear = new Date(thenMs).getFullYear() === new Date(nowMs).getFullYear()
  const date = (sameYear ? dayFormat : dayInYearFormat)(locale).format(thenMs)
  return `${date}, ${time}`
}

/** The full date and time, for a tooltip. */
export function fullTime(ms: number, locale?: string): string {
  return fullFormat(locale).format(ms)
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
  const format = relativeDayFormat(locale)
  for (const [unit, unitMs] of relativeUnits) {
    if (ago >= unitMs) return format.format(-Math.floor(ago / unitMs), unit)
  }
  return format.format(0, 'second')
}

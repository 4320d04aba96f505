import { describe, expect, it } from 'vitest'
import { defaultRetention, type RetentionPolicy, versionsToPrune } from './retention.js'
import type { VersionKind } from './store.js'

const MINUTE_MS = 60_000
const HOUR_MS = 60 * MINUTE_MS
const DAY_MS = 24 * HOUR_MS
/** A fixed "now": 2024-01-31T12:00:00Z. */
const NOW = Date.UTC(2024, 0, 31, 12)

type V = { id: number; createdAtMs: number; kind: VersionKind }
let nextId = 1
const at = (createdAtMs: number, kind: VersionKind = 'auto'): V => ({
  id: nextId++,
  createdAtMs,
  kind,
})
/** The ids `policy` keeps of `versions` at `nowMs`. */
const kept = (versions: V[], nowMs = NOW, policy: RetentionPolicy = defaultRetention) => {
  const doomed = new Set(versionsToPrune(versions, policy, nowMs))
  return versions.filter((v) => !doomed.has(v.id)).map((v) => v.id)
}

describe('retention (H5)', () => {
  it('keeps every version of the last hour', () => {
    const versions = [1, 2, 3, 30, 59].map((m) => at(NOW - m * MINUTE_MS))
    expect(kept(versions)).toEqual(versions.map((v) => v.id))
  })

  it('keeps the newest version of each clock hour for a day', () => {
    const h = (hour: number, minute: number) => at(Date.UTC(2024, 0, 31, hour, minute))
    const versions = [h(3, 10), h(3, 50), h(3, 20), h(4, 0), h(9, 59), h(10, 1), h(11, 59)]
    // 03:50 wins 03:xx; 11:59 is younger than an hour and kept anyway.
    expect(kept(versions)).toEqual([
      versions[1]!.id,
      versions[3]!.id,
      versions[4]!.id,
      versions[5]!.id,
      versions[6]!.id,
    ])
  })

  it('keeps the newest version of each UTC day for 30 days, and none older', () => {
    const d = (day: number, hour: number) => at(Date.UTC(2024, 0, day, hour))
    const versions = [
      d(2, 1),
      d(2, 1),
      d(10, 3),
      d(10, 23),
      d(10, 5),
      d(29, 9),
      at(NOW - 31 * DAY_MS),
    ]
    // Same time: the later id wins. 31 days old: gone.
    expect(kept(versions)).toEqual([versions[1]!.id, versions[3]!.id, versions[5]!.id])
  })

  it('always keeps named versions and the newest version, however old', () => {
    const versions = [
      at(NOW - 400 * DAY_MS, 'named'),
      at(NOW - 90 * DAY_MS, 'import'),
      at(NOW - 60 * DAY_MS, 'restore'),
      at(NOW - 45 * DAY_MS),
    ]
    expect(kept(versions)).toEqual([versions[0]!.id, versions[3]!.id])
  })

  it('does not thin import and restore versions, but they expire after the last tier', () => {
    const m = (minute: number, kind: VersionKind) => at(Date.UTC(2024, 0, 31, 5, minute), kind)
    const versions = [
      m(5, 'import'),
      m(10, 'auto'),
      m(15, 'restore'),
      m(20, 'auto'),
      at(NOW - 31 * DAY_MS, 'restore'),
      at(NOW - 29 * DAY_MS, 'import'),
    ]
    // The 05:10 auto goes: the restore after it lies in the same hour.
    expect(kept(versions)).toEqual([
      versions[0]!.id,
      versions[2]!.id,
      versions[3]!.id,
      versions[5]!.id,
    ])
  })

  it('is stable as time passes: what is kept once is kept while its tier allows', () => {
    // One version every 7 minutes for three days.
    const versions: V[] = []
    for (let t = NOW - 3 * DAY_MS; t <= NOW; t += 7 * MINUTE_MS) versions.push(at(t))
    let survivors = versions
    for (let later = NOW; later <= NOW + 3 * DAY_MS; later += 5 * HOUR_MS) {
      const next = kept(survivors, later)
      // Pruning again at the same time changes nothing.
      expect(
        kept(
          versions.filter((v) => next.includes(v.id)),
          later,
        ),
      ).toEqual(next)
      // What was pruned at an earlier time is exactly what would be pruned of the whole list.
      expect(next).toEqual(kept(versions, later))
      survivors = versions.filter((v) => next.includes(v.id))
    }
    // Three days later: one per day for the days in between, plus the newest.
    expect(survivors.length).toBeLessThanOrEqual(7)
  })

  it('follows a custom policy', () => {
    const policy: RetentionPolicy = {
      tiers: [{ untilAgeMs: 10 * MINUTE_MS, everyMs: 5 * MINUTE_MS }],
    }
    const base = Date.UTC(2024, 0, 31, 11, 55)
    const versions = [
      at(base),
      at(base + MINUTE_MS),
      at(base + 6 * MINUTE_MS),
      at(base - 20 * MINUTE_MS),
    ]
    expect(kept(versions, NOW, policy)).toEqual([versions[1]!.id, versions[2]!.id])
  })
})

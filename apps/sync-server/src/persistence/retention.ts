import type { DocStore, VersionInfo } from './store.js'

const HOUR_MS = 60 * 60 * 1000
const DAY_MS = 24 * HOUR_MS

/** One age band of a {@link RetentionPolicy}. */
export interface RetentionTier {
  /** Versions younger than this (and older than the previous tier's bound) are in this tier. */
  untilAgeMs: number
  /**
   * Keeps only the newest version of each period of this length, periods aligned to the epoch
   * (so hours and UTC days); 0 keeps every version. Each tier's period must be a multiple of
   * the previous one's, so that periods nest.
   */
  everyMs: number
}

/**
 * Which versions are kept as they age. Named versions and a document's newest version are
 * always kept; `import` and `restore` versions (the text before a replacement) are kept until
 * they are older than the last tier; `auto` versions are thinned by the tiers, and deleted
 * once older than the last.
 */
export interface RetentionPolicy {
  /** Age bands, youngest first (`untilAgeMs` increasing). */
  tiers: readonly RetentionTier[]
}

/** Every version of the last hour, one per hour for a day, one per day for 30 days. */
export const defaultRetention: RetentionPolicy = {
  tiers: [
    { untilAgeMs: HOUR_MS, everyMs: 0 },
    { untilAgeMs: DAY_MS, everyMs: HOUR_MS },
    { untilAgeMs: 30 * DAY_MS, everyMs: DAY_MS },
  ],
}

type Dated = Pick<VersionInfo, 'id' | 'createdAtMs' | 'kind'>

/**
 * The ids of the versions of one document that `policy` does not keep at `nowMs`, ascending.
 * An `auto` version in a thinned tier goes if any newer version (of any kind) falls in the same
 * period. The outcome does not depend on how often pruning ran before: pruning what an earlier
 * pruning kept gives what pruning everything would.
 */
export function versionsToPrune(
  versions: readonly Dated[],
  policy: RetentionPolicy,
  nowMs: number,
): number[] {
  const newestFirst = [...versions].sort((a, b) => b.createdAtMs - a.createdAtMs || b.id - a.id)
  const periods = [...new Set(policy.tiers.map((t) => t.everyMs).filter((ms) => ms > 0))]
  /** `${everyMs}:${period}` of every version seen so far (all newer than the current one). */
  const taken = new Set<string>()
  const doomed: number[] = []
  for (const [index, version] of newestFirst.entries()) {
    const tier = policy.tiers.find((t) => nowMs - version.createdAtMs < t.untilAgeMs)
    const key = tier && `${tier.everyMs}:${Math.floor(version.createdAtMs / tier.everyMs)}`
    const keep =
      version.kind === 'named' ||
      index === 0 ||
      (tier !== undefined && (version.kind !== 'auto' || tier.everyMs === 0 || !taken.has(key!)))
    if (!keep) doomed.push(version.id)
    for (const ms of periods) taken.add(`${ms}:${Math.floor(version.createdAtMs / ms)}`)
  }
  return doomed.sort((a, b) => a - b)
}

/**
 * Deletes the versions of `name` that `policy` does not keep at `nowMs`; resolves with how many
 * were deleted. Without a lock: whatever several servers prune at once, none deletes the newest
 * version of a period, since none has seen a newer one there.
 */
export async function pruneVersions(
  store: Pick<DocStore, 'listVersions' | 'deleteVersions'>,
  name: string,
  policy: RetentionPolicy,
  nowMs = Date.now(),
): Promise<number> {
  const doomed = versionsToPrune(await store.listVersions(name), policy, nowMs)
  return doomed.length === 0 ? 0 : store.deleteVersions(name, doomed)
}

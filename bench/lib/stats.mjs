// Small statistics helpers: nearest-rank percentiles and median / min / max of repetitions.

/**
 * The p-th percentile (0..100) of ascending `sorted`, by nearest rank.
 * @param {ArrayLike<number>} sorted
 * @param {number} p
 */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return /** @type {number} */ (sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))])
}

/** @param {number[]} values */
export function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const mid = sorted.length >> 1
  return sorted.length % 2
    ? /** @type {number} */ (sorted[mid])
    : (sorted[mid - 1] + sorted[mid]) / 2
}

/**
 * Median, min and max of the finite values.
 * @param {number[]} values
 */
export function summarize(values) {
  const finite = values.filter(Number.isFinite)
  return {
    median: median(finite),
    min: finite.length ? Math.min(...finite) : Number.NaN,
    max: finite.length ? Math.max(...finite) : Number.NaN,
    n: finite.length,
  }
}

/**
 * p50/p95/p99/max of a sample (sorted in place).
 * @param {Float64Array | number[]} sample
 */
export function latencyPercentiles(sample) {
  const sorted = Float64Array.from(sample).sort()
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? /** @type {number} */ (sorted[sorted.length - 1]) : Number.NaN,
    samples: sorted.length,
  }
}

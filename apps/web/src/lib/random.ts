/** A source of uniformly distributed numbers in [0, 1), like `Math.random`. */
export type Random = () => number

/** One element of a non-empty list, chosen with `random`. */
export function pick<T>(items: readonly [T, ...T[]], random: Random): T {
  const index = Math.min(items.length - 1, Math.floor(random() * items.length))
  return items[index] ?? items[0]
}

/** An integer in [min, max], both inclusive. */
export function integerBetween(min: number, max: number, random: Random): number {
  return Math.min(max, min + Math.floor(random() * (max - min + 1)))
}

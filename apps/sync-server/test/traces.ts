import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'

/** A sequential editing trace (testdata/traces/README.md). */
export interface Trace {
  startContent: string
  endContent: string
  txns: { patches: [number, number, string][] }[]
}

export function loadTrace(name: string): Trace {
  const file = new URL(`../../../testdata/traces/${name}.json.gz`, import.meta.url)
  return JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as Trace
}

/**
 * Converts a code-point offset in `text` to a UTF-16 offset (trace positions count code
 * points; Y.Text counts UTF-16 units).
 */
export function utf16Offset(text: string, codePoints: number): number {
  let units = 0
  for (let i = 0; i < codePoints && units < text.length; i++) {
    units += text.codePointAt(units)! > 0xffff ? 2 : 1
  }
  return units
}

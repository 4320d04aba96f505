// Reads the built web app's source maps, to name the minified functions of a CPU profile.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/** The segments of a source map's `mappings`, per generated line: [column, source, line, column, name?]. */
function decodeMappings(mappings) {
  const lines = []
  let source = 0
  let sourceLine = 0
  let sourceColumn = 0
  let name = 0
  for (const line of mappings.split(';')) {
    const segments = []
    let column = 0
    for (const segment of line ? line.split(',') : []) {
      const values = []
      let value = 0
      let shift = 0
      for (const char of segment) {
        const digit = B64.indexOf(char)
        value += (digit & 31) << shift
        if (digit & 32) shift += 5
        else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1)
          value = 0
          shift = 0
        }
      }
      column += values[0]
      if (values.length >= 4) {
        source += values[1]
        sourceLine += values[2]
        sourceColumn += values[3]
        if (values.length >= 5) name += values[4]
        segments.push([column, source, sourceLine, sourceColumn, values.length >= 5 ? name : -1])
      }
    }
    lines.push(segments)
  }
  return lines
}

/** A function that names a position in one of `dist`'s scripts by its original source. */
export function sourceNamer(dist) {
  const maps = new Map()
  const load = (file) => {
    if (!maps.has(file)) {
      const path = join(dist, 'assets', `${file}.map`)
      if (!existsSync(path)) maps.set(file, null)
      else {
        const map = JSON.parse(readFileSync(path, 'utf8'))
        maps.set(file, { map, lines: decodeMappings(map.mappings) })
      }
    }
    return maps.get(file)
  }
  /** @param {string} url @param {number} line 0-based @param {number} column 0-based */
  return (url, line, column) => {
    const file = url.split('/').pop()
    const loaded = file?.endsWith('.js') ? load(file) : null
    const segments = loaded?.lines[line]
    if (!segments?.length) return null
    let found = null
    for (const segment of segments) {
      if (segment[0] > column) break
      found = segment
    }
    if (!found) return null
    const source = loaded.map.sources[found[1]]
      .replace(/^.*node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?/, '')
      .replace(/^(\.\.\/)+/, '')
    const name = found[4] >= 0 ? loaded.map.names[found[4]] : null
    return `${source}:${found[2] + 1}${name ? ` ${name}` : ''}`
  }
}

// The large documents the benchmarks load, built once per machine into a cache directory:
// automerge-paper's history as one update, and a document of 10 MB (issue 17).
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { hugeDocument, loadTrace, traceAsUpdate } from './traces.mjs'

export const TRACES_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../shared/traces',
)
export const CACHE_DIR = path.join(os.tmpdir(), 'tandem-bench-cache')

/** The sequential traces the huge document is made of, in this order. */
const HUGE_TRACES = [
  'automerge-paper',
  'seph-blog1',
  'rustcode',
  'sveltecomponent',
  'clownschool_flat',
  'friendsforever_flat',
]
export const HUGE_BYTES = 10 * 1024 * 1024

/**
 * @typedef {{ updateFile: string, textFile: string, cacheDir: string }} DocumentFiles
 *   the document's whole state as one Yjs update, and the text it reads
 */

/** @param {string} base @param {() => { update: Uint8Array, text: string }} build */
function cached(base, build) {
  mkdirSync(CACHE_DIR, { recursive: true })
  const updateFile = `${base}.update`
  const textFile = `${base}.txt`
  if (!existsSync(updateFile) || !existsSync(textFile)) {
    const { update, text } = build()
    writeFileSync(`${textFile}.tmp`, text)
    writeFileSync(`${updateFile}.tmp`, update)
    renameSync(`${textFile}.tmp`, textFile)
    renameSync(`${updateFile}.tmp`, updateFile)
  }
  return { updateFile, textFile, cacheDir: CACHE_DIR }
}

/** @param {string} name */
const traceFile = (name) => path.join(TRACES_DIR, `${name}.json.gz`)
/** @param {string} name */
const stamp = (name) => {
  const stat = statSync(traceFile(name))
  return `${stat.size}-${Math.round(stat.mtimeMs)}`
}

/** automerge-paper's whole editing history as one update. @returns {DocumentFiles} */
export function largeDocument() {
  return cached(path.join(CACHE_DIR, `automerge-paper-${stamp('automerge-paper')}`), () => {
    console.log('building the automerge-paper document (once per machine)…')
    const trace = loadTrace(traceFile('automerge-paper'))
    return { update: traceAsUpdate(trace), text: trace.endContent }
  })
}

/** At least 10 MB of Yjs update: the traces' histories one after another. @returns {DocumentFiles} */
export function hugeDocument10MB() {
  const key = HUGE_TRACES.map(stamp).join('-')
  return cached(
    path.join(
      CACHE_DIR,
      `huge-${HUGE_BYTES}-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`,
    ),
    () => {
      console.log('building the 10 MB document (once per machine, about a minute)…')
      return hugeDocument(
        HUGE_TRACES.map((name) => loadTrace(traceFile(name))),
        HUGE_BYTES,
      )
    },
  )
}

// Where the time goes while a document page loads: a CPU profile (Chromium's CDP Profiler) of a
// first visit, of a second visit from the offline copy alone and of one with the server, printed as the functions with
// the most self time, and saved as .cpuprofile files (open them in Chromium's DevTools).
//
//   node bench/profile-load.mjs [automerge-paper|huge] [typing]     (build first)
//   PROFILE_DIR=/tmp/profiles node bench/profile-load.mjs huge
//
// With `typing`, it then profiles both pages while one types 30 keys that the other shows.

import { readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from '@playwright/test'
import { hugeDocument10MB, largeDocument } from '../../bench/lib/documents.mjs'
import { measureKeystrokes } from './lib/keystrokes.mjs'
import { storeDocument } from './lib/seed.mjs'
import { repoRoot, startServer } from './lib/server.mjs'
import { sourceNamer } from './lib/source-map.mjs'
import { editorLength, visit } from './lib/visit.mjs'

const label = process.argv[2] ?? 'huge'
const typing = process.argv[3] === 'typing'
const profileDir = process.env.PROFILE_DIR ?? tmpdir()
const files = label === 'huge' ? hugeDocument10MB() : largeDocument()
const text = readFileSync(files.textFile, 'utf8')
const update = new Uint8Array(readFileSync(files.updateFile))

const nameOf = sourceNamer(join(repoRoot, 'apps/web/dist'))

/** Starts the CDP Profiler on `page`; resolves with a function that stops it and gives the profile. */
async function startProfiler(context, page) {
  const session = await context.newCDPSession(page)
  await session.send('Profiler.enable')
  await session.send('Profiler.setSamplingInterval', { interval: 200 })
  await session.send('Profiler.start')
  return async () => (await session.send('Profiler.stop')).profile
}

function report(title, profile, file) {
  writeFileSync(file, JSON.stringify(profile))
  console.log(`\n${title}; profile in ${file}`)
  for (const line of bottomUp(profile)) console.log(line)
}

/** Self time per function, the largest first. */
function bottomUp(profile, top = 25) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const self = new Map()
  profile.samples.forEach((id, i) => {
    const { functionName, url, lineNumber, columnNumber } = byId.get(id).callFrame
    const key =
      nameOf(url, lineNumber, columnNumber) ??
      `${functionName || '(anonymous)'} ${url.split('/').pop()}:${lineNumber + 1}`
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000)
  })
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(
      ([key, ms]) =>
        `${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${key}`,
    )
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
})
const server = await startServer()
try {
  const name = `profile-${label}-${Date.now().toString(36)}`
  await storeDocument(server.url, name, update, text)
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } })
  const options = {
    url: `${server.url}/d/${encodeURIComponent(name)}`,
    expectedLength: editorLength(text),
    timeoutMs: 120_000,
    settleMs: 3000,
  }
  for (const [kind, offlineOnly] of [
    ['first', false],
    ['offline', true],
    ['second', false],
  ]) {
    const visited = await visit(context, {
      ...options,
      offlineOnly,
      onPage: (page) => startProfiler(context, page),
    })
    report(
      `${label}, ${kind} visit: editable at ${Math.round(visited.editableMs)} ms, longest task ${Math.round(visited.longestTaskMs)} ms, ${visited.drops} dropped`,
      await visited.stopProfile(),
      join(profileDir, `tandem-${label}-${kind}.cpuprofile`),
    )
    await visited.page.close()
  }
  if (typing) {
    const other = await browser.newContext({ viewport: { width: 1200, height: 800 } })
    const pages = [await visit(context, options), await visit(other, options)]
    const stops = await Promise.all(
      pages.map((visited, i) => startProfiler(i === 0 ? context : other, visited.page)),
    )
    const keys = await measureKeystrokes(pages[0].page, pages[1].page, { keystrokes: 30 })
    console.log(`\ntyping: p50 ${keys.p50.toFixed(1)} ms, p99 ${keys.p99.toFixed(1)} ms`)
    for (const [i, role] of ['typist', 'watcher'].entries()) {
      report(`${role}`, await stops[i](), join(profileDir, `tandem-${label}-${role}.cpuprofile`))
    }
    await other.close()
  }
  await context.close()
} finally {
  await browser.close()
  await server.stop()
}

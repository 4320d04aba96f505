// The Markdown preview on a large document: opens it with the preview shown, then types 20
// characters 200 ms apart, and prints the page's long tasks during the load and while typing.
//
//   node bench/preview-typing.mjs [huge|automerge-paper]     (build first)

import { readFileSync } from 'node:fs'
import { chromium } from '@playwright/test'
import { hugeDocument10MB, largeDocument } from '../../bench/lib/documents.mjs'
import { storeDocument } from './lib/seed.mjs'
import { startServer } from './lib/server.mjs'
import { editorLength, visit } from './lib/visit.mjs'

const label = process.argv[2] ?? 'huge'
const files = label === 'huge' ? hugeDocument10MB() : largeDocument()
const text = readFileSync(files.textFile, 'utf8')
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
})
const server = await startServer()
try {
  const name = `preview-${label}-${Date.now().toString(36)}`
  await storeDocument(server.url, name, new Uint8Array(readFileSync(files.updateFile)), text)
  const context = await browser.newContext({ viewport: { width: 1400, height: 800 } })
  // The preview's remembered state (DocumentPage.tsx, `tandem:preview`).
  await context.addInitScript(() => localStorage.setItem('tandem:preview', 'true'))
  const visited = await visit(context, {
    url: `${server.url}/d/${encodeURIComponent(name)}`,
    expectedLength: editorLength(text),
    timeoutMs: 120_000,
    settleMs: 8000,
  })
  const { page } = visited
  const shown = await page.evaluate(
    () => document.querySelector('[data-testid="markdown-preview"]')?.textContent?.length ?? 0,
  )
  await page.locator('.cm-content').click()
  const before = await page.evaluate(() => window.__bench.longTasks.length)
  for (let i = 0; i < 20; i++) {
    await page.keyboard.type('x')
    await page.waitForTimeout(200)
  }
  await page.waitForTimeout(3000)
  const typing = await page.evaluate(
    (from) => window.__bench.longTasks.slice(from).map(([, duration]) => Math.round(duration)),
    before,
  )
  const ms = (list) => (list.length === 0 ? 'none' : list.join(', '))
  console.log(`${label} (${text.length} characters) with the preview shown:`)
  console.log(
    `  editable at ${Math.round(visited.editableMs)} ms; the preview shows ${shown} characters`,
  )
  console.log(
    `  long tasks while loading and for 8 s after (ms): ${ms(visited.longTasksMs.map(Math.round))}`,
  )
  console.log(`  long tasks while typing 20 characters, 200 ms apart (ms): ${ms(typing)}`)
} finally {
  await browser.close()
  await server.stop()
}

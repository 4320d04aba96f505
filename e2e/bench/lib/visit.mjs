// One visit of a document page, measured from inside the page: the time from the start of the
// navigation to the first animation frame in which the editor is editable and holds the whole
// document, the scripts fetched until then (and after), the long tasks, and whether the
// connection dropped.
import { gzipSync } from 'node:zlib'

/**
 * Runs in the page before its own scripts (an init script). `expectedLength` is the document's
 * length as CodeMirror counts it (a line break is one character).
 * @param {number} expectedLength
 */
function probe(expectedLength) {
  const bench = {
    editorAtMs: /** @type {number | null} */ (null),
    editableAtMs: /** @type {number | null} */ (null),
    scriptsAtEditable: /** @type {{ name: string, startMs: number }[]} */ ([]),
    longTasks: /** @type {[number, number][]} */ ([]),
    states: /** @type {[number, string][]} */ ([]),
  }
  window.__bench = bench
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) bench.longTasks.push([entry.startTime, entry.duration])
    }).observe({ type: 'longtask', buffered: true })
  } catch {}
  bench.scripts = () =>
    performance
      .getEntriesByType('resource')
      .filter((entry) => new URL(entry.name).pathname.endsWith('.js'))
      .map((entry) => ({ name: entry.name, startMs: entry.startTime }))
  const check = () => {
    const content = document.querySelector('.cm-content')
    // What CodeMirror's `EditorView.findFromDOM` reads, without importing CodeMirror here.
    const view = content?.cmTile?.root?.view
    const editable = view && content.contentEditable === 'true'
    if (editable && bench.editorAtMs === null) bench.editorAtMs = performance.now()
    if (editable && view.state.doc.length === expectedLength) {
      bench.editableAtMs = performance.now()
      bench.scriptsAtEditable = bench.scripts()
      return
    }
    requestAnimationFrame(check)
  }
  requestAnimationFrame(check)
  const status = () => {
    const state = document.querySelector('[data-testid="connection-status"]')?.dataset.state
    if (state && state !== bench.states.at(-1)?.[1]) bench.states.push([performance.now(), state])
  }
  new MutationObserver(status).observe(document, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ['data-state'],
  })
}

/** `text`'s length as CodeMirror counts it: `\r\n` is one line break. */
export const editorLength = (text) => text.length - (text.match(/\r\n/g)?.length ?? 0)

/**
 * Opens `url` in a new page of `context` and measures it until it is editable with the whole
 * document, then for `settleMs` more. `offlineOnly`: the page's WebSockets reach nothing (they
 * open and stay silent), so the document can only come from the browser's offline copy.
 * @param {import('@playwright/test').BrowserContext} context
 * `holdLateScripts`: a script requested once the editor is on the page waits until the page is
 * editable with the whole document, so that what arrives until then is what it needed, not what
 * a fast network brought along (what is held is listed in `held`).
 * `onPage` runs before the navigation (to start a profiler); what it returns is the result's
 * `stopProfile`.
 * @param {import('@playwright/test').BrowserContext} context
 * @param {{ url: string, expectedLength: number, timeoutMs: number, settleMs: number,
 *   offlineOnly?: boolean, holdLateScripts?: boolean, onPage?: (page: import('@playwright/test').Page) => Promise<unknown> }} options
 */
export async function visit(
  context,
  { url, expectedLength, timeoutMs, settleMs, offlineOnly, holdLateScripts, onPage },
) {
  const page = await context.newPage()
  const stopProfile = await onPage?.(page)
  page.on('console', (message) => {
    if (message.type() === 'error') console.error(`  console error: ${message.text()}`)
  })
  page.on('pageerror', (error) => console.error(`  page error: ${error.message}`))
  /** @type {Map<string, Promise<Buffer | null>>} */
  const bodies = new Map()
  page.on('response', (response) => {
    if (new URL(response.url()).pathname.endsWith('.js')) {
      bodies.set(
        response.url(),
        response.body().catch(() => null),
      )
    }
  })
  if (offlineOnly) await page.routeWebSocket(/.*/, () => {})
  /** @type {string[]} */
  const held = []
  let release = () => {}
  const editable = new Promise((resolve) => {
    release = resolve
  })
  if (holdLateScripts) {
    await page.route(/\.js(\?|$)/, async (route) => {
      const editorThere = await page
        .evaluate(() => document.querySelector('.cm-content') !== null)
        .catch(() => false)
      if (editorThere) {
        held.push(new URL(route.request().url()).pathname.split('/').pop())
        await editable
      }
      await route.continue()
    })
  }
  await page.addInitScript(probe, expectedLength)
  await page.goto(url)
  await page.waitForFunction(() => window.__bench?.editableAtMs != null, null, {
    timeout: timeoutMs,
    polling: 100,
  })
  release()
  await page.waitForTimeout(settleMs)
  const result = await page.evaluate(() => ({
    editorAtMs: window.__bench.editorAtMs,
    editableAtMs: window.__bench.editableAtMs,
    scriptsAtEditable: window.__bench.scriptsAtEditable,
    scriptsAll: window.__bench.scripts(),
    longTasks: window.__bench.longTasks,
    states: window.__bench.states,
  }))
  const size = async (scripts) => {
    let raw = 0
    let gzip = 0
    const files = []
    for (const { name } of scripts) {
      const body = await bodies.get(name)
      if (!body) continue
      raw += body.length
      const zipped = gzipSync(body).length
      gzip += zipped
      files.push({ file: new URL(name).pathname.split('/').pop(), gzip: zipped })
    }
    return { raw, gzip, files }
  }
  const atEditable = new Set(result.scriptsAtEditable.map(({ name }) => name))
  const later = result.scriptsAll.filter(({ name }) => !atEditable.has(name))
  const longest = result.longTasks.reduce((max, [, duration]) => Math.max(max, duration), 0)
  // A drop: the connection left `connected` after having reached it.
  const firstConnected = result.states.findIndex(([, state]) => state === 'connected')
  const drops =
    firstConnected === -1
      ? 0
      : result.states.slice(firstConnected + 1).filter(([, state]) => state !== 'connected').length
  return {
    page,
    stopProfile,
    editorMs: result.editorAtMs,
    syncedMs: result.states.find(([, state]) => state === 'connected')?.[0] ?? null,
    editableMs: result.editableAtMs,
    states: result.states,
    jsAtEditable: await size(result.scriptsAtEditable),
    jsLater: await size(later),
    held,
    longestTaskMs: longest,
    longTasksMs: result.longTasks.map(([, duration]) => duration),
    drops,
  }
}

// Keystroke-to-paint latency between two pages on one document: for each key, the time from the
// keydown in the typing page to the animation frame, in the other page, in which the character is
// first in the DOM (the frame that paints it). Both pages run in one browser on one machine, so
// `performance.timeOrigin + performance.now()` is one clock for both.

const KEY_TIMEOUT_MS = 10_000

/** In the typing page: the time of every keydown. */
function recordKeydowns() {
  window.__keydowns = []
  document.addEventListener(
    'keydown',
    () => window.__keydowns.push(performance.timeOrigin + performance.now()),
    { capture: true },
  )
}

/** In the watching page: `__arm()` notes the first line's length; `__painted` resolves once it grew. */
function installWatcher() {
  const content = document.querySelector('.cm-content')
  const firstLineLength = () => content.querySelector('.cm-line')?.textContent.length ?? 0
  window.__arm = () => {
    const before = firstLineLength()
    window.__painted = new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        if (firstLineLength() <= before) return
        observer.disconnect()
        // The callback runs before the next frame; that frame paints the character.
        requestAnimationFrame(() => resolve(performance.timeOrigin + performance.now()))
      })
      observer.observe(content, { subtree: true, childList: true, characterData: true })
    })
  }
}

export const quantile = (sorted, q) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]

/**
 * Types `keystrokes` characters (after `warmup` more) at the start of the document in `typist`,
 * one at a time, and times each until `watcher` paints it.
 * @param {import('@playwright/test').Page} typist
 * @param {import('@playwright/test').Page} watcher
 */
export async function measureKeystrokes(typist, watcher, { keystrokes, warmup = 10 }) {
  for (const page of [typist, watcher]) {
    await page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor()
  }
  await typist.evaluate(recordKeydowns)
  await watcher.evaluate(installWatcher)
  await typist.locator('.cm-content').click()
  await typist.keyboard.press('ControlOrMeta+Home')

  const samples = []
  for (let i = 0; i < warmup + keystrokes; i++) {
    await watcher.evaluate(() => window.__arm())
    const before = await typist.evaluate(() => window.__keydowns.length)
    await typist.keyboard.press('x')
    const painted = await watcher.evaluate(
      (timeoutMs) =>
        Promise.race([
          window.__painted,
          new Promise((_, reject) => setTimeout(() => reject(new Error('not painted')), timeoutMs)),
        ]),
      KEY_TIMEOUT_MS,
    )
    const keydown = await typist.evaluate((n) => window.__keydowns[n], before)
    if (i >= warmup) samples.push(painted - keydown)
  }
  const sorted = [...samples].sort((a, b) => a - b)
  return {
    keystrokes: samples.length,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted.at(-1),
  }
}

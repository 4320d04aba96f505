import { join } from 'node:path'
import type { DocPage } from '../fixtures/doc-page.js'
import { repoRoot } from '../fixtures/server.js'
import { expect, test } from '../fixtures/test.js'

// Two windows and the gap between them make a 1280×800 picture.
const viewport = { width: 634, height: 800 }

async function seedColor(person: DocPage, color: string): Promise<void> {
  await person.context.addInitScript(
    (identity) => {
      if (localStorage.getItem('tandem:identity') === null) {
        localStorage.setItem('tandem:identity', JSON.stringify(identity))
      }
    },
    { name: 'Someone', color, colorLight: `${color}33` },
  )
}

/**
 * Ada and Grace write a note together; each sees the other's labelled cursor. The picture of
 * both windows side by side is the README's screenshot: with UPDATE_SCREENSHOTS=1 it replaces
 * `docs/screenshot.png`, otherwise it goes to the test's output directory.
 */
/** What the note holds before they start; typed, a list would continue itself on Enter. */
const checklist = [
  '## Checklist',
  '',
  '- [x] Durable storage with *group commit*',
  '- [x] View-only links',
  '- [ ] Version history for everyone',
  '',
  '> Nothing acknowledged is ever lost.',
  '',
].join('\n')

test('README screenshot: two people writing a note together', async ({
  browser,
  server,
  newPerson,
}, testInfo) => {
  const seeded = await fetch(`${server.url}/api/docs/launch-plan/text`, {
    method: 'PUT',
    headers: { 'content-type': 'text/plain' },
    body: checklist,
  })
  expect(seeded.status).toBe(200)
  const ada = await newPerson({ label: 'Ada', viewport })
  const grace = await newPerson({ label: 'Grace', viewport })
  // Cosmetic only: two distinct cursor colours instead of random ones, through the app's stored
  // identity. Should that storage key change, the colours are random and the test still holds.
  await seedColor(ada, '#c2298a')
  await seedColor(grace, '#0d74ce')
  // The test has a server of its own, so the document can have a name fit for the README.
  await ada.open('launch-plan')
  await grace.open('launch-plan')
  await ada.setDisplayName('Ada')
  await grace.setDisplayName('Grace')

  await ada.expectTextToContain('ever lost.')
  await ada.content.click()
  await ada.page.keyboard.press('ControlOrMeta+Home')
  await ada.page.keyboard.type('# Launch plan\n\nShip the **sync server** on Monday.\n\n')
  await grace.expectTextToContain('on Monday.')
  await grace.typeAtEnd('\nThe web app follows, with *live cursors*.')
  await ada.expectTextToContain('with *live cursors*.')
  await expect.poll(async () => (await ada.text()) === (await grace.text())).toBe(true)

  // Grace selects "live cursors"; Ada selects "Monday".
  await grace.page.keyboard.press('ArrowLeft')
  await grace.page.keyboard.press('ArrowLeft')
  for (let i = 0; i < 'live cursors'.length; i++) await grace.page.keyboard.press('Shift+ArrowLeft')
  await ada.content.getByText('Monday', { exact: false }).click()
  await ada.page.keyboard.press('End')
  await ada.page.keyboard.press('ArrowLeft')
  for (let i = 0; i < 'Monday'.length; i++) await ada.page.keyboard.press('Shift+ArrowLeft')

  await expect(ada.cursorLabels).toHaveText(['Grace'])
  await expect(grace.cursorLabels).toHaveText(['Ada'])
  for (const label of [ada.cursorLabels, grace.cursorLabels]) {
    await expect(label).toBeVisible()
    await expect(label).not.toHaveCSS('opacity', '0')
  }
  // Each sees the other's selection, over the right words.
  const selected = (page: DocPage) =>
    page.editor
      .locator('.cm-ySelection')
      .allTextContents()
      .then((parts) => parts.join(''))
  await expect.poll(() => selected(ada)).toBe('live cursors')
  await expect.poll(() => selected(grace)).toBe('Monday')

  const shots = [
    await ada.page.screenshot({ animations: 'disabled' }),
    await grace.page.screenshot({ animations: 'disabled' }),
  ]

  const gapPx = 12
  const canvas = await browser.newContext({
    viewport: { width: viewport.width * 2 + gapPx, height: viewport.height },
  })
  try {
    const page = await canvas.newPage()
    const images = shots
      .map((png) => `<img alt="" src="data:image/png;base64,${png.toString('base64')}">`)
      .join('')
    await page.setContent(
      `<body style="margin:0;display:flex;gap:${gapPx}px;background:#d4d4d8">${images}</body>`,
    )
    await expect(page.locator('img')).toHaveCount(2)
    await page.waitForFunction(() => Array.from(document.images).every((img) => img.complete))
    const file =
      process.env.UPDATE_SCREENSHOTS === '1'
        ? join(repoRoot, 'docs/screenshot.png')
        : testInfo.outputPath('screenshot.png')
    await page.screenshot({ path: file })
    await testInfo.attach('screenshot', { path: file, contentType: 'image/png' })
  } finally {
    await canvas.close()
  }
})

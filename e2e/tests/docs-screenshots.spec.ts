import { join } from 'node:path'
import type { DocPage } from '../fixtures/doc-page.js'
import { repoRoot } from '../fixtures/server.js'
import { expect, test } from '../fixtures/test.js'

/**
 * The pictures in docs/: the home page, and a document with two people in the light and the dark
 * theme. With UPDATE_SCREENSHOTS=1 they replace the files in `docs/`; otherwise they go to the
 * test's output directory, so the flow still runs as a test.
 */
const target = (name: string, outputPath: (name: string) => string) =>
  process.env.UPDATE_SCREENSHOTS === '1' ? join(repoRoot, 'docs', name) : outputPath(name)

async function seedIdentity(person: DocPage, name: string, color: string): Promise<void> {
  await person.context.addInitScript(
    (identity) => {
      if (localStorage.getItem('tandem:identity') === null) {
        localStorage.setItem('tandem:identity', JSON.stringify(identity))
      }
    },
    { name, color, colorLight: `${color}33` },
  )
}

const note = [
  '# Launch plan',
  '',
  'Ship the **sync server** on Monday, then the web app.',
  '',
  '## Checklist',
  '',
  '- [x] Durable storage with *group commit*',
  '- [x] View-only links',
  '- [ ] Live preview for everyone',
  '',
  '> Nothing acknowledged is ever lost.',
  '',
  'Questions go to `#launch`.',
].join('\n')

test('docs screenshots: the home page', async ({ server, newPerson, openDoc }, testInfo) => {
  for (const [name, text] of [
    ['research/interviews', 'Notes'],
    ['team/retro-2024-05', 'Retro'],
    ['recipes', 'Soup'],
    ['launch-plan', note],
  ] as const) {
    const response = await fetch(`${server.url}/api/docs/${encodeURIComponent(name)}/text`, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: text,
    })
    expect(response.status).toBe(200)
  }
  await openDoc({ label: 'Grace', docName: 'launch-plan' })
  await openDoc({ label: 'Alan', docName: 'launch-plan' })

  const ada = await newPerson({ label: 'Ada', viewport: { width: 900, height: 900 } })
  await ada.page.emulateMedia({ colorScheme: 'light' })
  await ada.openHome()
  await expect(ada.page.getByTestId('doc-item')).toHaveCount(4)
  await expect(ada.page.getByTestId('doc-connected')).toHaveText('2 online')
  await ada.page.getByTestId('new-doc-name').focus()
  await ada.page.screenshot({
    path: target('home.png', (n) => testInfo.outputPath(n)),
    animations: 'disabled',
  })
})

for (const scheme of ['light', 'dark'] as const) {
  test(`docs screenshots: a document with two people, ${scheme}`, async ({
    server,
    newPerson,
  }, testInfo) => {
    const viewport = { width: 1280, height: 760 }
    const ada = await newPerson({ label: 'Ada', viewport })
    const grace = await newPerson({ label: 'Grace', viewport })
    await seedIdentity(ada, 'Ada Lovelace', '#c2298a')
    await seedIdentity(grace, 'Grace Hopper', '#0d74ce')
    for (const person of [ada, grace]) await person.page.emulateMedia({ colorScheme: scheme })
    const response = await fetch(`${server.url}/api/docs/launch-plan/text`, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: note,
    })
    expect(response.status).toBe(200)
    await ada.open('launch-plan')
    await grace.open('launch-plan')
    await grace.expectTextToContain('Questions go to')
    await ada.page.getByTestId('preview-toggle').click()
    await expect(ada.preview.locator('blockquote')).toBeVisible()

    // Grace selects "web app"; Ada's caret rests after "Monday".
    await grace.content.getByText('then the web app.').click()
    await grace.page.keyboard.press('End')
    await grace.page.keyboard.press('ArrowLeft')
    for (let i = 0; i < 'web app'.length; i++) await grace.page.keyboard.press('Shift+ArrowLeft')
    await ada.content.getByText('Questions go to').click()
    await ada.page.keyboard.press('End')
    await expect(ada.cursorLabels).toHaveText(['Grace Hopper'])
    await expect(ada.cursorLabels).toHaveCSS('opacity', '1')
    await expect(ada.person('Grace Hopper')).toBeVisible()

    await ada.page.screenshot({
      path: target(`document-${scheme}.png`, (n) => testInfo.outputPath(n)),
      animations: 'disabled',
    })
  })
}

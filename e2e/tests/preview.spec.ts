import type { DocPage } from '../fixtures/doc-page.js'
import { expect, test } from '../fixtures/test.js'

async function openPreview(person: DocPage): Promise<void> {
  const toggle = person.page.getByTestId('preview-toggle')
  await toggle.click()
  await expect(toggle).toHaveAttribute('aria-pressed', 'true')
  await expect(person.preview).toBeVisible()
}

test('the Markdown preview follows edits made on the other side', async ({ openDoc }) => {
  const ada = await openDoc({ label: 'Ada' })
  const grace = await openDoc({ label: 'Grace' })
  await openPreview(grace)

  // Enter in a list item starts the next item (CodeMirror's Markdown keymap).
  await ada.typeAtEnd('# Plans\n\nShip **soon**, then *rest*.\n\n- one\ntwo')
  await expect(grace.preview.getByRole('heading', { level: 1 })).toHaveText('Plans')
  await expect(grace.preview.locator('strong')).toHaveText('soon')
  await expect(grace.preview.locator('em')).toHaveText('rest')
  await expect(grace.preview.locator('li')).toHaveText(['one', 'two'])

  await ada.typeAtEnd('\nthree')
  await expect(grace.preview.locator('li')).toHaveText(['one', 'two', 'three'])

  // The preview stays open across a reload (remembered in this browser), and closes again.
  await grace.reload()
  await expect(grace.preview.getByRole('heading', { level: 1 })).toHaveText('Plans')
  await grace.page.getByTestId('preview-toggle').click()
  await expect(grace.preview).toHaveCount(0)
})

test('the preview renders hostile Markdown inert: no script runs, no handler, no javascript: link', async ({
  openDoc,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  const grace = await openDoc({ label: 'Grace' })
  const dialogs: string[] = []
  for (const person of [ada, grace]) {
    person.page.on('dialog', (dialog) => {
      dialogs.push(dialog.message())
      void dialog.dismiss()
    })
  }
  await openPreview(ada)
  await openPreview(grace)

  const hostile = [
    '# Hostile',
    '',
    '<script>alert("script")</script>',
    '',
    '<img src="x" onerror="alert(\'onerror\')">',
    '',
    '[click me](javascript:alert(1))',
    '',
    '<a href="javascript:alert(2)">raw link</a> <a href="JaVaScRiPt:alert(3)">mixed case</a>',
    '',
    '<iframe src="javascript:alert(4)"></iframe>',
    '',
    '<svg><script>alert(5)</script></svg> <math><mi xlink:href="javascript:alert(6)">m</mi></math>',
    '',
    '<div onclick="alert(7)" style="position:fixed;inset:0">cover</div>',
    '',
    '<form action="javascript:alert(8)"><button>send</button></form>',
    '',
    '![pixel](https://tracker.example/pixel.png)',
    '',
    '[fine](https://example.com/)',
    '',
    'The end.',
  ].join('\n')
  // Imported, so the text arrives whole and the editor does not auto-close brackets.
  await ada.page.getByTestId('import-file').setInputFiles({
    name: 'hostile.md',
    mimeType: 'text/markdown',
    buffer: Buffer.from(hostile),
  })
  await ada.page.getByTestId('confirm-accept').click()

  for (const person of [ada, grace]) {
    await expect(person.preview.locator('p').last()).toHaveText('The end.')
    const found = await person.preview.evaluate((root) => {
      const all = [...root.querySelectorAll('*')]
      return {
        scripts: root.querySelectorAll('script, iframe, svg, math, form, button, style').length,
        handlers: all.filter((el) => [...el.attributes].some((a) => /^on/i.test(a.name))).length,
        styles: all.filter((el) => el.hasAttribute('style')).length,
        javascriptUrls: all.filter((el) =>
          [...el.attributes].some((a) => /^\s*javascript:/i.test(a.value)),
        ).length,
        images: root.querySelectorAll('img').length,
        links: [...root.querySelectorAll('a')].map((a) => ({
          text: a.textContent,
          href: a.getAttribute('href'),
          rel: a.getAttribute('rel'),
        })),
      }
    })
    expect(found).toEqual({
      scripts: 0,
      handlers: 0,
      styles: 0,
      javascriptUrls: 0,
      // The remote image is shown as its alternative text and never fetched.
      images: 0,
      links: [
        { text: 'click me', href: null, rel: null },
        { text: 'fine', href: 'https://example.com/', rel: 'noopener noreferrer nofollow' },
      ],
    })
    // Raw HTML is shown as text; a remote image as its alternative text.
    await expect(person.preview.getByText('<script>alert("script")</script>')).toBeVisible()
    await expect(
      person.preview.getByText('<a href="javascript:alert(2)">raw link</a>'),
    ).toBeVisible()
    await expect(person.preview.getByText('[pixel]')).toBeVisible()
    // Clicking what is left does nothing either.
    await person.preview.getByText('click me').click()
    await person.preview.getByText('cover').click()
  }
  expect(dialogs).toEqual([])
  // The page's own globals were not reached.
  expect(await grace.page.evaluate(() => document.title)).toContain('Tandem')
})

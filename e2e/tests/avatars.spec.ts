import type { DocPage } from '../fixtures/doc-page.js'
import { expect, test } from '../fixtures/test.js'

/** A long document, so that its start and end are never on screen together. */
const longText = Array.from({ length: 150 }, (_, i) => `Line ${i + 1} of a long document.`).join(
  '\n',
)

async function seedLongText(person: DocPage): Promise<void> {
  await person.page.getByTestId('import-file').setInputFiles({
    name: 'long.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from(longText),
  })
  await person.page.getByTestId('confirm-accept').click()
  // The editor draws only the lines near the screen.
  await person.expectTextToContain('Line 1 of a long document.')
}

test('avatars show initials in the colour of each person and their name on hover; the tab title counts them', async ({
  openDoc,
  docName,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  await expect(ada.page).toHaveTitle(`${docName} · 1 here · Tandem`)
  const grace = await openDoc({ label: 'Grace' })
  await ada.setDisplayName('Ada Lovelace')
  await grace.setDisplayName('Grace Hopper')

  const avatar = ada.person('Grace Hopper').getByTestId('presence-avatar')
  await expect(avatar).toHaveText('GH')
  await expect(ada.person('Ada Lovelace').getByTestId('presence-avatar')).toHaveText('AL')
  await expect(ada.person('Grace Hopper')).toHaveAttribute('title', 'Grace Hopper')
  const graceColor = await grace
    .person('Grace Hopper')
    .getByTestId('presence-avatar')
    .evaluate((el) => getComputedStyle(el).backgroundColor)
  await expect(avatar).toHaveCSS('background-color', graceColor)

  await expect(ada.page).toHaveTitle(`${docName} · 2 here · Tandem`)
  await expect(grace.page).toHaveTitle(`${docName} · 2 here · Tandem`)
  await grace.close()
  await expect(ada.page).toHaveTitle(`${docName} · 1 here · Tandem`)
})

test("clicking an avatar scrolls to that person's cursor; follow keeps it in view until you act", async ({
  openDoc,
  stockClient,
  docName,
}) => {
  // What the server holds, read by a stock client: the editors draw only what is on screen.
  const server = await stockClient(docName)
  const serverText = () => server.text.toString()
  const ada = await openDoc({ label: 'Ada', viewport: { width: 1000, height: 600 } })
  const grace = await openDoc({ label: 'Grace', viewport: { width: 1000, height: 600 } })
  await ada.setDisplayName('Ada')
  await grace.setDisplayName('Grace')
  await seedLongText(grace)
  await expect.poll(serverText).toContain('Line 150 of a long document.')

  // Ada reads the top; Grace writes at the bottom.
  await ada.content.click()
  await ada.page.keyboard.press('ControlOrMeta+Home')
  await grace.content.click()
  await grace.page.keyboard.press('ControlOrMeta+End')
  await grace.page.keyboard.type(' Grace at the end.')
  await expect.poll(serverText).toContain('Grace at the end.')
  await expect(ada.cursorLabels).toHaveCount(0)
  const caret = ada.editor.locator('.cm-ySelectionCaret')
  await expect(caret).not.toBeInViewport()

  await ada.person('Grace').getByTestId('presence-show').click()
  await expect(caret).toBeInViewport()
  await expect(ada.cursorLabels).toHaveText(['Grace'])

  // Follow: Grace jumps to the top and types; Ada's editor goes along.
  await ada.content.click()
  await ada.page.keyboard.press('ControlOrMeta+End')
  await ada.page.keyboard.type(' Ada too.')
  await ada.person('Grace').getByTestId('presence-follow').click()
  await expect(ada.page.getByTestId('follow-status')).toContainText('Following Grace')
  await expect(ada.person('Grace').getByTestId('presence-follow')).toHaveAttribute(
    'aria-pressed',
    'true',
  )
  await grace.page.keyboard.press('ControlOrMeta+Home')
  await grace.page.keyboard.type('Grace at the top. ')
  await expect(caret).toBeInViewport()
  await expect(ada.content.getByText('Line 1 of a long document.')).toBeInViewport()

  await grace.page.keyboard.press('ControlOrMeta+End')
  await grace.page.keyboard.type(' Bottom again.')
  await expect(caret).toBeInViewport()
  await expect(ada.content.getByText('Line 1 of a long document.')).not.toBeInViewport()

  // Typing in her own editor stops following: Grace's moves no longer carry Ada along.
  await ada.content.press('ArrowDown')
  await expect(ada.page.getByTestId('follow-status')).toHaveCount(0)
  await expect(ada.person('Grace').getByTestId('presence-follow')).toHaveAttribute(
    'aria-pressed',
    'false',
  )
  await grace.page.keyboard.press('ControlOrMeta+Home')
  await grace.page.keyboard.type('Top once more. ')
  await expect.poll(serverText).toContain('Top once more.')
  await expect(caret).not.toBeInViewport()
})

test('a remote cursor label fades after a few seconds without moving and returns when they move', async ({
  openDoc,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  const grace = await openDoc({ label: 'Grace' })
  await grace.setDisplayName('Grace')
  await grace.typeAtEnd('Grace types.')
  const label = ada.cursorLabels
  await expect(label).toHaveText(['Grace'])
  await expect(label).toHaveCSS('opacity', '1')
  await expect(label).toHaveCSS('opacity', '0', { timeout: 15_000 })
  await grace.page.keyboard.press('ArrowLeft')
  await expect(label).toHaveCSS('opacity', '1')
})

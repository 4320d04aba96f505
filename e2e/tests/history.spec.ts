import { expect, test } from '../fixtures/test.js'

test('a named version is listed, previewed with its differences and restored for everyone', async ({
  openDoc,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  const grace = await openDoc({ label: 'Grace' })
  await ada.setDisplayName('Ada')
  await grace.setDisplayName('Grace')

  const draft = 'First draft of the plan.'
  await ada.typeAtEnd(draft)
  await grace.expectText(draft)

  // Ada names the text as it is now.
  await ada.page.getByTestId('history-button').click()
  const panel = ada.page.getByTestId('history-panel')
  await expect(panel).toBeVisible()
  await panel.getByLabel('Name the current text').fill('Draft one')
  await panel.getByTestId('save-version').click()
  const named = panel.getByTestId('history-item').filter({ hasText: 'Draft one' })
  await expect(named).toHaveCount(1)
  await expect(named).toHaveAttribute('data-version-id', /^\S+$/)
  // Who was editing: Ada wrote everything in it.
  await expect(named).toContainText('Ada')

  // Both write more.
  await ada.typeAtEnd(' Ada adds a sentence.')
  await ada.expectText(`${draft} Ada adds a sentence.`)
  await grace.typeAtStart('Grace: ')
  const changed = `Grace: ${draft} Ada adds a sentence.`
  await ada.expectText(changed)
  await grace.expectText(changed)

  // The preview shows the version's text, with what is only in the current text struck out.
  await named.click()
  const preview = ada.page.getByTestId('history-preview')
  await expect(preview).toBeVisible()
  await expect(named).toHaveAttribute('aria-current', 'true')
  const removed = preview.locator('del')
  await expect
    .poll(async () => (await removed.allTextContents()).join('|'), {
      message: 'the parts that restoring would remove',
    })
    .toMatch(/^Grace: \|.*Ada adds a sentence$/)
  await expect(preview.locator('ins')).toHaveCount(0)
  await expect(preview).toContainText(draft.slice(0, -1))
  await expect(ada.editor).toBeHidden()

  // Restore, after a confirmation.
  await preview.getByTestId('history-restore').click()
  const dialog = ada.page.getByTestId('confirm-dialog')
  await expect(dialog).toBeVisible()
  await expect(dialog).toContainText('Draft one')
  await dialog.getByTestId('confirm-accept').click()
  await expect(dialog).toBeHidden()

  // Both see the restored text, live; Ada is back in the editor.
  await expect(preview).toBeHidden()
  await expect(ada.editor).toBeVisible()
  await ada.expectText(draft)
  await grace.expectText(draft)
  // The text before the restore is kept as a version of its own.
  await expect(panel.getByTestId('history-item').first()).toContainText('Before a restore')
  await expect(ada.page.getByTestId('save-status')).toHaveText('Saved')

  // And it is what the server has: a newcomer with no copy of their own sees it.
  const newcomer = await openDoc({ label: 'newcomer' })
  await newcomer.expectText(draft)
})

test('the history panel works from the keyboard and closes with its button', async ({
  openDoc,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  await ada.typeAtEnd('Some text.')
  await ada.expectText('Some text.')

  const historyButton = ada.page.getByTestId('history-button')
  await historyButton.focus()
  await ada.page.keyboard.press('Enter')
  const panel = ada.page.getByTestId('history-panel')
  await expect(panel).toBeVisible()
  await expect(historyButton).toHaveAttribute('aria-expanded', 'true')

  // Type a name and press Enter in the field.
  await panel.getByLabel('Name the current text').focus()
  await ada.page.keyboard.type('By keyboard')
  await ada.page.keyboard.press('Enter')
  const item = panel.getByTestId('history-item').filter({ hasText: 'By keyboard' })
  await expect(item).toHaveCount(1)

  // Open its preview with the keyboard; Escape goes back to editing.
  await item.focus()
  await ada.page.keyboard.press('Enter')
  await expect(ada.page.getByTestId('history-preview')).toBeVisible()
  await expect(ada.page.getByTestId('history-preview')).toContainText('Same as the current text.')
  await expect(ada.page.getByTestId('history-restore')).toBeDisabled()
  await ada.page.keyboard.press('Escape')
  await expect(ada.page.getByTestId('history-preview')).toBeHidden()
  await expect(ada.editor).toBeVisible()

  await panel.getByRole('button', { name: 'Close version history' }).click()
  await expect(panel).toBeHidden()
  await expect(historyButton).toHaveAttribute('aria-expanded', 'false')
})

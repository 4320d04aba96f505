import { expect, test } from '../fixtures/test.js'

test('normal use logs no console warnings or errors', async ({ newPerson, openDoc, docName }) => {
  const ada = await newPerson({ label: 'Ada' })
  const messages: string[] = []
  ada.page.on('console', (message) => {
    if (message.type() === 'warning' || message.type() === 'error') {
      messages.push(`${message.type()}: ${message.text()}`)
    }
  })
  await ada.openHome()
  await expect(ada.page.getByTestId('doc-list')).toBeAttached()
  await ada.page.getByTestId('new-doc-name').fill(docName)
  await ada.page.getByTestId('create-doc').click()
  await ada.expectReady()
  const grace = await openDoc({ label: 'Grace' })
  await ada.typeAtEnd('# Title\n\nSome *text* and a [link](https://example.com).')
  await grace.expectTextToContain('Some *text*')
  await ada.page.getByTestId('preview-toggle').click()
  await expect(ada.preview.locator('h1')).toHaveText('Title')
  await ada.page.getByTestId('share-button').click()
  await expect(ada.page.getByTestId('share-view-link')).toHaveValue(/token=/)
  await ada.page.keyboard.press('Escape')
  await ada.page.getByTestId('history-button').click()
  await expect(ada.page.getByTestId('history-panel')).toBeVisible()
  await ada.page.getByTestId('theme-toggle').click()
  await ada
    .person(await grace.displayName.inputValue())
    .getByTestId('presence-follow')
    .click()
  await expect(ada.page.getByTestId('follow-status')).toBeVisible()
  await ada.page.getByTestId('stop-following').click()
  await ada.reload()
  expect(messages).toEqual([])
})

import { expect, test } from '../fixtures/test.js'

test('T40, T45: a link revoked from the share dialog disconnects its holder and is refused after', async ({
  openDoc,
  newPerson,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  await ada.setDisplayName('Ada')
  await ada.typeAtEnd('Shared notes.')

  // Opening the dialog makes a view-only link, which the list of active links shows.
  await ada.page.getByTestId('share-button').click()
  const dialog = ada.page.getByTestId('share-dialog')
  const field = dialog.getByTestId('share-view-link')
  await expect(field).toHaveValue(/\?token=/)
  const viewLink = await field.inputValue()
  const rows = dialog.getByTestId('share-link-row')
  await expect(rows).toHaveCount(1)
  await expect(rows.first()).toContainText('Guest')
  await expect(rows.first()).toContainText('view only')
  await ada.page.keyboard.press('Escape')
  await expect(dialog).toBeHidden()

  // The link's holder appears under the link's name, whatever name they choose.
  const grace = await newPerson({ label: 'Grace' })
  await grace.openUrl(viewLink)
  await grace.setDisplayName('Ada')
  await grace.expectText('Shared notes.')
  await expect(ada.person('Guest')).toBeVisible()

  // Revoking asks first, then disconnects the holder at once.
  await ada.page.getByTestId('share-button').click()
  await rows.first().getByTestId('share-link-revoke').click()
  const confirm = dialog.getByTestId('confirm-dialog')
  await expect(confirm).toBeVisible()
  await expect(confirm).toContainText('Guest')
  await confirm.getByTestId('confirm-accept').click()
  await expect(grace.page.getByRole('alert')).toContainText('access revoked (code 4403)')
  await expect(ada.person('Guest')).toHaveCount(0)
  // The dialog makes a new view-only link in place of the revoked one; the list shows only it.
  await expect(field).not.toHaveValue(viewLink)
  await expect(field).toHaveValue(/\?token=/)
  await expect(rows).toHaveCount(1)

  // Opened again, the revoked link is refused: the page never connects.
  grace.console.allowConnectionErrors()
  await grace.page.goto(viewLink)
  await expect(grace.content).toBeVisible()
  await grace.expectState('offline')
  await expect(ada.person('Guest')).toHaveCount(0)
})

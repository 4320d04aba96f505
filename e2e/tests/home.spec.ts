import { expect, test } from '../fixtures/test.js'

test('a document created on the home page opens and is listed among recent documents', async ({
  newPerson,
  docName,
}) => {
  const ada = await newPerson({ label: 'Ada' })
  await ada.openHome()
  await ada.page.getByTestId('new-doc-name').fill(docName)
  await ada.page.getByTestId('create-doc').click()
  await expect(ada.page).toHaveURL(`${ada.origin}/d/${docName}`)
  await ada.expectReady()
  await ada.typeAtEnd('Created on the home page.')

  await ada.page.goBack()
  const recent = ada.page.getByTestId('recent-docs')
  await expect(recent.getByRole('link', { name: docName })).toBeVisible()
  await recent.getByRole('link', { name: docName }).click()
  await expect(ada.page).toHaveURL(`${ada.origin}/d/${docName}`)
  await ada.expectReady()
  await ada.expectText('Created on the home page.')
})

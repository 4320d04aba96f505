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

test("the home page lists the server's documents newest first, filters them, and shows who is there", async ({
  server,
  newPerson,
  openDoc,
  docName,
}) => {
  const put = async (name: string, text: string) => {
    const response = await fetch(`${server.url}/api/docs/${encodeURIComponent(name)}/text`, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: text,
    })
    expect(response.status).toBe(200)
  }
  await put('alpha notes', 'first')
  await put('team/beta plan', 'second')
  await put(docName, 'third')
  // Someone is in the newest one.
  await openDoc({ label: 'Grace' })

  const ada = await newPerson({ label: 'Ada' })
  await ada.openHome()
  const items = ada.page.getByTestId('doc-list').getByTestId('doc-item')
  await expect(items).toHaveCount(3)
  await expect(items.first()).toHaveAttribute('data-name', docName)
  await expect(items.nth(2)).toHaveAttribute('data-name', 'alpha notes')
  await expect(items.first().getByTestId('doc-connected')).toHaveText('1 online')
  await expect(items.nth(1).getByTestId('doc-connected')).toHaveCount(0)
  await expect(items.first().locator('time')).toHaveText(/just now|minute/)

  const filter = ada.page.getByTestId('doc-filter')
  await filter.fill('BETA')
  await expect(items).toHaveCount(1)
  await expect(items.first()).toHaveAttribute('data-name', 'team/beta plan')
  await filter.fill('no such thing')
  await expect(items).toHaveCount(0)
  await expect(ada.page.getByText('No document matches')).toBeVisible()
  await filter.fill('')
  await expect(items).toHaveCount(3)

  await items.filter({ hasText: 'team/beta plan' }).getByRole('link').click()
  await expect(ada.page).toHaveURL(`${ada.origin}/d/team/beta%20plan`)
  await ada.expectReady()
  await ada.expectText('second')
})

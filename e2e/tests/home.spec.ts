import type { TandemServer } from '../fixtures/server.js'
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

/** Stores `text` as document `name` through the HTTP API. */
async function put(server: TandemServer, name: string, text: string): Promise<void> {
  const response = await fetch(`${server.url}/api/docs/${encodeURIComponent(name)}/text`, {
    method: 'PUT',
    headers: { 'content-type': 'text/plain' },
    body: text,
  })
  expect(response.status).toBe(200)
}

test("the home page lists the server's documents by name, filters them on the server, and shows who is there", async ({
  server,
  newPerson,
  openDoc,
  docName,
}) => {
  await put(server, 'team/beta plan', 'second')
  await put(server, 'alpha notes', 'first')
  await put(server, docName, 'third')
  // Someone is in one of them.
  await openDoc({ label: 'Grace' })

  const ada = await newPerson({ label: 'Ada' })
  await ada.openHome()
  const items = ada.page.getByTestId('doc-list').getByTestId('doc-item')
  await expect(items).toHaveCount(3)
  // By name, the server's order.
  await expect(items.nth(0)).toHaveAttribute('data-name', 'alpha notes')
  await expect(items.nth(1)).toHaveAttribute('data-name', docName)
  await expect(items.nth(2)).toHaveAttribute('data-name', 'team/beta plan')
  await expect(items.nth(1).getByTestId('doc-connected')).toHaveText('1 online')
  await expect(items.nth(0).getByTestId('doc-connected')).toHaveCount(0)
  await expect(items.nth(1).locator('time')).toHaveText(/just now|minute/)
  const status = ada.page.getByTestId('doc-list-status')
  await expect(status).toHaveText('3 documents.')
  await expect(ada.page.getByTestId('load-more-docs')).toHaveCount(0)

  const filter = ada.page.getByRole('searchbox', { name: 'Filter documents by name' })
  await filter.fill('BETA')
  await expect(items).toHaveCount(1)
  await expect(items.first()).toHaveAttribute('data-name', 'team/beta plan')
  await expect(status).toHaveText('1 document matches “BETA”.')
  await filter.fill('no such thing')
  await expect(items).toHaveCount(0)
  await expect(ada.page.getByText('No document matches “no such thing”.')).toBeVisible()
  await filter.fill('')
  await expect(items).toHaveCount(3)

  await items.filter({ hasText: 'team/beta plan' }).getByRole('link').click()
  await expect(ada.page).toHaveURL(`${ada.origin}/d/team/beta%20plan`)
  await ada.expectReady()
  await ada.expectText('second')
})

test('with more documents than a page: Load more reads the next page, and the filter asks the server, finding what is not loaded', async ({
  server,
  newPerson,
}) => {
  // 50 a page: 61 documents are two pages, and the last ones are not on the first.
  const names = Array.from({ length: 60 }, (_, i) => `bulk/doc-${String(i).padStart(2, '0')}`)
  for (const name of [...names, 'zz/Café menu']) await put(server, name, name)

  const ada = await newPerson({ label: 'Ada' })
  const asked: URLSearchParams[] = []
  ada.page.on('request', (request) => {
    const url = new URL(request.url())
    if (url.pathname === '/api/docs') asked.push(url.searchParams)
  })
  await ada.openHome()
  const items = ada.page.getByTestId('doc-list').getByTestId('doc-item')
  const status = ada.page.getByTestId('doc-list-status')
  await expect(items).toHaveCount(50)
  await expect(items.last()).toHaveAttribute('data-name', 'bulk/doc-49')
  await expect(status).toHaveText('Showing the first 50 documents; more on the server.')
  // One page asked for, not the whole store.
  expect(asked.map((q) => q.toString())).toEqual(['limit=50'])

  // Not loaded, yet found: the server filters (accents and case do not count).
  const filter = ada.page.getByRole('searchbox', { name: 'Filter documents by name' })
  await filter.fill('cafe MENU')
  await expect(items).toHaveCount(1)
  await expect(items.first()).toHaveAttribute('data-name', 'zz/Café menu')
  await expect(status).toHaveText('1 document matches “cafe MENU”.')
  expect(asked.at(-1)?.get('q')).toBe('cafe MENU')
  await filter.fill('')
  await expect(items).toHaveCount(50)

  // By keyboard: Load more adds the next page and moves the focus to its first row.
  const more = ada.page.getByRole('button', { name: 'Load more' })
  await more.focus()
  await ada.page.keyboard.press('Enter')
  await expect(items).toHaveCount(61)
  await expect(items.last()).toHaveAttribute('data-name', 'zz/Café menu')
  await expect(items.nth(50).getByRole('link')).toBeFocused()
  await expect(status).toHaveText('61 documents.')
  await expect(more).toHaveCount(0)
  expect(asked.at(-1)?.get('cursor')).toBe('bulk/doc-49')
})

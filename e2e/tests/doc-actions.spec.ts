import type { DocPage } from '../fixtures/doc-page.js'
import type { TandemServer } from '../fixtures/server.js'
import { expect, test } from '../fixtures/test.js'

/** Stores `text` as document `name` through the HTTP API. */
async function put(server: TandemServer, name: string, text: string): Promise<void> {
  const response = await fetch(`${server.url}/api/docs/${encodeURIComponent(name)}/text`, {
    method: 'PUT',
    headers: { 'content-type': 'text/plain' },
    body: text,
  })
  expect(response.status).toBe(200)
}

/** The row of `name` in the home page's list of documents. */
function row(person: DocPage, name: string) {
  return person.page
    .getByTestId('doc-list')
    .locator(`[data-testid="doc-item"][data-name="${name}"]`)
}

/**
 * Chromium logs every answer with an error status as a console error. A refusal the test asks
 * for is expected: exactly `count` such entries are taken off the page's list, the rest still
 * fail the test.
 */
function expectRefusalsLogged(person: DocPage, status: number, count: number): void {
  const errors = person.console.errors
  const refusals = errors.filter((e) => e.includes(`status of ${status}`))
  expect(refusals).toHaveLength(count)
  errors.splice(0, errors.length, ...errors.filter((e) => !refusals.includes(e)))
}

test('a document renamed on the home page opens under its new name with its text', async ({
  server,
  newPerson,
  docName,
}) => {
  await put(server, docName, 'Text that moves with the name.')
  const ada = await newPerson({ label: 'Ada' })
  await ada.openHome()
  await row(ada, docName)
    .getByRole('button', { name: `Rename ${docName}` })
    .click()

  const dialog = ada.page.getByRole('dialog', { name: `Rename “${docName}”` })
  await expect(dialog).toBeVisible()
  const input = dialog.getByRole('textbox', { name: 'New name' })
  await expect(input).toHaveValue(docName)
  // The name rules are checked as the user types.
  await input.fill('bad?name')
  await expect(dialog.getByTestId('doc-action-error')).toHaveText(
    'A name cannot contain ?, #, % or \\.',
  )
  await input.fill(`${docName}/renamed`)
  await expect(dialog.getByTestId('doc-action-error')).toHaveCount(0)
  await input.press('Enter')

  await expect(dialog).toBeHidden()
  await expect(ada.page.getByTestId('doc-notice')).toHaveText(
    new RegExp(`Renamed “${docName}” to “${docName}/renamed”`),
  )
  await expect(row(ada, docName)).toHaveCount(0)
  await row(ada, `${docName}/renamed`).getByRole('link').click()
  await expect(ada.page).toHaveURL(`${ada.origin}/d/${docName}/renamed`)
  await ada.expectReady()
  await ada.expectText('Text that moves with the name.')
})

test('delete asks for confirmation, and Cancel or Escape keeps the document', async ({
  server,
  newPerson,
  docName,
}) => {
  await put(server, docName, 'Still here.')
  const ada = await newPerson({ label: 'Ada' })
  await ada.openHome()
  const deleteButton = row(ada, docName).getByRole('button', { name: `Delete ${docName}` })
  await deleteButton.click()
  const dialog = ada.page.getByRole('dialog', { name: `Delete “${docName}”?` })
  await expect(dialog).toBeVisible()
  // The safe choice has the focus.
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused()
  await dialog.getByRole('button', { name: 'Cancel' }).click()
  await expect(dialog).toBeHidden()
  await expect(deleteButton).toBeFocused()

  // By keyboard alone: the button opens the dialog, Escape closes it.
  await ada.page.keyboard.press('Enter')
  await expect(dialog).toBeVisible()
  await ada.page.keyboard.press('Escape')
  await expect(dialog).toBeHidden()

  await ada.page.reload()
  await expect(row(ada, docName)).toBeVisible()
  const text = await fetch(`${server.url}/api/docs/${docName}/text`)
  expect(await text.text()).toBe('Still here.')
})

test('delete is refused while the document is open elsewhere; once closed it is deleted, and Restore brings it back', async ({
  server,
  newPerson,
  openDoc,
  docName,
}) => {
  const grace = await openDoc({ label: 'Grace' })
  await grace.typeAtEnd('Written by Grace.')
  await expect
    .poll(async () => (await fetch(`${server.url}/api/docs/${docName}/text`)).text())
    .toBe('Written by Grace.')

  const ada = await newPerson({ label: 'Ada' })
  await ada.openHome()
  await row(ada, docName)
    .getByRole('button', { name: `Delete ${docName}` })
    .click()
  const dialog = ada.page.getByRole('dialog', { name: `Delete “${docName}”?` })
  await dialog.getByRole('button', { name: 'Delete' }).click()
  await expect(dialog.getByRole('alert')).toHaveText(
    `“${docName}” is open in another tab or by someone else. Close it there first, then delete it.`,
  )
  expectRefusalsLogged(ada, 409, 1)
  await expect(dialog.getByRole('button', { name: 'Delete' })).toBeEnabled()

  // Grace leaves; once the server has seen her connection close, it can go.
  await grace.close()
  await expect
    .poll(async () => {
      const answer = await fetch(`${server.url}/api/docs?prefix=${encodeURIComponent(docName)}`)
      const { documents } = (await answer.json()) as {
        documents: { name: string; connected: number }[]
      }
      return documents.find((d) => d.name === docName)?.connected
    })
    .toBe(0)
  await dialog.getByRole('button', { name: 'Delete' }).click()
  await expect(dialog).toBeHidden()
  await expect(row(ada, docName)).toHaveCount(0)
  const notice = ada.page.getByTestId('doc-notice')
  await expect(notice).toContainText(`Deleted “${docName}”. It can be restored for 30 days.`)
  const restore = notice.getByRole('button', { name: 'Restore' })
  await expect(restore).toBeFocused()
  expect((await fetch(`${server.url}/api/docs/${docName}/text`)).status).toBe(404)

  await restore.click()
  await expect(notice).toHaveText(new RegExp(`Restored “${docName}”`))
  await row(ada, docName).getByRole('link').click()
  await ada.expectReady()
  await ada.expectText('Written by Grace.')
})

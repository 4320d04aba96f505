import { readFile } from 'node:fs/promises'
import type { DocPage } from '../fixtures/doc-page.js'
import { expect, test } from '../fixtures/test.js'

/** Downloads the text through the File menu entry `testId`. */
async function exported(person: DocPage, testId: string): Promise<{ name: string; text: string }> {
  const download = person.page.waitForEvent('download')
  await person.page.locator('summary', { hasText: 'File' }).click()
  await person.page.getByTestId(testId).click()
  const file = await download
  return { name: file.suggestedFilename(), text: await readFile(await file.path(), 'utf8') }
}

/**
 * A text file to drop on `person`'s editor: each call of the result drops it, as a browser
 * does (dragover, then drop).
 */
async function fileDrop(person: DocPage, name: string, text: string): Promise<() => Promise<void>> {
  const transfer = await person.page.evaluateHandle(
    (file) => {
      const data = new DataTransfer()
      data.items.add(new File([file.text], file.name, { type: 'text/plain' }))
      return data
    },
    { name, text },
  )
  return async () => {
    await person.content.dispatchEvent('dragover', { dataTransfer: transfer })
    await person.content.dispatchEvent('drop', { dataTransfer: transfer })
  }
}

test('the text downloads as .md and .txt', async ({ openDoc, docName }) => {
  const ada = await openDoc({ label: 'Ada' })
  await ada.typeAtEnd('# Notes\n\nExported as it stands.')
  const text = '# Notes\n\nExported as it stands.'
  await ada.expectText(text)

  expect(await exported(ada, 'export-md')).toEqual({ name: `${docName}.md`, text })
  expect(await exported(ada, 'export-txt')).toEqual({ name: `${docName}.txt`, text })
})

test('an imported file replaces the text for everyone, and its importer can undo it', async ({
  openDoc,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  const grace = await openDoc({ label: 'Grace' })
  await ada.typeAtEnd('The old text.')
  await grace.expectText('The old text.')

  const imported = '# Imported\n\nA whole new text,\r\nwith Windows line breaks.\n'
  await ada.page.getByTestId('import-file').setInputFiles({
    name: 'notes.md',
    mimeType: 'text/markdown',
    buffer: Buffer.from(imported),
  })
  const dialog = ada.page.getByTestId('confirm-dialog')
  await expect(dialog).toBeVisible()
  await expect(dialog).toContainText('notes.md')
  await dialog.getByTestId('confirm-accept').click()
  await expect(dialog).toBeHidden()

  const expected = '# Imported\n\nA whole new text,\nwith Windows line breaks.\n'
  await ada.expectText(expected)
  await grace.expectText(expected)

  // One edit: one undo brings the old text back, for both.
  await ada.content.focus()
  await ada.page.keyboard.press('ControlOrMeta+z')
  await ada.expectText('The old text.')
  await grace.expectText('The old text.')
  await expect(ada.page.getByTestId('save-status')).toHaveText('Saved')
})

test('a file dropped on the editor asks first, and Cancel leaves the text alone', async ({
  openDoc,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  await ada.typeAtEnd('Keep me.')
  await ada.expectText('Keep me.')

  const drop = await fileDrop(ada, 'dropped.txt', 'Dropped text.')
  await drop()

  const dialog = ada.page.getByTestId('confirm-dialog')
  await expect(dialog).toBeVisible()
  await expect(dialog).toContainText('dropped.txt')
  await ada.page.keyboard.press('Escape')
  await expect(dialog).toBeHidden()
  await ada.expectText('Keep me.')

  // Dropped again and confirmed, it replaces the text (and CodeMirror did not insert it too).
  await drop()
  await dialog.getByTestId('confirm-accept').click()
  await ada.expectText('Dropped text.')
})

test('a file dropped again before the dialog has sent its close event is asked about', async ({
  openDoc,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  await ada.typeAtEnd('Keep me.')
  await ada.expectText('Keep me.')
  const drop = await fileDrop(ada, 'dropped.txt', 'Dropped text.')
  // Escape closes the dialog at once; its `close` event comes a frame later, which on a busy
  // machine can be after the next drop. Held back, it certainly is.
  const releaseCloseEvents = await ada.holdDialogCloseEvents()

  await drop()
  const dialog = ada.page.getByTestId('confirm-dialog')
  await expect(dialog).toBeVisible()
  await ada.page.keyboard.press('Escape')
  await expect(dialog).toBeHidden()
  await drop()
  await expect(dialog).toBeVisible()

  // The first dialog's late `close` does not cancel the second question.
  await releaseCloseEvents()
  await expect(dialog).toBeVisible()
  await dialog.getByTestId('confirm-accept').click()
  await ada.expectText('Dropped text.')
})

test('a file that is not text is refused with a message', async ({ openDoc }) => {
  const ada = await openDoc({ label: 'Ada' })
  await ada.typeAtEnd('Unchanged.')
  await ada.page.getByTestId('import-file').setInputFiles({
    name: 'binary.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from([0x00, 0xff, 0xfe, 0x00]),
  })
  await expect(ada.page.getByRole('alert')).toContainText('binary.txt')
  await expect(ada.page.getByTestId('confirm-dialog')).toBeHidden()
  await ada.expectText('Unchanged.')
})

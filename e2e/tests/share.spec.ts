import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { DocPage } from '../fixtures/doc-page.js'
import { repoRoot, TandemServer } from '../fixtures/server.js'
import { expect, test } from '../fixtures/test.js'

const run = promisify(execFile)

/** A token minted with the server's own CLI, signed with `secret`. */
async function mintToken(secret: string, doc: string, mode: 'edit' | 'view'): Promise<string> {
  const cli = join(repoRoot, 'apps/sync-server/dist/cli.js')
  const { stdout } = await run(process.execPath, [cli, 'token', '--doc', doc, '--mode', mode], {
    env: { PATH: process.env.PATH ?? '', AUTH_SECRET: secret },
  })
  return stdout.trim()
}

/** Opens the share dialog and returns its view-only link once the server has made it. */
async function viewLinkOf(person: DocPage): Promise<string> {
  await person.page.getByTestId('share-button').click()
  const dialog = person.page.getByTestId('share-dialog')
  await expect(dialog).toBeVisible()
  const field = dialog.getByTestId('share-view-link')
  await expect(field).toHaveValue(/\?token=/)
  return field.inputValue()
}

/** Checks that `viewer` shows the document read-only while `editor` edits it. */
async function expectViewOnly(viewer: DocPage, editor: DocPage): Promise<void> {
  await expect(viewer.page.getByTestId('view-only-badge')).toBeVisible()
  await expect(viewer.content).toHaveAttribute('contenteditable', 'false')
  await expect(viewer.page.getByTestId('save-status')).toHaveText('Up to date')

  // Typing in the view-only page changes nothing, there or for the editor.
  const before = await editor.text()
  await viewer.content.click()
  await viewer.page.keyboard.type('viewer typed this')
  await viewer.page.keyboard.press('Enter')
  await editor.typeAtEnd(' (edited on)')
  await viewer.expectText(`${before} (edited on)`)
  await editor.expectText(`${before} (edited on)`)

  // The viewer still sees the editor's cursor, and is listed among the people present, under
  // the link's name, not the one the viewer chose (T40).
  await expect(viewer.cursorLabels).toHaveText(['Ada'])
  await expect(editor.person('Guest')).toBeVisible()
  await expect(viewer.person('Ada')).toBeVisible()

  // Restoring a version and importing a file are not offered.
  await viewer.page.getByTestId('history-button').click()
  await expect(viewer.page.getByTestId('history-panel')).toBeVisible()
  await expect(viewer.page.getByTestId('save-version')).toBeHidden()
  await viewer.page.locator('summary', { hasText: 'File' }).click()
  await expect(viewer.page.getByTestId('export-md')).toBeVisible()
  await expect(viewer.page.getByRole('button', { name: 'Import a file…' })).toBeHidden()
}

test('the share dialog copies the edit link and a view-only link that opens the document read-only', async ({
  openDoc,
  newPerson,
  docName,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  await ada.setDisplayName('Ada')
  await ada.typeAtEnd('Shared notes.')
  await ada.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ada.origin })

  const viewLink = await viewLinkOf(ada)
  const dialog = ada.page.getByTestId('share-dialog')
  // In open mode the edit link is the page's own address, without a token.
  await expect(dialog.getByTestId('share-edit-link')).toHaveValue(`${ada.origin}/d/${docName}`)
  expect(viewLink.startsWith(`${ada.origin}/d/${docName}?token=`)).toBe(true)

  const clipboard = () => ada.page.evaluate(() => navigator.clipboard.readText())
  await dialog.getByTestId('share-edit-link-copy').click()
  await expect(dialog.getByTestId('share-edit-link-copy')).toHaveText('Copied')
  expect(await clipboard()).toBe(`${ada.origin}/d/${docName}`)
  await dialog.getByTestId('share-view-link-copy').click()
  await expect(dialog.getByTestId('share-view-link-copy')).toHaveText('Copied')
  expect(await clipboard()).toBe(viewLink)
  await ada.page.keyboard.press('Escape')
  await expect(dialog).toBeHidden()

  const grace = await newPerson({ label: 'Grace' })
  await grace.openUrl(viewLink)
  await grace.setDisplayName('Grace')
  await grace.expectText('Shared notes.')
  await expectViewOnly(grace, ada)

  // A view-only page shares only its own, view-only address.
  await grace.page.keyboard.press('Escape')
  await grace.page.getByTestId('share-button').click()
  const graceDialog = grace.page.getByTestId('share-dialog')
  await expect(graceDialog.getByTestId('share-edit-link')).toHaveCount(0)
  await expect(graceDialog.getByTestId('share-view-link')).toHaveValue(viewLink)
})

test('the share dialog opens again at once after Escape closed it', async ({ openDoc }) => {
  const ada = await openDoc({ label: 'Ada' })
  // Escape closes the dialog at once; its `close` event comes a frame later, which on a busy
  // machine can be after the next click. Held back, it certainly is.
  const releaseCloseEvents = await ada.holdDialogCloseEvents()
  const share = ada.page.getByTestId('share-button')
  const dialog = ada.page.getByTestId('share-dialog')

  await share.click()
  await expect(dialog.getByTestId('share-view-link')).toHaveValue(/\?token=/)
  await ada.page.keyboard.press('Escape')
  await expect(dialog).toBeHidden()
  await share.click()
  await expect(dialog).toBeVisible()

  // The first closing's late `close` does not close it again.
  await releaseCloseEvents()
  await expect(dialog).toBeVisible()
  await ada.page.keyboard.press('Escape')
  await expect(dialog).toBeHidden()
})

test('with AUTH_MODE=token, an edit link shares a view-only link made with its own token', async ({
  newPerson,
  docName,
}) => {
  const secret = randomBytes(32).toString('base64')
  const server = await TandemServer.start({ env: { AUTH_MODE: 'token', AUTH_SECRET: secret } })
  const people: DocPage[] = []
  try {
    const editToken = await mintToken(secret, docName, 'edit')
    const editUrl = `${server.url}/d/${docName}?token=${encodeURIComponent(editToken)}`
    const ada = await newPerson({ label: 'Ada', origin: server.url })
    people.push(ada)
    await ada.openUrl(editUrl)
    await ada.setDisplayName('Ada')
    await expect(ada.page.getByTestId('view-only-badge')).toHaveCount(0)
    await ada.typeAtEnd('Behind tokens.')
    await expect(ada.page.getByTestId('save-status')).toHaveText('Saved')

    // The history API takes the page's token too.
    await ada.page.getByTestId('history-button').click()
    await expect(ada.page.getByTestId('history-panel')).toBeVisible()
    await expect(ada.page.getByTestId('history-panel').getByRole('alert')).toHaveCount(0)
    await ada.page.getByTestId('history-button').click()

    const viewLink = await viewLinkOf(ada)
    await expect(ada.page.getByTestId('share-edit-link')).toHaveValue(editUrl)
    await ada.page.keyboard.press('Escape')

    const grace = await newPerson({ label: 'Grace', origin: server.url })
    people.push(grace)
    await grace.openUrl(viewLink)
    await grace.setDisplayName('Grace')
    await grace.expectText('Behind tokens.')
    await expectViewOnly(grace, ada)
  } finally {
    // The pages go first, so that they do not see the server go away.
    for (const person of people) await person.close()
    await server.dispose()
  }
})

test('a link whose token has expired says so instead of trying to connect', async ({
  newPerson,
  docName,
}) => {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const expired = `${part({ alg: 'HS256' })}.${part({ doc: docName, mode: 'view', exp: 1 })}.c2ln`
  const ada = await newPerson({ label: 'Ada' })
  await ada.page.goto(`${ada.origin}/d/${docName}?token=${expired}`)
  await expect(ada.page.getByRole('heading', { name: 'This link has expired' })).toBeVisible()
  await expect(ada.editor).toHaveCount(0)
})

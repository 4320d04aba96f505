import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { DocPage } from '../fixtures/doc-page.js'
import { expect, test } from '../fixtures/test.js'

/** A real 2×2 PNG (so the browser decodes it and gives it a size). */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAFklEQVR42mP8z8DwnwEJMDIwMDAwAAA6vwQBnJ+TSwAAAABJRU5ErkJggg==',
  'base64',
)
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

async function openPreview(person: DocPage): Promise<void> {
  await person.page.getByTestId('preview-toggle').click()
  await expect(person.preview).toBeVisible()
}

/** Pastes a file into the editor as the clipboard would (a screenshot, a copied file). */
async function pasteFile(person: DocPage, name: string, type: string, bytes: Buffer) {
  await person.content.click()
  await person.page.keyboard.press('ControlOrMeta+End')
  await person.content.evaluate(
    (content, { name, type, base64 }) => {
      const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
      const transfer = new DataTransfer()
      transfer.items.add(new File([data], name, { type }))
      content.dispatchEvent(
        new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }),
      )
    },
    { name, type, base64: bytes.toString('base64') },
  )
}

/** Drops a file on the editor's area at the end of the text. */
async function dropFile(person: DocPage, name: string, type: string, bytes: Buffer) {
  const box = await person.content.boundingBox()
  if (box === null) throw new Error('the editor is not shown')
  await person.editor.evaluate(
    (main, { name, type, base64, x, y }) => {
      const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
      const transfer = new DataTransfer()
      transfer.items.add(new File([data], name, { type }))
      const init = {
        dataTransfer: transfer,
        bubbles: true,
        cancelable: true,
        clientX: x,
        clientY: y,
      }
      main.dispatchEvent(new DragEvent('dragover', init))
      main.dispatchEvent(new DragEvent('drop', init))
    },
    { name, type, base64: bytes.toString('base64'), x: box.x + 5, y: box.y + box.height - 5 },
  )
}

test('F16: an image pasted into one page shows a placeholder to everyone at once, then the image in the other page’s preview', async ({
  openDoc,
  docName,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  const grace = await openDoc({ label: 'Grace' })
  await openPreview(grace)
  await ada.typeAtEnd('Meeting notes\n')

  // Hold the upload until Grace has seen the placeholder.
  let release = () => {}
  const released = new Promise<void>((resolve) => {
    release = resolve
  })
  await ada.page.route('**/files?**', async (route) => {
    await released
    await route.continue()
  })
  await pasteFile(ada, 'screenshot.png', 'image/png', PNG)
  await grace.expectTextToContain('![Uploading screenshot.png…](tandem-upload:')
  await expect(ada.page.getByTestId('upload-progress')).toContainText('screenshot.png')
  release()

  const hash = sha256(PNG)
  const markdown = `![screenshot.png](/api/docs/${docName}/files/${hash})`
  await grace.expectTextToContain(markdown)
  await ada.expectTextToContain(markdown)
  await expect(ada.page.getByTestId('upload-progress')).toHaveCount(0)
  const image = grace.preview.locator('img')
  await expect(image).toHaveAttribute('src', `/api/docs/${docName}/files/${hash}`)
  await expect(image).toHaveAttribute('loading', 'lazy')
  await expect
    .poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
    .toBe(2)
  await expect(grace.editor).not.toContainText('tandem-upload:')

  // It survives a reload, and the history's rendered preview shows it too.
  await grace.reload()
  await expect(grace.preview.locator('img')).toHaveAttribute('alt', 'screenshot.png')
  await grace.page.getByTestId('history-button').click()
  const panel = grace.page.getByTestId('history-panel')
  await panel.getByLabel('Name the current text').fill('With the screenshot')
  await panel.getByTestId('save-version').click()
  await panel.getByTestId('history-item').filter({ hasText: 'With the screenshot' }).click()
  const version = grace.page.getByTestId('history-preview')
  await version.getByTestId('history-rendered').click()
  const rendered = version.getByTestId('history-rendered-body').locator('img')
  await expect(rendered).toHaveAttribute('src', `/api/docs/${docName}/files/${hash}`)
  await expect
    .poll(() => rendered.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
    .toBe(2)
})

test('F16: a dropped file that is no image becomes a link to download it; a dropped image an image', async ({
  openDoc,
  docName,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  const grace = await openDoc({ label: 'Grace' })
  await openPreview(grace)
  await ada.typeAtEnd('See ')
  const pdf = Buffer.from('%PDF-1.7\n% a report\n')
  await dropFile(ada, 'report.pdf', 'application/pdf', pdf)
  const url = `/api/docs/${docName}/files/${sha256(pdf)}`
  await grace.expectTextToContain(`[report.pdf](${url})`)
  const link = grace.preview.getByRole('link', { name: 'report.pdf' })
  await expect(link).toHaveAttribute('href', url)
  // Served as a download, never inline.
  const response = await grace.page.request.get(`${grace.origin}${url}`)
  expect(response.headers()['content-disposition']).toMatch(/^attachment;/)
  expect(response.headers()['content-type']).toBe('application/octet-stream')

  // An image dropped goes in as an image.
  await dropFile(ada, 'dot.png', 'image/png', PNG)
  await expect(grace.preview.locator('img')).toHaveAttribute('alt', 'dot.png')
})

test('F16: a failed upload says why and leaves nothing behind in the text', async ({ openDoc }) => {
  const ada = await openDoc({ label: 'Ada' })
  await ada.typeAtEnd('Before.')
  // Claims to be a PNG; its bytes are not: the server refuses it (415).
  await pasteFile(ada, 'fake.png', 'image/png', Buffer.from('not an image at all'))
  await expect(ada.page.getByRole('alert')).toContainText(
    'Could not upload fake.png: The body is not image/png.',
  )
  await ada.expectText('Before.')
  // The browser reports the refused request on the console; that one error is expected.
  await expect.poll(() => ada.console.errors.length).toBe(1)
  expect(ada.console.errors[0]).toContain('415')
  ada.console.errors.splice(0)
})

test('F18: a view-only page shows the document’s images but cannot upload', async ({
  openDoc,
  newPerson,
  server,
  docName,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  await ada.typeAtEnd('Diagram:\n')
  await pasteFile(ada, 'diagram.png', 'image/png', PNG)
  await ada.expectTextToContain(`/files/${sha256(PNG)})`)

  const minted = await fetch(`${server.url}/api/docs/${docName}/links`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode: 'view' }),
  })
  expect(minted.status).toBe(201)
  const { link } = (await minted.json()) as { link: { token: string } }
  const viewer = await newPerson({ label: 'Viewer' })
  await viewer.openUrl(`${server.url}/d/${docName}?token=${encodeURIComponent(link.token)}`)
  await openPreview(viewer)
  // The image is fetched with the page's token (an <img> cannot send a header).
  const image = viewer.preview.locator('img')
  await expect(image).toHaveAttribute('src', /\?token=/)
  await expect
    .poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
    .toBe(2)

  // No upload in the File menu, and a paste sends nothing.
  await viewer.page.locator('summary', { hasText: 'File' }).click()
  await expect(viewer.page.getByTestId('insert-file-button')).toBeHidden()
  const uploads: string[] = []
  viewer.page.on('request', (request) => {
    if (request.method() === 'POST' && request.url().includes('/files')) uploads.push(request.url())
  })
  const before = await viewer.text()
  await viewer.content.evaluate((content, base64) => {
    const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
    const transfer = new DataTransfer()
    transfer.items.add(new File([data], 'sneaky.png', { type: 'image/png' }))
    content.dispatchEvent(
      new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }),
    )
  }, PNG.toString('base64'))
  // Ada types after the paste: once her words arrive, the paste has had every chance to act.
  await ada.typeAtEnd('\nThe end.')
  await viewer.expectTextToContain('The end.')
  expect(await viewer.text()).toBe(`${before}\nThe end.`)
  expect(uploads).toEqual([])
  await expect(viewer.page.getByTestId('upload-progress')).toHaveCount(0)
})

test('F20: an image pasted while offline is kept in the browser, shown from there, and uploaded when the connection returns', async ({
  openDoc,
  startProxy,
  docName,
}) => {
  const proxy = await startProxy()
  const ada = await openDoc({ label: 'Ada', origin: proxy.url })
  const grace = await openDoc({ label: 'Grace' })
  await openPreview(ada)
  await openPreview(grace)
  await ada.typeAtEnd('Offline picture:\n')
  await grace.expectTextToContain('Offline picture:')

  ada.console.allowConnectionErrors()
  proxy.cut()
  await ada.expectState('offline')
  await pasteFile(ada, 'offline.png', 'image/png', PNG)
  await expect(ada.page.getByRole('status').filter({ hasText: 'will be uploaded' })).toBeVisible()
  // Shown from the copy this browser keeps.
  const local = ada.preview.locator('img')
  await expect(local).toHaveAttribute('src', /^blob:/)
  await expect
    .poll(() => local.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
    .toBe(2)
  // Kept in IndexedDB, not only in memory.
  expect(
    await ada.page.evaluate(
      () =>
        new Promise<number>((resolve, reject) => {
          const open = indexedDB.open('tandem-uploads')
          open.onerror = () => reject(open.error)
          open.onsuccess = () => {
            const count = open.result.transaction('pending').objectStore('pending').count()
            count.onsuccess = () => resolve(count.result)
          }
        }),
    ),
  ).toBe(1)
  expect(await grace.text()).not.toContain('offline.png')

  proxy.restore()
  await ada.expectState('connected')
  const url = `/api/docs/${docName}/files/${sha256(PNG)}`
  await grace.expectTextToContain(`![offline.png](${url})`)
  await expect(grace.preview.locator('img')).toHaveAttribute('src', url)
  await expect(ada.preview.locator('img')).toHaveAttribute('src', url)
  await ada.expectTextToContain(`![offline.png](${url})`)
  expect(await ada.text()).not.toContain('tandem-upload:')
})

test('F20: a file whose upload failed on the network is kept and sent after the page is reloaded', async ({
  openDoc,
  docName,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  const grace = await openDoc({ label: 'Grace' })
  await openPreview(grace)
  // The network fails this upload (the page itself stays connected).
  await ada.page.route('**/files?**', (route) => route.abort('internetdisconnected'))
  const png = Buffer.concat([PNG, Buffer.from('kept')])
  await pasteFile(ada, 'kept.png', 'image/png', png)
  await expect(ada.page.getByRole('status').filter({ hasText: 'will be uploaded' })).toBeVisible()
  await grace.expectTextToContain('![Uploading kept.png…](tandem-upload:')
  // The browser reports the failed request on the console; that one error is expected.
  await expect.poll(() => ada.console.errors.length).toBe(1)
  ada.console.errors.splice(0)

  await ada.page.unroute('**/files?**')
  await ada.reload()
  const url = `/api/docs/${docName}/files/${sha256(png)}`
  await grace.expectTextToContain(`![kept.png](${url})`)
  await expect(grace.preview.locator('img')).toHaveAttribute('src', url)
  expect(await grace.text()).not.toContain('tandem-upload:')
})

test('F21: a document downloaded with its files (.zip) imports into another document with its images', async ({
  openDoc,
  docName,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  await ada.typeAtEnd('# Trip\n\n')
  await pasteFile(ada, 'beach.png', 'image/png', PNG)
  const hash = sha256(PNG)
  await ada.expectTextToContain(`![beach.png](/api/docs/${docName}/files/${hash})`)

  const download = ada.page.waitForEvent('download')
  await ada.page.locator('summary', { hasText: 'File' }).click()
  await ada.page.getByTestId('export-zip').click()
  const file = await download
  expect(file.suggestedFilename()).toBe(`${docName}.zip`)
  const zip = await readFile(await file.path())
  // The archive holds the image's bytes as they are (stored).
  expect(zip.includes(PNG)).toBe(true)

  const copyName = `${docName}-copy`
  const grace = await openDoc({ label: 'Grace', docName: copyName })
  await openPreview(grace)
  await grace.page
    .getByTestId('import-file')
    .setInputFiles({ name: `${docName}.zip`, mimeType: 'application/zip', buffer: zip })
  const dialog = grace.page.getByTestId('confirm-dialog')
  await dialog.getByTestId('confirm-accept').click()
  await grace.expectTextToContain(`![beach.png](/api/docs/${copyName}/files/${hash})`)
  await grace.expectTextToContain('# Trip')
  const image = grace.preview.locator('img')
  await expect(image).toHaveAttribute('src', `/api/docs/${copyName}/files/${hash}`)
  await expect
    .poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
    .toBe(2)
})

import type { Page } from '@playwright/test'
import { test as base, expect } from '../fixtures/test.js'
import { TiptapSite } from '../fixtures/tiptap-site.js'

/**
 * A Tiptap app on a site of its own (fixtures/tiptap: Tiptap's Collaboration and
 * CollaborationCaret extensions over a stock `@hocuspocus/provider` 4.7.0), talking to a Tandem
 * server that allows that site's origin.
 */
const test = base.extend<{ site: TiptapSite }>({
  // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies as a destructured object.
  site: async ({}, use) => {
    const site = await TiptapSite.start()
    await use(site)
    await site.close()
  },
  serverEnv: async ({ site }, use) => {
    await use({ ALLOWED_ORIGINS: site.origin })
  },
})

/** The editor's text as its reader sees it, without the other people's caret labels. */
function editorText(page: Page): Promise<string> {
  return page.locator('.tiptap').evaluate((element) => {
    const copy = element.cloneNode(true) as HTMLElement
    for (const caret of copy.querySelectorAll('.collaboration-carets__caret')) caret.remove()
    return [...copy.querySelectorAll('p')].map((p) => p.textContent).join('\n')
  })
}

test('Y1 Y5: two Tiptap pages on the Hocuspocus provider edit one document through Tandem, text and carets both ways, and the server stores the ProseMirror content', async ({
  site,
  server,
  docName,
  newPerson,
  stockClient,
}) => {
  const open = async (user: string, color: string) => {
    const person = await newPerson({ origin: site.origin, label: user })
    const query = new URLSearchParams({ server: server.wsUrl, doc: docName, user, color })
    await person.page.goto(`${site.origin}/?${query}`)
    await expect(person.page.getByTestId('status')).toHaveText('synced')
    return person
  }
  const ada = await open('Ada', '#d9480f')
  const bob = await open('Bob', '#1971c2')
  const adaEditor = ada.page.locator('.tiptap')
  const bobEditor = bob.page.locator('.tiptap')

  await adaEditor.click()
  await ada.page.keyboard.type('Hello from Ada.')
  await expect.poll(() => editorText(bob.page)).toBe('Hello from Ada.')

  await bobEditor.click()
  await bob.page.keyboard.press('Control+End')
  await bob.page.keyboard.type(' And from Bob.')
  await expect.poll(() => editorText(ada.page)).toBe('Hello from Ada. And from Bob.')
  await expect.poll(() => editorText(bob.page)).toBe('Hello from Ada. And from Bob.')

  // Each page shows the other's caret with their name, and not its own.
  await expect(ada.page.locator('.collaboration-carets__label')).toHaveText(['Bob'])
  await expect(bob.page.locator('.collaboration-carets__label')).toHaveText(['Ada'])

  // `hasUnsyncedChanges` is false in both pages (SPEC Y5: every edit acknowledged once stored),
  // so the content survives kill -9.
  await expect(ada.page.getByTestId('status')).toHaveText('synced')
  await expect(bob.page.getByTestId('status')).toHaveText('synced')
  ada.console.allowConnectionErrors()
  bob.console.allowConnectionErrors()
  await server.kill('SIGKILL')
  await server.start()

  // A stock y-websocket client finds the ProseMirror document in the XmlFragment Tiptap's
  // Collaboration extension uses (`default`).
  const client = await stockClient(docName)
  await expect
    .poll(() => client.doc.getXmlFragment('default').toString())
    .toBe('<paragraph>Hello from Ada. And from Bob.</paragraph>')
})

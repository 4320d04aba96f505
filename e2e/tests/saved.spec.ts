import type { Page } from '@playwright/test'
import { expect, test } from '../fixtures/test.js'

declare global {
  interface Window {
    /** The saved indicator's states, in the order shown (see `recordSaveStates`). */
    __saveStates?: string[]
  }
}

/**
 * Starts recording every state the saved indicator shows as `state:text`, so that a state that
 * lasts only a moment ("Saving…") is seen however fast the server is.
 */
async function recordSaveStates(page: Page): Promise<void> {
  await page.evaluate(() => {
    const element = document.querySelector<HTMLElement>('[data-testid="save-status"]')
    if (element === null) throw new Error('no save-status element')
    const seen: string[] = []
    const note = () => {
      const entry = `${element.dataset.state}:${element.textContent}`
      if (seen.at(-1) !== entry) seen.push(entry)
    }
    note()
    new MutationObserver(note).observe(element, {
      attributes: true,
      characterData: true,
      childList: true,
      subtree: true,
    })
    window.__saveStates = seen
  })
}

const saveStates = (page: Page) => page.evaluate(() => window.__saveStates ?? [])

test('the saved indicator follows what the server has stored, offline too', async ({
  server,
  openDoc,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  const saveStatus = ada.page.getByTestId('save-status')
  await expect(saveStatus).toHaveAttribute('data-state', 'saved')
  await expect(saveStatus).toHaveText('Saved')
  await expect(saveStatus).toBeVisible()

  // Typing: "Saving…" while the server stores, then "Saved".
  await recordSaveStates(ada.page)
  await ada.typeAtEnd('Stored as it is typed.')
  await expect(saveStatus).toHaveText('Saved')
  await expect(saveStatus).toHaveAttribute('data-state', 'saved')
  const typing = await saveStates(ada.page)
  expect(typing[0]).toBe('saved:Saved')
  expect(typing).toContain('saving:Saving…')
  expect(typing.at(-1)).toBe('saved:Saved')

  // The server dies. Everything typed so far was acknowledged, so nothing is unsaved yet.
  ada.console.allowConnectionErrors()
  await server.kill('SIGKILL')
  await ada.expectState('offline')
  await expect(saveStatus).toHaveAttribute('data-state', 'offline')

  // What is typed now is only in this browser, and the indicator says so.
  await ada.typeAtEnd(' Typed while the server was down.')
  await expect(saveStatus).toHaveAttribute('data-state', 'offline-unsaved')
  await expect(saveStatus).toHaveText('Offline – changes kept in this browser')
  await expect(saveStatus).toBeVisible()

  // Leaving now asks first: the browser shows its "leave site?" dialog, and staying keeps the page.
  const leaving = ada.page.waitForEvent('dialog')
  const closing = ada.page.close({ runBeforeUnload: true })
  const dialog = await leaving
  expect(dialog.type()).toBe('beforeunload')
  await dialog.dismiss()
  await closing
  expect(ada.page.isClosed()).toBe(false)

  // The server returns: the reconnection sends the offline edit and the server stores it.
  await server.start()
  await ada.expectState('connected')
  await expect(saveStatus).toHaveAttribute('data-state', 'saved')
  await expect(saveStatus).toHaveText('Saved')
  const full = 'Stored as it is typed. Typed while the server was down.'
  await ada.expectText(full)

  // Nothing unsaved: a reload is not held up by a "leave site?" dialog, and the text is there.
  await ada.reload()
  await ada.expectText(full)
  await expect(saveStatus).toHaveText('Saved')
  // Someone with no copy of their own gets it all from the server.
  const grace = await openDoc({ label: 'Grace' })
  await grace.expectText(full)
})

test("receiving someone else's edits leaves your own indicator at Saved", async ({ openDoc }) => {
  // Both people's indicators settle on Saved, and each one's own edits drive only their own.
  const ada = await openDoc({ label: 'Ada' })
  const grace = await openDoc({ label: 'Grace' })
  const adaStatus = ada.page.getByTestId('save-status')
  const graceStatus = grace.page.getByTestId('save-status')
  await expect(adaStatus).toHaveText('Saved')
  await expect(graceStatus).toHaveText('Saved')

  await recordSaveStates(grace.page)
  await ada.typeAtEnd('Only Ada types.')
  await grace.expectText('Only Ada types.')
  await expect(adaStatus).toHaveText('Saved')
  // Receiving someone else's edit never makes Grace's indicator claim she has unsaved work.
  expect(await saveStates(grace.page)).toEqual(['saved:Saved'])
})

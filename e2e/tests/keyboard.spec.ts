import type { Page } from '@playwright/test'
import { expect, test } from '../fixtures/test.js'

/** Presses Tab (or Shift+Tab) until the element with `testId` has the focus; at most `limit` times. */
async function tabTo(page: Page, testId: string, { back = false, limit = 30 } = {}): Promise<void> {
  for (let i = 0; i < limit; i++) {
    const focused = await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))
    if (focused === testId) return
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab')
  }
  throw new Error(`${testId} did not get the focus within ${limit} presses of Tab`)
}

test('keyboard only: create a document, write, open Share, toggle the preview', async ({
  newPerson,
  docName,
}) => {
  const ada = await newPerson({ label: 'Ada' })
  await ada.openHome()
  const { page } = ada

  // The first stop is the theme toggle, then the name of a new document.
  await tabTo(page, 'new-doc-name')
  await page.keyboard.type(docName)
  await page.keyboard.press('Enter')
  await expect(page).toHaveURL(`${ada.origin}/d/${docName}`)
  await ada.expectReady()
  // The editor has the focus at once.
  await page.keyboard.type('# Typed without a mouse')
  await ada.expectText('# Typed without a mouse')

  // Share: reached with Shift+Tab, opened with Enter, focus inside, closed with Escape.
  await tabTo(page, 'share-button', { back: true })
  const share = page.getByTestId('share-button')
  await expect(share).toBeFocused()
  await expect(share).toHaveCSS('outline-style', 'solid')
  await page.keyboard.press('Enter')
  const dialog = page.getByTestId('share-dialog')
  await expect(dialog).toBeVisible()
  await expect(dialog.getByTestId('share-view-link')).toHaveValue(/\?token=/)
  expect(await dialog.evaluate((el) => el.contains(document.activeElement))).toBe(true)
  await page.keyboard.press('Escape')
  await expect(dialog).toBeHidden()
  await expect(share).toBeFocused()

  // Preview: Tab to the toggle, Space turns it on.
  await tabTo(page, 'preview-toggle')
  await expect(page.getByTestId('preview-toggle')).toHaveAccessibleName('Preview')
  await page.keyboard.press('Space')
  await expect(ada.preview.getByRole('heading', { level: 1 })).toHaveText('Typed without a mouse')
  await page.keyboard.press('Space')
  await expect(ada.preview).toHaveCount(0)
})

test('every control of the document page has an accessible name', async ({ openDoc }) => {
  const ada = await openDoc({ label: 'Ada' })
  await openDoc({ label: 'Grace' })
  await expect(ada.presenceUsers).toHaveCount(2)
  const unnamed = await ada.page.evaluate(() =>
    [...document.querySelectorAll('button, input, summary, a[href], [tabindex="0"]')]
      .filter((el) => {
        const labelled =
          el.getAttribute('aria-label') ||
          el.getAttribute('aria-labelledby') ||
          (el instanceof HTMLInputElement && el.labels && el.labels.length > 0) ||
          (el.textContent ?? '').trim()
        const hidden = el.closest('[hidden], [aria-hidden="true"]') !== null
        return !labelled && !hidden
      })
      .map((el) => el.outerHTML.slice(0, 120)),
  )
  expect(unnamed).toEqual([])
})

test('on a phone-sized screen the page fits its width and every action stays reachable', async ({
  openDoc,
}) => {
  const viewport = { width: 375, height: 740 }
  const ada = await openDoc({ label: 'Ada', viewport })
  await ada.typeAtEnd('# Small screen')
  const overflow = await ada.page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  )
  expect(overflow).toBeLessThanOrEqual(0)
  for (const id of [
    'share-button',
    'preview-toggle',
    'authors-toggle',
    'history-button',
    'theme-toggle',
  ]) {
    await expect(ada.page.getByTestId(id)).toBeInViewport()
  }
  await expect(ada.editor).toBeInViewport()

  // The preview takes the editor's place, and gives it back.
  await ada.page.getByTestId('preview-toggle').click()
  await expect(ada.preview.getByRole('heading', { level: 1 })).toHaveText('Small screen')
  await expect(ada.content).toBeHidden()
  await ada.page.getByTestId('preview-toggle').click()
  await expect(ada.content).toBeVisible()
})

import type { Locator } from '@playwright/test'
import type { DocPage } from '../fixtures/doc-page.js'
import { expect, test } from '../fixtures/test.js'

const adaWords = 'Ada writes first.'
const graceWords = ' Grace adds this.'

/** The `r, g, b` of a CSS colour as the browser computed it (`rgb(...)` or `rgba(...)`). */
function rgb(color: string): string {
  const parts = color.match(/[\d.]+/g) ?? []
  return parts.slice(0, 3).join(', ')
}

/** The colour of each author's mark around `word`, as computed, or '' where none is. */
async function markColorAround(person: DocPage, word: string): Promise<string> {
  return person.content.evaluate((content, word) => {
    for (const mark of content.querySelectorAll<HTMLElement>('.cm-author')) {
      if (mark.textContent?.includes(word)) return getComputedStyle(mark).backgroundColor
    }
    return ''
  }, word)
}

/** The swatch colour of the legend's entry for `name`. */
async function legendColor(legend: Locator, name: string): Promise<string> {
  return legend
    .getByTestId('author-legend-item')
    .filter({ hasText: name })
    .locator('.author-swatch')
    .evaluate((swatch) => getComputedStyle(swatch).backgroundColor)
}

/**
 * Ada, then Grace, each write one sentence as one edit (inserted at once, as a paste is), so
 * that each is one step of the history.
 */
async function twoSentences(ada: DocPage, grace: DocPage): Promise<void> {
  await ada.setDisplayName('Ada')
  await grace.setDisplayName('Grace')
  await ada.content.click()
  await ada.page.keyboard.insertText(adaWords)
  await grace.expectText(adaWords)
  await expect(ada.page.getByTestId('save-status')).toHaveText('Saved')
  await grace.content.click()
  await grace.page.keyboard.press('ControlOrMeta+End')
  await grace.page.keyboard.insertText(graceWords)
  await ada.expectText(adaWords + graceWords)
  await expect(grace.page.getByTestId('save-status')).toHaveText('Saved')
}

test('Authors colours the text by who wrote it, with a legend and a hover naming them', async ({
  openDoc,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  const grace = await openDoc({ label: 'Grace' })
  await twoSentences(ada, grace)

  const toggle = ada.page.getByTestId('authors-toggle')
  await expect(toggle).toHaveAttribute('aria-pressed', 'false')
  await expect(ada.content.locator('.cm-author')).toHaveCount(0)
  // From the keyboard.
  await toggle.focus()
  await ada.page.keyboard.press('Enter')
  await expect(toggle).toHaveAttribute('aria-pressed', 'true')

  // The legend names both, unverified (open mode: names are whatever people typed).
  const legend = ada.page.getByTestId('author-legend')
  const items = legend.getByTestId('author-legend-item')
  await expect(items).toHaveCount(2)
  await expect(items.filter({ hasText: 'Ada' })).toContainText('unverified')
  await expect(items.filter({ hasText: 'Grace' })).toContainText('unverified')

  // Each sentence is marked in its author's colour, the two colours apart.
  const adaColor = await legendColor(legend, 'Ada')
  const graceColor = await legendColor(legend, 'Grace')
  expect(rgb(adaColor)).not.toBe(rgb(graceColor))
  await expect.poll(async () => rgb(await markColorAround(ada, 'writes first'))).toBe(rgb(adaColor))
  await expect.poll(async () => rgb(await markColorAround(ada, 'adds this'))).toBe(rgb(graceColor))

  // Hovering Grace's words names her.
  const graceMark = ada.content.locator('.cm-author', { hasText: 'adds this' })
  await graceMark.hover()
  const tooltip = ada.page.locator('.cm-author-tooltip')
  await expect(tooltip).toBeVisible()
  await expect(tooltip).toContainText('Written by Grace')
  await expect(tooltip).toContainText('(unverified name)')
  await expect(tooltip.locator('time')).toHaveAttribute('datetime', /^\d{4}-\d\d-\d\dT/)

  // From the keyboard: a line under the text names who wrote what is at the cursor.
  const atCursor = ada.page.getByTestId('author-at-cursor')
  await ada.content.click()
  await ada.page.keyboard.press('ControlOrMeta+End')
  await expect(atCursor).toContainText('written by Grace (unverified name)')
  await ada.page.keyboard.press('ControlOrMeta+Home')
  await expect(atCursor).toContainText('written by Ada (unverified name)')

  // What Grace types now is coloured too once it is stored (the page asks again when the
  // text has been still a moment).
  await grace.page.keyboard.insertText(' More.')
  await ada.expectText(`${adaWords}${graceWords} More.`)
  await expect.poll(async () => rgb(await markColorAround(ada, 'More'))).toBe(rgb(graceColor))

  // The choice is remembered; switched off, the marks and the legend go.
  await ada.reload()
  await expect(toggle).toHaveAttribute('aria-pressed', 'true')
  await expect(ada.content.locator('.cm-author').first()).toBeVisible()
  await toggle.click()
  await expect(toggle).toHaveAttribute('aria-pressed', 'false')
  await expect(ada.content.locator('.cm-author')).toHaveCount(0)
  await expect(legend).toBeHidden()
  await expect(atCursor).toBeHidden()
})

test('the timeslider plays the history back, step by step, from the keyboard', async ({
  openDoc,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  const grace = await openDoc({ label: 'Grace' })
  await twoSentences(ada, grace)

  // A version of both sentences, which the slider marks at the last step.
  await ada.page.getByTestId('history-button').click()
  const panel = ada.page.getByTestId('history-panel')
  await panel.getByLabel('Name the current text').fill('Both sentences')
  await panel.getByTestId('save-version').click()
  await expect(panel.getByTestId('history-item').filter({ hasText: 'Both sentences' })).toHaveCount(
    1,
  )

  await ada.page.getByTestId('timeslider-button').click()
  const slider = ada.page.getByTestId('timeslider-slider')
  const text = ada.page.getByTestId('timeslider-text').locator('.cm-content')
  const step = ada.page.getByTestId('timeslider-step')
  await expect(ada.editor).toBeHidden()
  // This server keeps deleted text: no note says otherwise.
  await expect(slider).toBeVisible()
  await expect(ada.page.getByTestId('timeslider-no-deleted-text')).toBeHidden()
  // It opens at the end: the text as it is now, Grace's change the last step.
  await expect(text).toHaveText(adaWords + graceWords)
  await expect(step).toContainText('by Grace')
  await expect(step.getByTestId('timeslider-version')).toHaveText(' · Both sentences')

  // Home: the start, before anyone wrote.
  await slider.focus()
  await ada.page.keyboard.press('Home')
  await expect(slider).toHaveValue('-1')
  await expect(text).toHaveText('')
  await expect(step).toContainText('The start')

  // One step on: only Ada's words, coloured as hers.
  await ada.page.keyboard.press('ArrowRight')
  await expect(slider).toHaveValue('0')
  await expect(text).toHaveText(adaWords)
  await expect(step).toContainText('by Ada')
  await expect(step.getByTestId('timeslider-version')).toHaveCount(0)
  const legend = ada.page.getByTestId('timeslider').getByTestId('author-legend')
  await expect(legend.getByTestId('author-legend-item')).toHaveText(['Adaunverified'])
  await expect(text.locator('.cm-author')).toHaveText(adaWords)

  // End: both again, both authors in the legend.
  await ada.page.keyboard.press('End')
  await expect(text).toHaveText(adaWords + graceWords)
  await expect(legend.getByTestId('author-legend-item')).toHaveCount(2)

  // Play runs from the start to the end by itself.
  await ada.page.getByTestId('timeslider-play').click()
  await expect(ada.page.getByTestId('timeslider-play')).toHaveAttribute('aria-pressed', 'false', {
    timeout: 15_000,
  })
  await expect(text).toHaveText(adaWords + graceWords)

  // Back to the editor.
  await ada.page.getByTestId('timeslider-close').click()
  await expect(ada.page.getByTestId('timeslider')).toBeHidden()
  await expect(ada.editor).toBeVisible()
})

test('the history lists who changed each version, and its preview colours changes by who made them', async ({
  openDoc,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  const grace = await openDoc({ label: 'Grace' })
  await ada.setDisplayName('Ada')
  await grace.setDisplayName('Grace')
  await ada.content.click()
  await ada.page.keyboard.insertText(adaWords)
  await grace.expectText(adaWords)

  // Ada names the text as it is: she changed it since the start.
  await ada.page.getByTestId('history-button').click()
  const panel = ada.page.getByTestId('history-panel')
  await panel.getByLabel('Name the current text').fill('Ada alone')
  await panel.getByTestId('save-version').click()
  const first = panel.getByTestId('history-item').filter({ hasText: 'Ada alone' })
  await expect(first.getByTestId('history-item-changed-by')).toHaveText(
    'Changed by Ada (unverified)',
  )

  // Grace adds her sentence; the next version was changed by her alone.
  await grace.content.click()
  await grace.page.keyboard.press('ControlOrMeta+End')
  await grace.page.keyboard.insertText(graceWords)
  await ada.expectText(adaWords + graceWords)
  await expect(grace.page.getByTestId('save-status')).toHaveText('Saved')
  await panel.getByLabel('Name the current text').fill('With Grace')
  await panel.getByTestId('save-version').click()
  const second = panel.getByTestId('history-item').filter({ hasText: 'With Grace' })
  await expect(second.getByTestId('history-item-changed-by')).toHaveText(
    'Changed by Grace (unverified)',
  )

  // Grace deletes Ada's first word.
  await grace.page.keyboard.press('ControlOrMeta+Home')
  for (let i = 0; i < 'Ada '.length; i++) await grace.page.keyboard.press('Shift+ArrowRight')
  await grace.page.keyboard.press('Backspace')
  await ada.expectText(adaWords.slice('Ada '.length) + graceWords)
  await expect(grace.page.getByTestId('save-status')).toHaveText('Saved')

  // The first version's preview: Grace's sentence is what restoring it removes, marked as hers;
  // Ada's word is what it brings back, marked as Grace's too, who deleted it.
  await first.click()
  const preview = ada.page.getByTestId('history-preview')
  const removed = preview.locator('del')
  await expect
    .poll(async () => (await removed.allTextContents()).join(''))
    .toContain('Grace adds this')
  const hers = removed.filter({ hasText: 'Grace' })
  await expect(hers).toHaveAttribute('data-author', 'Grace')
  await expect(hers).toHaveAttribute('title', /written by Grace \(unverified\)/)
  const restored = preview.locator('ins')
  await expect(restored).toHaveText(['Ada '])
  await expect(restored).toHaveAttribute('data-author', 'Grace')
  await expect(restored).toHaveAttribute('title', /deleted by Grace \(unverified\)/)
  await expect(preview.getByTestId('history-preview-authors')).toContainText(
    'Differences made by Grace (unverified)',
  )
})

test.describe('on a server that records authors but keeps no deleted text', () => {
  test.use({ serverEnv: { ATTRIBUTION: 'authors' } })

  test('the timeslider says that earlier steps lack what was deleted', async ({ openDoc }) => {
    const ada = await openDoc({ label: 'Ada' })
    await ada.typeAtEnd('Some text.')
    await ada.expectText('Some text.')
    await expect(ada.page.getByTestId('save-status')).toHaveText('Saved')

    await ada.page.getByTestId('history-button').click()
    await ada.page.getByTestId('timeslider-button').click()
    await expect(ada.page.getByTestId('timeslider-slider')).toBeVisible()
    await expect(ada.page.getByTestId('timeslider-no-deleted-text')).toHaveText(
      'This server does not keep deleted text, so earlier steps show only the text that still exists.',
    )
  })
})

test.describe('on a server that records no attribution', () => {
  test.use({ serverEnv: { ATTRIBUTION: 'off' } })

  test('the Authors view and the playback say so and go', async ({ openDoc }) => {
    const ada = await openDoc({ label: 'Ada' })
    await ada.typeAtEnd('Some text.')
    await ada.expectText('Some text.')

    const toggle = ada.page.getByTestId('authors-toggle')
    await toggle.click()
    await expect(ada.page.getByRole('status').filter({ hasText: 'does not record' })).toBeVisible()
    await expect(toggle).toBeHidden()
    await expect(ada.page.getByTestId('author-legend')).toBeHidden()
    await expect(ada.content.locator('.cm-author')).toHaveCount(0)
    // Not asked again on the next visit.
    await ada.reload()
    await expect(toggle).toHaveAttribute('aria-pressed', 'false')
  })
})

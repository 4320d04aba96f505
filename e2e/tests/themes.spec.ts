import { expect, test } from '../fixtures/test.js'

test('the theme follows the system until toggled; the choice is remembered across reloads', async ({
  openDoc,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  const toggle = ada.page.getByTestId('theme-toggle')
  const background = () =>
    ada.page.evaluate(() => getComputedStyle(document.querySelector('.doc-page')!).backgroundColor)

  await ada.page.emulateMedia({ colorScheme: 'dark' })
  await expect.poll(() => ada.theme()).toBe('dark')
  const dark = await background()
  await ada.page.emulateMedia({ colorScheme: 'light' })
  await expect.poll(() => ada.theme()).toBe('light')
  const light = await background()
  expect(dark).not.toBe(light)
  await expect(toggle).toHaveAttribute('data-preference', 'system')

  // Chosen dark while the system is light: it stays dark through a reload and system changes.
  await toggle.click()
  await expect.poll(() => ada.theme()).toBe('dark')
  await expect.poll(background).toBe(dark)
  await expect(ada.editor.locator('.cm-editor')).toHaveCSS('background-color', dark)
  await ada.reload()
  await expect.poll(() => ada.theme()).toBe('dark')
  await expect(ada.page.getByTestId('theme-toggle')).toHaveAttribute('data-preference', 'dark')
  await ada.page.emulateMedia({ colorScheme: 'dark' })
  await ada.page.emulateMedia({ colorScheme: 'light' })
  await expect.poll(() => ada.theme()).toBe('dark')

  // Toggled back to the system's own theme, it follows the system again.
  await ada.page.getByTestId('theme-toggle').click()
  await expect.poll(() => ada.theme()).toBe('light')
  await expect(ada.page.getByTestId('theme-toggle')).toHaveAttribute('data-preference', 'system')
  await ada.page.emulateMedia({ colorScheme: 'dark' })
  await expect.poll(() => ada.theme()).toBe('dark')
  await ada.reload()
  await expect.poll(() => ada.theme()).toBe('dark')
})

test('the home page has the same theme and toggle', async ({ newPerson }) => {
  const ada = await newPerson({ label: 'Ada' })
  await ada.page.emulateMedia({ colorScheme: 'dark' })
  await ada.openHome()
  await expect.poll(() => ada.theme()).toBe('dark')
  await ada.page.getByTestId('theme-toggle').click()
  await expect.poll(() => ada.theme()).toBe('light')
  await ada.page.reload()
  await expect.poll(() => ada.theme()).toBe('light')
})

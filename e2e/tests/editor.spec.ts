import { expect, test } from '../fixtures/test.js'

test('search and replace from the keyboard reaches the other person; long lines wrap', async ({
  openDoc,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  const grace = await openDoc({ label: 'Grace' })
  await ada.typeAtEnd('The cat sat. The cat ran. A dog watched.')
  await grace.expectText('The cat sat. The cat ran. A dog watched.')
  await expect(ada.editor.locator('.cm-content')).toHaveClass(/cm-lineWrapping/)

  await ada.page.keyboard.press('ControlOrMeta+f')
  const panel = ada.editor.locator('.cm-search')
  await expect(panel).toBeVisible()
  await expect(panel.locator('input[name="search"]')).toBeFocused()
  await ada.page.keyboard.type('cat')
  await panel.locator('input[name="replace"]').fill('fox')
  await panel.getByRole('button', { name: 'replace all' }).click()
  await grace.expectText('The fox sat. The fox ran. A dog watched.')
  await ada.page.keyboard.press('Escape')
  await expect(panel).toHaveCount(0)

  // Undo is per person: Ada's undo takes back her replacement only.
  await grace.typeAtEnd(' Grace adds this.')
  await ada.content.focus()
  await ada.page.keyboard.press('ControlOrMeta+z')
  await ada.expectText('The cat sat. The cat ran. A dog watched. Grace adds this.')
  await grace.expectText('The cat sat. The cat ran. A dog watched. Grace adds this.')
})

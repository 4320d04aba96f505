import { expect, test } from '../fixtures/test.js'

test("each person sees the other one's cursor labelled with their name", async ({ openDoc }) => {
  const ada = await openDoc({ label: 'Ada' })
  const grace = await openDoc({ label: 'Grace' })
  await ada.setDisplayName('Ada')
  await grace.setDisplayName('Grace')

  await ada.typeAtEnd('Ada was here')
  await expect(grace.cursorLabels).toHaveText(['Ada'])
  await grace.typeAtEnd('; Grace too')
  await expect(ada.cursorLabels).toHaveText(['Grace'])
  // Nobody sees a label on their own cursor, and the labels are shown, not just present.
  await expect(grace.cursorLabels).toHaveText(['Ada'])
  for (const label of [ada.cursorLabels, grace.cursorLabels]) {
    await expect(label).toBeVisible()
    await expect(label).not.toHaveCSS('opacity', '0')
  }

  // A new name reaches the other person's label at once.
  await ada.setDisplayName('Ada Lovelace')
  await expect(grace.cursorLabels).toHaveText(['Ada Lovelace'])
})

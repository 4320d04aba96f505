import { expect, test } from '../fixtures/test.js'

test("each person sees the other one's cursor labelled with their name", async ({ openDoc }) => {
  const ada = await openDoc({ label: 'Ada' })
  const grace = await openDoc({ label: 'Grace' })
  await ada.setDisplayName('Ada')
  await grace.setDisplayName('Grace')

  // Each label is checked right after its person moved: a label fades once its person has
  // been still for a few seconds (avatars.spec.ts), which a slow machine can reach otherwise.
  await ada.typeAtEnd('Ada was here')
  await expect(grace.cursorLabels).toHaveText(['Ada'])
  await expect(grace.cursorLabels).toBeVisible()
  await expect(grace.cursorLabels).not.toHaveCSS('opacity', '0')
  await grace.typeAtEnd('; Grace too')
  await expect(ada.cursorLabels).toHaveText(['Grace'])
  await expect(ada.cursorLabels).toBeVisible()
  await expect(ada.cursorLabels).not.toHaveCSS('opacity', '0')
  // Nobody sees a label on their own cursor: each sees only the other's.
  await expect(grace.cursorLabels).toHaveText(['Ada'])

  // A new name reaches the other person's label at once.
  await ada.setDisplayName('Ada Lovelace')
  await expect(grace.cursorLabels).toHaveText(['Ada Lovelace'])
})

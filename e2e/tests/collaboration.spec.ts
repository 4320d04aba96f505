import { expect, test } from '../fixtures/test.js'

test.describe('two people on one document', () => {
  test('text typed in either browser appears in the other', async ({ openDoc }) => {
    const ada = await openDoc({ label: 'Ada' })
    const grace = await openDoc({ label: 'Grace' })

    await ada.typeAtEnd('Hello from Ada.')
    await grace.expectText('Hello from Ada.')

    await grace.typeAtEnd(' And hello from Grace.')
    await ada.expectText('Hello from Ada. And hello from Grace.')
    await grace.expectText('Hello from Ada. And hello from Grace.')
  })

  test('text typed in both at the same time converges to the same document', async ({
    openDoc,
  }) => {
    const ada = await openDoc({ label: 'Ada' })
    const grace = await openDoc({ label: 'Grace' })
    await ada.typeAtEnd('|middle|')
    await grace.expectText('|middle|')

    // Both type at once, Grace before the shared text and Ada after it.
    const fromAda = ' ada-typed-this-at-the-end'
    const fromGrace = 'grace-typed-this-first '
    await Promise.all([ada.typeAtEnd(fromAda), grace.typeAtStart(fromGrace)])

    const expected = `${fromGrace}|middle|${fromAda}`
    await expect
      .poll(async () => [await ada.text(), await grace.text()], { message: 'both editors' })
      .toEqual([expected, expected])
  })
})

import { expect, test } from '../fixtures/test.js'

test('a person who goes offline keeps typing and converges with the others on return', async ({
  openDoc,
  startProxy,
}) => {
  // Ada reaches the server through a proxy that can cut her network; Grace connects directly.
  const proxy = await startProxy()
  const ada = await openDoc({ label: 'Ada', origin: proxy.url })
  const grace = await openDoc({ label: 'Grace' })
  await ada.typeAtEnd('Shared start.')
  await grace.expectText('Shared start.')

  // Ada's reconnection attempts fail while she is cut off; that is the point.
  ada.console.allowConnectionErrors()
  proxy.cut()
  await ada.expectState('offline')
  await expect(ada.page.getByTestId('offline-banner')).toBeVisible()
  await expect(grace.page.getByTestId('offline-banner')).toHaveCount(0)
  // The server saw her go: Grace's list no longer shows her.
  await expect(grace.presenceUsers).toHaveCount(1)

  await ada.typeAtEnd(' Ada wrote this offline.')
  await grace.typeAtEnd(' Grace wrote this online.')
  await ada.expectTextToContain('Shared start. Ada wrote this offline.')
  await grace.expectText('Shared start. Grace wrote this online.')
  // Ada really was cut off: her app tried to reconnect and was refused, it still says so, and
  // her text has not reached Grace.
  await expect.poll(() => proxy.refused).toBeGreaterThan(0)
  await ada.expectState('offline')
  expect(await ada.text()).not.toContain('Grace wrote this online.')
  expect(await grace.text()).not.toContain('Ada wrote this offline.')

  proxy.restore()
  await ada.expectState('connected')
  await expect(ada.page.getByTestId('offline-banner')).toHaveCount(0)
  await expect
    .poll(
      async () => {
        const [a, g] = [await ada.text(), await grace.text()]
        return (
          a === g &&
          a.includes(' Ada wrote this offline.') &&
          a.includes(' Grace wrote this online.')
        )
      },
      { message: "both editors show the same text with both people's lines" },
    )
    .toBe(true)
  expect(await ada.text()).toMatch(/^Shared start\. /)
})

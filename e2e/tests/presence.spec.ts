import { expect, test } from '../fixtures/test.js'

test('everyone present is listed by name, and the connection shows as connected', async ({
  openDoc,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  const grace = await openDoc({ label: 'Grace' })
  await ada.setDisplayName('Ada')
  await grace.setDisplayName('Grace')

  for (const [page, self, other] of [
    [ada, 'Ada', 'Grace'],
    [grace, 'Grace', 'Ada'],
  ] as const) {
    await expect(page.status).toHaveAttribute('data-state', 'connected')
    await expect(page.presenceUsers).toHaveCount(2)
    await expect(page.person(self)).toHaveAttribute('data-self', 'true')
    await expect(page.person(other)).toHaveAttribute('data-self', 'false')
  }

  // The name is remembered across a reload, and the others see it again.
  await ada.reload()
  await expect(ada.displayName).toHaveValue('Ada')
  await expect(ada.person('Ada')).toHaveAttribute('data-self', 'true')
  await expect(grace.person('Ada')).toHaveAttribute('data-self', 'false')
  await expect(grace.presenceUsers).toHaveCount(2)

  // Whoever leaves disappears from the list.
  await grace.close()
  await expect(ada.presenceUsers).toHaveCount(1)
  await expect(ada.person('Grace')).toHaveCount(0)
})

test('everyone is listed again right after the server restarts, without waiting for a renewal', async ({
  server,
  openDoc,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  const grace = await openDoc({ label: 'Grace' })
  await ada.setDisplayName('Ada')
  await grace.setDisplayName('Grace')
  await expect(ada.presenceUsers).toHaveCount(2)
  await expect(grace.presenceUsers).toHaveCount(2)

  ada.console.allowConnectionErrors()
  grace.console.allowConnectionErrors()
  await server.restart()
  await ada.expectState('connected')
  await grace.expectState('connected')
  // Presence states are renewed every 15 s; the reconnect itself must bring people back.
  await expect(ada.person('Grace')).toBeVisible({ timeout: 5_000 })
  await expect(grace.person('Ada')).toBeVisible({ timeout: 5_000 })
})

import { expect, test } from '../fixtures/test.js'

// A person opened after the restart has a fresh browser context (no IndexedDB copy) and
// everyone who had the text has left, so the text can only have come from the server's store.

test.describe('the server keeps documents', () => {
  test('text survives a graceful restart of the server', async ({ server, openDoc }) => {
    const ada = await openDoc({ label: 'Ada' })
    const grace = await openDoc({ label: 'Grace' })
    await ada.typeAtEnd('Written before the restart.')
    await grace.expectText('Written before the restart.')
    await ada.close()
    await grace.close()

    await server.restart()

    const newcomer = await openDoc({ label: 'newcomer' })
    await newcomer.expectText('Written before the restart.')
    await newcomer.reload()
    await newcomer.expectText('Written before the restart.')
  })

  test('open pages show offline while the server restarts, then reconnect and edit together', async ({
    server,
    openDoc,
  }) => {
    const ada = await openDoc({ label: 'Ada' })
    const grace = await openDoc({ label: 'Grace' })
    await ada.typeAtEnd('Before.')
    await grace.expectText('Before.')

    // The pages keep retrying while the server is down; those failures are expected.
    ada.console.allowConnectionErrors()
    grace.console.allowConnectionErrors()
    await server.stop()
    await ada.expectState('offline')
    await grace.expectState('offline')
    await server.start()

    await ada.expectState('connected')
    await grace.expectState('connected')
    await grace.typeAtEnd(' After.')
    await ada.expectText('Before. After.')
    await ada.reload()
    await ada.expectText('Before. After.')
  })

  test('text another person has received survives kill -9 of the server', async ({
    server,
    openDoc,
  }) => {
    const ada = await openDoc({ label: 'Ada' })
    const grace = await openDoc({ label: 'Grace' })
    const full = 'Whatever reached Grace was stored first, so none of it may vanish.'

    // Kill the server while Ada is still typing, as soon as Grace has received a good part.
    const typing = ada.typeAtEnd(full)
    await expect
      .poll(async () => (await grace.text()).length, { intervals: [50] })
      .toBeGreaterThanOrEqual(20)
    ada.console.allowConnectionErrors()
    grace.console.allowConnectionErrors()
    const exit = await server.kill('SIGKILL')
    expect(exit.signal).toBe('SIGKILL')
    await typing
    // The server stores each update before relaying it, so all that Grace has received, now
    // and in flight at the moment of the kill, must be in the store.
    const seen = await grace.text()
    expect(full.startsWith(seen)).toBe(true)
    // Both leave before the server comes back, so neither can send the text again.
    await ada.close()
    await grace.close()

    await server.start()

    const newcomer = await openDoc({ label: 'newcomer' })
    await expect
      .poll(async () => (await newcomer.text()).slice(0, seen.length), {
        message: 'the stored text starts with what Grace saw',
      })
      .toBe(seen)
    // And it is nothing but what Ada typed.
    expect(full.startsWith(await newcomer.text())).toBe(true)
  })
})

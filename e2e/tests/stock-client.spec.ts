import { expect, test } from '../fixtures/test.js'

test('a stock y-websocket client and a browser tab edit the same document', async ({
  docName,
  openDoc,
  stockClient,
}) => {
  const client = await stockClient(docName)
  client.provider.awareness.setLocalStateField('user', { name: 'Node script', color: '#2a7e3b' })
  client.text.insert(0, 'Written by a stock y-websocket client.')

  const tab = await openDoc()
  await tab.setDisplayName('Ada')
  await tab.expectText('Written by a stock y-websocket client.')
  // Presence crosses too, both ways.
  await expect(tab.person('Node script')).toHaveAttribute('data-self', 'false')
  await expect
    .poll(() =>
      [...client.provider.awareness.getStates().values()].map((state) => state.user?.name),
    )
    .toContain('Ada')

  await tab.typeAtEnd(' Typed in the browser.')
  await expect
    .poll(() => client.text.toString())
    .toBe('Written by a stock y-websocket client. Typed in the browser.')

  client.text.insert(client.text.length, ' And more from Node.')
  await tab.expectText(
    'Written by a stock y-websocket client. Typed in the browser. And more from Node.',
  )
})

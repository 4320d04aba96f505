import type { WebSocketRoute } from '@playwright/test'
import { expect, test } from '../fixtures/test.js'

test("a page opened again shows this browser's copy before the server answers; what is typed then reaches the others, and the copy is not sent back whole", async ({
  openDoc,
  server,
  docName,
}) => {
  const lines = Array.from(
    { length: 30 },
    (_, i) => `Line ${i + 1} of the stored document, long enough that sending it shows.`,
  )
  const stored = lines.join('\n')
  const put = await fetch(`${server.url}/api/docs/${docName}/text`, {
    method: 'PUT',
    headers: { 'content-type': 'text/plain' },
    body: stored,
  })
  expect(put.status).toBe(200)
  const ada = await openDoc({ label: 'Ada' })
  const grace = await openDoc({ label: 'Grace' })
  await ada.expectText(stored)
  // Ada leaves the page; her browser keeps its copy of the document.
  await ada.openHome()

  // She comes back while the server does not answer: her first socket opens onto nothing.
  let silent: WebSocketRoute | null = null
  let sent = 0
  await ada.page.routeWebSocket(new RegExp(`/${docName}(\\?|$)`), (socket) => {
    if (silent === null) {
      silent = socket
      return
    }
    const toServer = socket.connectToServer()
    socket.onMessage((message) => {
      sent += message.length
      toServer.send(message)
    })
    toServer.onMessage((message) => socket.send(message))
  })
  await ada.page.goto(`${ada.origin}/d/${docName}`)
  await ada.expectText(stored)
  await expect(ada.status).not.toHaveAttribute('data-state', 'connected')
  await ada.typeAtStart('Back again. ')
  await expect.poll(() => silent !== null).toBe(true)

  // The silent socket closes; the next one reaches the server.
  await (silent as WebSocketRoute | null)?.close()
  await ada.expectState('connected')
  await grace.expectTextToContain('Back again. Line 1 of')
  await grace.expectTextToContain('Line 30 of')
  // The server was sent what it lacked (the typing), not the whole document again.
  expect(sent).toBeGreaterThan(0)
  expect(sent).toBeLessThan(stored.length / 2)

  // Nor on a plain reload: the copy is loaded before the page connects.
  sent = 0
  await ada.reload()
  await ada.expectTextToContain('Back again. Line 1 of')
  expect(sent).toBeGreaterThan(0)
  expect(sent).toBeLessThan(stored.length / 2)
})

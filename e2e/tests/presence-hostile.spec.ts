import type { WebSocketRoute } from '@playwright/test'
import * as Y from 'yjs'
import type { DocPage } from '../fixtures/doc-page.js'
import { expect, test } from '../fixtures/test.js'

// A participant controls every field of its awareness state. None of them may restyle anyone's
// page, reorder text around a name, or make a tab render (or work on) every client id it sends.

/** A checked #rrggbb33 as the browser writes it back. */
const SELECTION_STYLE = /^background-color: rgba\(\d+, \d+, \d+, 0\.2\);$/
const MAX_NAME_CODE_POINTS = 64
const MAX_LISTED = 12
const MAX_CARETS = 50

/** A full-window "banner" through the selection's style attribute, as reported. */
const OVERLAY =
  '#f003; position: fixed; inset: 0; z-index: 2147483647; background: url("data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22%3E%3Ctext y=%2250%22%3ESession expired: sign in at evil.example%3C/text%3E%3C/svg%3E")'

const hostileUser = {
  // A bidi override, zero-width characters and far more than a label holds.
  name: `\u202E\u200BSession expired, sign in at evil.example ${'x'.repeat(5_000)}`,
  color: 'red; position: fixed; inset: 0',
  colorLight: OVERLAY,
  style: 'position: fixed',
}

/** The end of the root text, as a relative position any client can publish without syncing. */
const END = { type: null, tname: 'codemirror', item: null, assoc: 0 }

/** The client ids of every awareness entry in a y-websocket frame (message type 1), else []. */
function awarenessClientIds(frame: Buffer): number[] {
  let at = 0
  const varUint = () => {
    let value = 0
    let shift = 1
    for (;;) {
      const byte = frame[at++]
      if (byte === undefined) throw new Error('truncated frame')
      value += (byte & 0x7f) * shift
      shift *= 128
      if (byte < 0x80) return value
    }
  }
  if (varUint() !== 1) return []
  varUint() // the update's length
  const ids: number[] = []
  for (let count = varUint(); count > 0; count--) {
    ids.push(varUint())
    varUint() // clock
    at += varUint() // the state's JSON
  }
  return ids
}

/** lib0's variable-length unsigned integer. */
function writeVarUint(out: number[], value: number): void {
  let n = value
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
}

/** One y-websocket awareness frame with `count` states, as `encodeAwarenessUpdate` writes it. */
function floodFrame(firstId: number, count: number): Buffer {
  const varUint = (value: number) => {
    const out: number[] = []
    writeVarUint(out, value)
    return Buffer.from(out)
  }
  const parts: Buffer[] = [varUint(count)]
  for (let i = 0; i < count; i++) {
    const json = Buffer.from(
      JSON.stringify({
        user: { ...hostileUser, name: `Flood ${i}` },
        cursor: { anchor: END, head: END },
      }),
    )
    parts.push(varUint(firstId + i), varUint(1), varUint(json.length), json)
  }
  const update = Buffer.concat(parts)
  return Buffer.concat([varUint(1), varUint(update.length), update])
}

/** What covers the middle of the window, and whether it or an ancestor is fixed on top. */
function centre(page: DocPage) {
  return page.page.evaluate(() => {
    const element = document.elementFromPoint(innerWidth / 2, innerHeight / 2)
    let fixed = false
    for (let node = element; node !== null; node = node.parentElement) {
      if (getComputedStyle(node).position === 'fixed') fixed = true
    }
    return {
      inApp: element !== null && document.getElementById('root')?.contains(element) === true,
      inSelection: element?.closest('.cm-ySelection, .cm-yLineSelection') != null,
      fixed,
    }
  })
}

/** The person's client id as their own page lists it. */
async function ownClientId(page: DocPage): Promise<number> {
  const self = page.presenceUsers.and(page.page.locator('[data-self="true"]'))
  return Number(await self.getAttribute('data-client-id'))
}

test('a hostile presence state cannot restyle the page; its colour and name are checked (security: presence in the browser)', async ({
  docName,
  openDoc,
  stockClient,
}) => {
  const ada = await openDoc({ label: 'Ada' })
  await ada.setDisplayName('Ada')
  await ada.typeAtEnd('Hello hostile world, and a second sentence.')

  const attacker = await stockClient(docName)
  await expect.poll(() => attacker.text.length).toBeGreaterThan(20)
  attacker.provider.awareness.setLocalState({
    user: hostileUser,
    cursor: {
      anchor: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(attacker.text, 0)),
      head: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(attacker.text, 20)),
    },
  })

  const selection = ada.editor.locator('.cm-ySelection')
  const caret = ada.editor.locator('.cm-ySelectionCaret')
  await expect(selection.first()).toBeVisible()
  await expect(caret).toHaveCount(1)

  // Nothing covers the page: the middle of the window is the app, not something fixed on top.
  expect(await centre(ada)).toEqual({ inApp: true, inSelection: false, fixed: false })
  for (const style of await selection.evaluateAll((marks) =>
    marks.map((mark) => mark.getAttribute('style')),
  )) {
    expect(style).toMatch(SELECTION_STYLE)
  }
  const placed = await selection.first().evaluate((mark) => {
    const style = getComputedStyle(mark)
    return { position: style.position, zIndex: style.zIndex }
  })
  expect(placed).toEqual({ position: 'static', zIndex: 'auto' })

  // The caret's colour is a checked #rrggbb: the same as the selection's, without its alpha.
  const rgbOf = (css: string | null) => (css?.match(/\d+/g) ?? []).slice(0, 3).join(',')
  const markColor = rgbOf(await selection.first().getAttribute('style'))
  const caretColor = await caret.evaluate((element) => getComputedStyle(element).borderLeftColor)
  expect(caretColor).toMatch(/^rgb\(\d+, \d+, \d+\)$/)
  expect(rgbOf(caretColor)).toBe(markColor)
  expect(await caret.getAttribute('style')).not.toMatch(/position|inset|z-index|url/)

  // The name: bounded, without the override and zero-width characters, isolated.
  const label = (await ada.cursorLabels.first().textContent()) ?? ''
  expect([...label].length).toBeLessThanOrEqual(MAX_NAME_CODE_POINTS)
  expect(label.startsWith('Session expired, sign in at evil.example')).toBe(true)
  expect(label).not.toMatch(/[\u202E\u200B]/)
  const listed = ada.presenceUsers.and(ada.page.locator('[data-self="false"]'))
  await expect(listed).toHaveCount(1)
  const listedName = (await listed.getAttribute('data-name')) ?? ''
  expect(listedName).toBe(label)
  await expect(listed.locator('.person-name bdi')).toHaveText(label)
  const avatar = listed.getByTestId('presence-avatar')
  expect(await avatar.getAttribute('style')).toMatch(/^background-color: rgb\(\d+, \d+, \d+\);$/)
  // Her own name is isolated too.
  await expect(ada.person('Ada').locator('bdi')).toHaveText('Ada')
})

test('30 attacker connections: the list shows 12 and "and N more", carets are bounded, the tab only sends its own state, and typing still crosses (security: presence in the browser)', async ({
  docName,
  newPerson,
  openDoc,
  stockClient,
}) => {
  // Ada's page is watched on the wire: which awareness client ids does it send?
  const ada = await newPerson({ label: 'Ada' })
  const sentIds = new Set<number>()
  await ada.page.routeWebSocket(/.*/, (ws: WebSocketRoute) => {
    const server = ws.connectToServer()
    ws.onMessage((message) => {
      if (typeof message !== 'string') for (const id of awarenessClientIds(message)) sentIds.add(id)
      server.send(message)
    })
  })
  await ada.open(docName)
  const bea = await openDoc({ label: 'Bea' })

  const attackers = 30
  for (let i = 0; i < attackers; i++) {
    const client = await stockClient(docName)
    client.provider.awareness.setLocalState({
      user: { ...hostileUser, name: `Attacker ${String(i).padStart(2, '0')}` },
      cursor: { anchor: END, head: END },
    })
  }

  const people = 2 + attackers
  await expect(ada.presence).toHaveAttribute('aria-label', `${people} people here`)
  await expect(ada.presenceUsers).toHaveCount(MAX_LISTED)
  await expect(ada.page.getByTestId('presence-more')).toHaveText(`and ${people - MAX_LISTED} more`)
  await expect(bea.page.getByTestId('presence-more')).toHaveText(`and ${people - MAX_LISTED} more`)
  const carets = await ada.editor.locator('.cm-ySelectionCaret').count()
  expect(carets).toBeLessThanOrEqual(MAX_CARETS)
  expect(await centre(ada)).toEqual({ inApp: true, inSelection: false, fixed: false })

  // Still responsive: what Ada types reaches Bea.
  await ada.typeAtEnd('still typing')
  await bea.expectText('still typing')

  // Ada's tab sent its own presence only, never the attackers' states back.
  expect([...sentIds]).toEqual([await ownClientId(ada)])
})

test('one frame of 5,000 client ids straight to a tab: 12 listed, at most 50 carets, and the tab keeps working (security: presence in the browser)', async ({
  docName,
  newPerson,
  openDoc,
}) => {
  // The frame goes to the page itself, past whatever the server would allow.
  const ada = await newPerson({ label: 'Ada' })
  let route: WebSocketRoute | null = null
  await ada.page.routeWebSocket(/.*/, (ws: WebSocketRoute) => {
    ws.connectToServer()
    route = ws
  })
  await ada.open(docName)
  const bea = await openDoc({ label: 'Bea' })
  await expect(ada.presence).toHaveAttribute('aria-label', '2 people here')

  const flood = 5_000
  const socket = route as WebSocketRoute | null
  if (socket === null) throw new Error('the page opened no WebSocket')
  socket.send(floodFrame(2_000_000_000, flood))

  const people = 2 + flood
  await expect(ada.presence).toHaveAttribute('aria-label', `${people} people here`)
  await expect(ada.presenceUsers).toHaveCount(MAX_LISTED)
  await expect(ada.page.getByTestId('presence-more')).toHaveText(`and ${people - MAX_LISTED} more`)
  await expect(ada.editor.locator('.cm-ySelectionCaret')).toHaveCount(MAX_CARETS)
  expect(await centre(ada)).toEqual({ inApp: true, inSelection: false, fixed: false })

  await ada.typeAtEnd('after the flood')
  await bea.expectText('after the flood')
  await bea.typeAtEnd(', and back')
  await ada.expectText('after the flood, and back')
})

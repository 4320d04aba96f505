// Floor: round trip of one small binary message through a raw `ws` echo, one at a time.
import WebSocket from 'ws'
import { latencyPercentiles } from '../lib/stats.mjs'

/**
 * @param {import('./protocol.mjs').Target} target
 * @param {{ messages: number, bytes: number, timeoutMs: number }} params
 * @param {import('./worker.mjs').Harness} harness
 */
export async function run(target, params, harness) {
  const ws = new WebSocket(`${target.wsUrl}/echo`, { perMessageDeflate: false })
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  const payload = new Uint8Array(params.bytes).fill(7)
  const rtts = new Float64Array(params.messages)
  const warmup = Math.min(500, params.messages)
  const deadline = performance.now() + params.timeoutMs
  /** @param {number} count @param {Float64Array | null} into */
  const pingPong = async (count, into) => {
    for (let i = 0; i < count && performance.now() < deadline; i++) {
      const sent = performance.now()
      await new Promise((resolve) => {
        ws.once('message', resolve)
        ws.send(payload)
      })
      if (into) into[i] = performance.now() - sent
    }
  }
  await pingPong(warmup, null)
  await harness.mark('start')
  await pingPong(params.messages, rtts)
  await harness.mark('end')
  ws.close()
  const lat = latencyPercentiles(rtts.filter((x) => x > 0))
  return { metrics: { rttP50Us: lat.p50 * 1000, rttP99Us: lat.p99 * 1000 }, samples: lat.samples }
}

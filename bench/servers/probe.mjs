// Preloaded into every benchmarked server (`node --expose-gc --import ./probe.mjs ...`) so the
// harness can ask the server process itself for its heap over the IPC channel: two full garbage
// collections, then `process.memoryUsage()`. It adds nothing else and stays idle otherwise.
if (typeof process.send === 'function') {
  process.on('message', (message) => {
    if (message?.type !== 'memory') return
    globalThis.gc?.()
    globalThis.gc?.()
    process.send({ type: 'memory', id: message.id, usage: process.memoryUsage() })
  })
  process.channel?.unref()
}

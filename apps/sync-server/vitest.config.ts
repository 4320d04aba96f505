import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'sync-server',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Integration tests start real servers and child processes.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})

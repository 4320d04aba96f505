import { defineConfig } from 'vitest/config'

// One Vitest run covers every package: each project keeps its own environment.
export default defineConfig({
  test: {
    projects: [
      'packages/protocol',
      'apps/sync-server',
      'apps/web',
      'examples/express',
      'examples/fastify',
    ],
  },
})

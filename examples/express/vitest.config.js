import { defineProject } from 'vitest/config'

export default defineProject({
  test: { name: 'example-express', include: ['*.test.js'], testTimeout: 30_000 },
})

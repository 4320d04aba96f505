import { defineProject } from 'vitest/config'

export default defineProject({
  // Transform tests with the tsconfig that type-checks them, rather than searching upwards
  // through the root solution's references.
  tsconfig: 'test/tsconfig.json',
  test: {
    name: 'protocol',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The differential tests read tens of thousands of updates: generous on a busy 2-core CI.
    testTimeout: 30_000,
  },
})

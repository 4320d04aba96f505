import { defineProject } from 'vitest/config'

export default defineProject({
  // Transform tests with the tsconfig that type-checks them, rather than searching upwards
  // through the root solution's references.
  tsconfig: 'test/tsconfig.json',
  test: { name: 'protocol', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
})

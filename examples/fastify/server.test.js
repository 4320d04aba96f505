import { checkExample } from '@tandem/example-check'
import { it } from 'vitest'
import { start } from './server.js'

it('M9: hosts Tandem under /collab behind its own cookie sign-in: sign-in, refusal, view-only', () =>
  checkExample(start))

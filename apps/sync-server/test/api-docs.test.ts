import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { apiErrors } from '../src/api/errors.js'
import { apiRoutes } from '../src/api/routes.js'

const read = (file: string) =>
  readFileSync(new URL(`../../../docs/${file}`, import.meta.url), 'utf8')
const openapi = JSON.parse(read('openapi.json')) as {
  openapi: string
  paths: Record<string, Record<string, unknown>>
  components: { schemas: { ApiErrorCode: { enum: string[] }; AccessErrorCode: { enum: string[] } } }
}
const apiMd = read('API.md')
const methods = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'])

describe('docs/API.md and docs/openapi.json', () => {
  it('R6: openapi.json lists exactly the routes the handler serves', () => {
    const documented = Object.entries(openapi.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => methods.has(key))
        .map((method) => `${method.toUpperCase()} ${path}`),
    )
    const served = apiRoutes.map((r) => `${r.method} ${r.path}`)
    expect(documented.sort()).toEqual([...served].sort())
    expect(openapi.openapi).toMatch(/^3\.1\./)
  })

  it('R6: API.md describes every route', () => {
    for (const { method, path } of apiRoutes) {
      expect(apiMd).toContain(`### \`${method} ${path}\``)
    }
  })

  it('R6: both list exactly the error codes of the catalogue, with their statuses', () => {
    const { ApiErrorCode, AccessErrorCode } = openapi.components.schemas
    expect([...new Set([...ApiErrorCode.enum, ...AccessErrorCode.enum])].sort()).toEqual(
      Object.keys(apiErrors).sort(),
    )
    const table = new Map(
      [...apiMd.matchAll(/^\| `([a-z_]+)` +\| +(\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])]),
    )
    expect(Object.fromEntries(table)).toEqual(
      Object.fromEntries(Object.entries(apiErrors).map(([code, e]) => [code, e.status])),
    )
  })

  it('R6: every $ref in openapi.json resolves', () => {
    const refs: string[] = []
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk)
      else if (value && typeof value === 'object') {
        for (const [key, inner] of Object.entries(value)) {
          if (key === '$ref' && typeof inner === 'string') refs.push(inner)
          else walk(inner)
        }
      }
    }
    walk(openapi)
    expect(refs.length).toBeGreaterThan(0)
    for (const ref of refs) {
      expect(ref.startsWith('#/')).toBe(true)
      const target = ref
        .slice(2)
        .split('/')
        .reduce<unknown>(
          (node, key) => (node as Record<string, unknown> | undefined)?.[key],
          openapi,
        )
      expect(target, ref).toBeDefined()
    }
  })
})

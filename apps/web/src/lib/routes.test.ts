import { describe, expect, it } from 'vitest'
import { docNameFromInput, docPath, parseRoute } from './routes'

describe('parseRoute', () => {
  it('recognises the home page', () => {
    expect(parseRoute('/')).toEqual({ kind: 'home' })
  })

  it('reads the document name from /d/<encoded name>', () => {
    expect(parseRoute('/d/brave-otter-42')).toEqual({ kind: 'doc', name: 'brave-otter-42' })
    expect(parseRoute('/d/team/notes')).toEqual({ kind: 'doc', name: 'team/notes' })
    expect(parseRoute('/d/caf%C3%A9%20notes')).toEqual({ kind: 'doc', name: 'café notes' })
  })

  it('reports why a document name in the path is refused', () => {
    expect(parseRoute('/d/')).toEqual({ kind: 'bad-doc-name', problem: 'empty' })
    expect(parseRoute('/d/%E0%A4%A')).toEqual({ kind: 'bad-doc-name', problem: 'bad-encoding' })
    expect(parseRoute('/d/a%3Fb')).toEqual({ kind: 'bad-doc-name', problem: 'reserved-character' })
    expect(parseRoute('/d/a//b')).toEqual({ kind: 'bad-doc-name', problem: 'bad-segment' })
  })

  it('does not match other paths', () => {
    expect(parseRoute('/docs')).toEqual({ kind: 'not-found' })
    expect(parseRoute('/d')).toEqual({ kind: 'not-found' })
  })
})

describe('docPath', () => {
  it.each(['brave-otter-42', 'team/notes', 'café notes', 'a+b&c=d', '日本語のメモ', "it's"])(
    'round-trips %j through parseRoute',
    (name) => {
      const path = docPath(name)
      expect(path.startsWith('/d/')).toBe(true)
      expect(new URL(path, 'http://x').pathname).toBe(path)
      expect(parseRoute(path)).toEqual({ kind: 'doc', name })
    },
  )

  it('keeps slashes between segments readable', () => {
    expect(docPath('team/q3 plan')).toBe('/d/team/q3%20plan')
  })
})

describe('docNameFromInput', () => {
  it('takes a typed name as it is, trimmed', () => {
    expect(docNameFromInput('  my notes ')).toBe('my notes')
  })

  it('takes the name out of a pasted document link', () => {
    expect(docNameFromInput('https://tandem.example/d/team/caf%C3%A9')).toBe('team/café')
    expect(docNameFromInput('http://127.0.0.1:1234/d/brave-otter-42?debug')).toBe('brave-otter-42')
  })

  it('leaves other links alone, so they are validated as names', () => {
    expect(docNameFromInput('https://example.com/elsewhere')).toBe('https://example.com/elsewhere')
  })
})

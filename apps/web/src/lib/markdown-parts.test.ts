import { describe, expect, it } from 'vitest'
import { markdownToHtml } from './markdown'
import { linkDefinitions, splitMarkdown } from './markdown-parts'

const section = (n: number) =>
  [
    `## Section ${n}`,
    '',
    `A paragraph of section ${n} with *emphasis*, \`code\` and a [link][home].`,
    '',
    '- a list item',
    '- another, with a lazy',
    'continuation',
    '',
    '- a loose item after a blank line',
    '',
    '```js',
    `const n = ${n}`,
    '',
    '## not a heading: inside the fence',
    '```',
    '',
    '> a quote',
    '',
    '| a | b |',
    '| - | - |',
    `| ${n} | x |`,
    '',
  ].join('\n')

describe('splitMarkdown', () => {
  it('keeps a text shorter than a part whole', () => {
    expect(splitMarkdown('# Short\n\ntext', 100)).toEqual(['# Short\n\ntext'])
  })

  it('gives parts that join into the text, at least a part long except the last', () => {
    const text = Array.from({ length: 200 }, (_, n) => section(n)).join('\n')
    const parts = splitMarkdown(text, 2000)
    expect(parts.length).toBeGreaterThan(10)
    expect(parts.join('')).toBe(text)
    for (const part of parts.slice(0, -1)) expect(part.length).toBeGreaterThanOrEqual(2000)
  })

  it('never splits inside fenced code, nor before a line that continues a block', () => {
    const text = Array.from({ length: 200 }, (_, n) => section(n)).join('\n')
    for (const part of splitMarkdown(text, 500).slice(1)) {
      expect(part).not.toMatch(/^(## not a heading|[-*+] |> | |\t|\d+[.)] )/)
      // Each part opens and closes its fences.
      expect((part.match(/^```/gm) ?? []).length % 2).toBe(0)
    }
  })

  it('renders in parts the same HTML as whole, references included', () => {
    const text = `${Array.from({ length: 120 }, (_, n) => section(n)).join('\n')}\n[home]: https://example.com/\n`
    const definitions = linkDefinitions(text)
    expect(definitions).toBe('[home]: https://example.com/')
    const whole = markdownToHtml(text)
    const inParts = splitMarkdown(text, 3000)
      .map((part) => markdownToHtml(`${part}\n\n${definitions}\n`))
      .join('')
    expect(inParts).toBe(whole)
    expect(whole).toContain('<a href="https://example.com/">link</a>')
  })
})

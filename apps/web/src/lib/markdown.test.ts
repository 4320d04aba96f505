import { describe, expect, it } from 'vitest'
import { escapeHtml, markdownToHtml } from './markdown'

// The sanitising half (DOMPurify) needs a browser; e2e/tests/preview.spec.ts tests it in Chromium.
describe('markdownToHtml', () => {
  it('renders GitHub-flavoured Markdown', () => {
    expect(markdownToHtml('# Title\n\n**bold** ~~gone~~')).toBe(
      '<h1>Title</h1>\n<p><strong>bold</strong> <del>gone</del></p>\n',
    )
    expect(markdownToHtml('- [x] done\n- [ ] todo')).toContain('☑ done')
  })

  it('shows raw HTML as text, inline and as a block', () => {
    expect(markdownToHtml('<script>alert(1)</script>')).toBe(
      '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>',
    )
    const inline = markdownToHtml('a <img src=x onerror="alert(1)"> b')
    expect(inline).not.toContain('<img')
    expect(inline).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;')
  })

  it('escapes every character that starts markup', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    )
  })
})

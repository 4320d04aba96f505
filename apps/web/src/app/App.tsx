import { lazy, Suspense } from 'react'
import { HomePage } from '../components/HomePage'
import { MessagePage } from '../components/MessagePage'
import { usePath } from '../hooks/usePath'
import { describeDocNameProblem } from '../lib/doc-names'
import { parseRoute } from '../lib/routes'

// The editor and Yjs are most of the code; the home page does without them.
const DocumentPage = lazy(() =>
  import('../components/DocumentPage').then((module) => ({ default: module.DocumentPage })),
)

/** Picks the page for the current URL. */
export function App() {
  const route = parseRoute(usePath())
  switch (route.kind) {
    case 'home':
      return <HomePage />
    case 'doc':
      return (
        <Suspense fallback={<div className="doc-page" aria-busy="true" />}>
          <DocumentPage key={route.name} name={route.name} />
        </Suspense>
      )
    case 'bad-doc-name':
      return (
        <MessagePage
          title="This link does not lead to a document"
          detail={`The document name in the address cannot be used. ${describeDocNameProblem(route.problem)}`}
        />
      )
    case 'not-found':
      return <MessagePage title="Page not found" detail="There is nothing at this address." />
  }
}

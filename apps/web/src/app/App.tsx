import { lazy, Suspense } from 'react'
import { MessagePage } from '../components/MessagePage'
import { usePath } from '../hooks/usePath'
import { describeDocNameProblem } from '../lib/doc-names'
import { parseRoute } from '../lib/routes'
import { pageToken, readToken } from '../lib/token'

// Each page loads its own code: the home page does without the editor and Yjs, and a document
// page without the home page's list.
const DocumentPage = lazy(() =>
  import('../components/DocumentPage').then((module) => ({ default: module.DocumentPage })),
)
const HomePage = lazy(() =>
  import('../components/HomePage').then((module) => ({ default: module.HomePage })),
)

/** Picks the page for the current URL. */
export function App() {
  const route = parseRoute(usePath())
  switch (route.kind) {
    case 'home':
      return (
        <Suspense fallback={null}>
          <HomePage />
        </Suspense>
      )
    case 'doc': {
      // A shared link's access token, if the address carries one.
      const token = pageToken(location.search)
      const expiresAtMs = token ? readToken(token)?.expiresAtMs : null
      if (expiresAtMs != null && expiresAtMs <= Date.now()) {
        return (
          <MessagePage
            title="This link has expired"
            detail="The link you followed no longer opens the document. Ask whoever shared it for a new one."
          />
        )
      }
      return (
        <Suspense fallback={<div className="doc-page" aria-busy="true" />}>
          <DocumentPage key={`${route.name}\u0000${token ?? ''}`} name={route.name} token={token} />
        </Suspense>
      )
    }
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

import { useEffect, useRef, useState } from 'preact/hooks';
import { href, useRoute, type Route } from '../router';
import { getToken, onTokenChange, setToken } from '../session';
import { ApplicationPage } from './ApplicationPage';
import { Applications } from './Applications';
import { IntegrationEditor } from './IntegrationEditor';
import { IntegrationPage } from './IntegrationPage';
import { SignIn } from './SignIn';
import { Tokens } from './Tokens';

const TITLES: Record<Route['page'], string> = {
  applications: 'Applications',
  application: 'Integrations',
  tokens: 'Application tokens',
  newIntegration: 'New integration',
  integration: 'Integration',
  editIntegration: 'Edit integration',
  notFound: 'Page not found',
};

export function App() {
  const [token, setTokenState] = useState(getToken);
  const [ended, setEnded] = useState(false);
  const route = useRoute();

  useEffect(
    () =>
      onTokenChange(() => {
        const next = getToken();
        setTokenState((previous) => {
          // A token that disappears without "Sign out" expired or was revoked.
          if (previous !== null && next === null) setEnded(true);
          return next;
        });
      }),
    [],
  );

  const firstRoute = useRef(true);
  useEffect(() => {
    document.title = token === null ? 'Sign in · Tributary' : `${TITLES[route.page]} · Tributary`;
    // After a move to another page, the reader starts at its content, not on a link that is gone.
    if (firstRoute.current) firstRoute.current = false;
    else document.getElementById('content')?.focus({ preventScroll: true });
  }, [token, route]);

  function signOut() {
    setToken(null);
    setEnded(false);
  }

  return (
    <>
      {/* Not a #fragment link: the hash holds the page. */}
      <a
        class="skip"
        href="#content"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('content')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href.applications()}>
          Tributary
        </a>
        {token !== null ? (
          <nav aria-label="Main">
            <a href={href.applications()}>Applications</a>
            <button type="button" class="link" onClick={signOut}>
              Sign out
            </button>
          </nav>
        ) : null}
      </header>
      <div id="content" tabIndex={-1}>{token === null ? <SignIn notice={ended ? 'Your session ended: sign in again.' : undefined} /> : <Page route={route} />}</div>
    </>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'applications':
      return <Applications />;
    case 'application':
      return <ApplicationPage applicationId={route.applicationId} />;
    case 'tokens':
      return <Tokens applicationId={route.applicationId} />;
    case 'newIntegration':
      return <IntegrationEditor key="new" applicationId={route.applicationId} />;
    case 'integration':
      return <IntegrationPage key={route.integrationId} applicationId={route.applicationId} integrationId={route.integrationId} />;
    case 'editIntegration':
      return <IntegrationEditor key={route.integrationId} applicationId={route.applicationId} integrationId={route.integrationId} />;
    case 'notFound':
      return (
        <main>
          <h1>Page not found</h1>
          <p>
            <a href={href.applications()}>Back to the applications</a>
          </p>
        </main>
      );
  }
}

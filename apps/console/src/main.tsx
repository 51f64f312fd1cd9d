import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, Navigate, Outlet } from 'react-router';
// The DOM build of the provider: it applies `flushSync` updates (filters) at once.
import { RouterProvider } from 'react-router/dom';
import { AuthProvider, useAuth } from './auth';
import { Home, Layout } from './Layout';
import { isUnauthorized } from './lib/api';
import { Session } from './lib/session';
import { PipelinePage } from './pages/Pipeline';
import { Pipelines } from './pages/Pipelines';
import { RunPage } from './pages/RunPage';
import { SignIn } from './pages/SignIn';
import './styles.css';

// The editor (CodeMirror) is most of the code: loaded when first opened.
const Editor = lazy(() => import('./pages/Editor').then((m) => ({ default: m.Editor })));
const editor = (
  <Suspense fallback={<div className="loading">Loading the editor…</div>}>
    <Editor />
  </Suspense>
);

/** A key that stops working (revoked, expired) signs the tab out. */
const signOutOn401 = (err: unknown, signingIn = false) => {
  const session = new Session(window.sessionStorage);
  // A key being tried on the sign-in page is refused there, with the reason; the tab's key stays.
  if (!isUnauthorized(err) || signingIn || session.apiKey === null) return;
  session.signOut();
  window.location.assign('/ui/signin');
};

const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError: (err) => signOutOn401(err) }),
  mutationCache: new MutationCache({ onError: (err, _v, _c, mutation) => signOutOn401(err, mutation.meta?.signingIn === true) }),
  defaultOptions: { queries: { retry: (count, err) => !isUnauthorized(err) && count < 1, refetchOnWindowFocus: false } },
});

function SignedIn() {
  const { apiKey } = useAuth();
  return apiKey ? <Outlet /> : <Navigate to="/signin" replace />;
}

const router = createBrowserRouter(
  [
    { path: '/signin', element: <SignIn /> },
    {
      element: <SignedIn />,
      children: [
        {
          element: <Layout />,
          children: [
            { index: true, element: <Home /> },
            { path: 's/:space', element: <Navigate to="pipelines" replace /> },
            { path: 's/:space/pipelines', element: <Pipelines /> },
            { path: 's/:space/pipelines/:pipelineId', element: <PipelinePage /> },
            { path: 's/:space/runs/:runId', element: <RunPage /> },
            { path: 's/:space/editor', element: editor },
            { path: 's/:space/editor/:pipelineId', element: editor },
            { path: '*', element: <div className="empty">No such page in the console.</div> },
          ],
        },
      ],
    },
  ],
  { basename: '/ui' },
);

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <AuthProvider>
        <RouterProvider router={router} />
      </AuthProvider>
    </QueryClientProvider>
  </StrictMode>,
);

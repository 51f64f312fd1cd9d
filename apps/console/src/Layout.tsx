import { useQuery } from '@tanstack/react-query';
import { Link, Navigate, NavLink, Outlet, useNavigate, useParams } from 'react-router';
import { useAuth, useClient, useMe } from './auth';
import { ErrorBox, Loading } from './components/bits';
import type { Space } from './lib/api';

function useSpaces() {
  const sb = useClient();
  return useQuery({ queryKey: ['spaces'], queryFn: (): Promise<Space[]> => sb.spaces.list(), staleTime: 60_000 });
}

/** The frame of every signed-in page: the space picker, the navigation, who is signed in. */
export function Layout() {
  const { space } = useParams();
  const { signOut } = useAuth();
  const navigate = useNavigate();
  const me = useMe();
  const spaces = useSpaces();
  return (
    <div className="app">
      <header className="topbar">
        <Link to="/" className="brand">
          Signalbox
        </Link>
        {spaces.data && spaces.data.length > 0 ? (
          <select aria-label="space" value={space ?? ''} onChange={(e) => navigate(`/s/${encodeURIComponent(e.target.value)}/pipelines`)}>
            {spaces.data.map((s) => (
              <option key={s.id} value={s.slug}>
                {s.name}
              </option>
            ))}
          </select>
        ) : null}
        {space ? (
          <nav>
            <NavLink to={`/s/${encodeURIComponent(space)}/pipelines`} end>
              Pipelines
            </NavLink>
            <NavLink to={`/s/${encodeURIComponent(space)}/editor`}>New pipeline</NavLink>
          </nav>
        ) : null}
        <span className="spacer" />
        <a href="/docs">API reference</a>
        <span className="who">{me.data ? me.data.name : ''}</span>
        <button type="button" className="link" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main className="content">
        <ErrorBox error={me.error ?? spaces.error} />
        <Outlet />
      </main>
    </div>
  );
}

/** `/ui/`: the first space the key can see. */
export function Home() {
  const spaces = useSpaces();
  if (spaces.isPending) return <Loading what="spaces" />;
  if (spaces.error) return <ErrorBox error={spaces.error} />;
  const first = spaces.data[0];
  if (!first) return <div className="empty">This key is a member of no space yet: an admin adds members to a space.</div>;
  return <Navigate to={`/s/${encodeURIComponent(first.slug)}/pipelines`} replace />;
}

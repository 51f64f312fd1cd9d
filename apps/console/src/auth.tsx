import type { Signalbox } from '@signalbox/client';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import { clientFor, type User } from './lib/api';
import { Session } from './lib/session';

const session = new Session(window.sessionStorage);

interface Auth {
  apiKey: string | null;
  signIn(apiKey: string): void;
  signOut(): void;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const queries = useQueryClient();
  const [apiKey, setApiKey] = useState(session.apiKey);
  const signIn = useCallback((key: string) => {
    session.signIn(key);
    setApiKey(session.apiKey);
  }, []);
  const signOut = useCallback(() => {
    session.signOut();
    setApiKey(null);
    // Nothing read with the old key stays on screen for the next one.
    queries.clear();
  }, [queries]);
  const value = useMemo(() => ({ apiKey, signIn, signOut }), [apiKey, signIn, signOut]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside AuthProvider');
  return auth;
}

/** A client with the signed-in key, in the given space. */
export function useClient(space?: string): Signalbox {
  const { apiKey } = useAuth();
  return useMemo(() => clientFor(apiKey ?? '', space), [apiKey, space]);
}

/** The signed-in user. */
export function useMe() {
  const sb = useClient();
  return useQuery({ queryKey: ['me'], queryFn: (): Promise<User> => sb.call(sb.raw.GET('/api/v1.0/me')), staleTime: 5 * 60_000 });
}

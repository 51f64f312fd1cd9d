import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { useAuth } from '../auth';
import { ErrorBox } from '../components/bits';
import { clientFor } from '../lib/api';

/** Sign in with an API key: checked against `/me` before it is kept (in session storage). */
export function SignIn() {
  const { signIn } = useAuth();
  const navigate = useNavigate();
  const [key, setKey] = useState('');
  const check = useMutation({
    mutationFn: async (apiKey: string) => {
      const sb = clientFor(apiKey);
      return sb.call(sb.raw.GET('/api/v1.0/me'));
    },
    // The key kept is the one checked, not what the field holds by then.
    meta: { signingIn: true },
    onSuccess: (_me, apiKey) => {
      signIn(apiKey);
      navigate('/', { replace: true });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (key.trim()) check.mutate(key.trim());
  };
  return (
    <main className="signin">
      <h1>Signalbox</h1>
      <form onSubmit={submit}>
        <label>
          API key
          <input type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} placeholder="sbx_…" />
        </label>
        <button type="submit" disabled={check.isPending || !key.trim()}>
          Sign in
        </button>
      </form>
      <ErrorBox error={check.error} title="Could not sign in" />
      <p className="hint">
        The key is kept for this tab only. <code>npm start</code> prints the demo's key; <a href="/docs">the API reference</a> says how to make others.
      </p>
    </main>
  );
}

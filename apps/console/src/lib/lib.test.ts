import { ApiError } from '@signalbox/client';
import { errorText, listPage } from './api';
import { placeDetails } from './diagnostics';
import { diffLines } from './diff';
import { listQuery, readFilters, writeFilters } from './filters';
import { formatDuration, formatRate, formatWhen } from './format';
import { Session } from './session';

describe('formatting', () => {
  it('writes durations, rates and instants for people', () => {
    expect([null, 0.25, 42.4, 200, 3600, 7500].map(formatDuration)).toEqual(['—', '250 ms', '42 s', '3 min 20 s', '1 h', '2 h 5 min']);
    expect([null, 0, 0.9876, 1].map(formatRate)).toEqual(['—', '0%', '98.8%', '100%']);
    const now = new Date('2026-11-28T12:00:00Z');
    expect(formatWhen('2026-11-28T11:55:00Z', now)).toBe('5 minutes ago');
    expect(formatWhen('2026-11-28T14:00:00Z', now)).toBe('in 2 hours');
    expect(formatWhen(null, now)).toBe('—');
  });
});

describe('the list filters in the address', () => {
  it('reads what it knows, ignores the rest, and writes back only what differs from the defaults', () => {
    const f = readFilters(new URLSearchParams('status=error&status=bogus&criticality=high,low&origin=managed&q=sales&watched_only=true&days=30&page=2&x=1'));
    expect(f).toMatchObject({ status: ['error'], criticality: ['high', 'low'], origin: ['managed'], q: 'sales', watchedOnly: true, days: 30, page: 2 });
    expect(writeFilters(f).toString()).toBe('status=error&criticality=high&criticality=low&origin=managed&q=sales&watched_only=true&days=30&page=2');
    expect(writeFilters(readFilters(new URLSearchParams(''))).toString()).toBe('');
    expect(readFilters(new URLSearchParams('days=-3&page=abc'))).toMatchObject({ days: 7, page: 1 });
  });

  it('sends the API only the filters that are set', () => {
    expect(listQuery(readFilters(new URLSearchParams('')))).toEqual({ days: 7, page: 1, per_page: 50 });
    expect(listQuery(readFilters(new URLSearchParams('team_id=t1&owner=%20ana%20&q=%20')))).toEqual({
      team_id: 't1',
      owner: 'ana',
      days: 7,
      page: 1,
      per_page: 50,
    });
  });
});

describe('API answers', () => {
  it('reads a page with its pagination headers', async () => {
    const response = new Response('[]', { headers: { 'X-Total-Count': '120', 'X-Page': '2', 'X-Total-Pages': '3' } });
    expect(await listPage(Promise.resolve({ data: [1, 2], response }))).toEqual({ items: [1, 2], total: 120, page: 2, totalPages: 3 });
    const bare = new Response('[]');
    expect(await listPage(Promise.resolve({ data: [1], response: bare }))).toEqual({ items: [1], total: 1, page: 1, totalPages: 1 });
  });

  it("throws the API's error, and words it with its details", async () => {
    const body = { error: { code: 'INVALID', message: 'the query is invalid', details: [{ field: 'days', reason: 'must be at least 1' }] } };
    const response = new Response(JSON.stringify(body), { status: 400 });
    const failed = listPage(Promise.resolve({ error: body, response }));
    await expect(failed).rejects.toBeInstanceOf(ApiError);
    expect(errorText(await failed.catch((e) => e))).toBe('the query is invalid — days: must be at least 1');
    expect(errorText(new Error('boom'))).toBe('boom');
  });
});

describe('problems placed in the text', () => {
  const text = 'name: x\nsteps:\n  - name: a\n';
  it('marks from the column to the end of the line, at the line the server named', () => {
    const [p] = placeDetails(text, [{ line: 3, column: 5, field: '/steps/0/name', reason: 'is taken' }], 'error');
    expect(text.slice(p.from, p.to)).toBe('name: a');
    expect(p).toMatchObject({ line: 3, severity: 'error', message: '/steps/0/name: is taken' });
  });

  it('puts a problem without a line on the first line, and clamps lines past the end', () => {
    const [whole, past] = placeDetails(text, [{ reason: 'no steps' }, { line: 99, reason: 'late', query_line: 2, query_column: 4 }], 'warning');
    expect(text.slice(whole.from, whole.to)).toBe('name: x');
    expect(past).toMatchObject({ line: 4, from: text.length, to: text.length, message: 'late (query line 2, column 4)' });
  });
});

describe('a unified diff', () => {
  it('classifies each line', () => {
    expect(diffLines('--- a\n+++ b\n@@ -1 +1 @@\n-old\n+new\n same\n').map((l) => l.kind)).toEqual(['header', 'header', 'hunk', 'removed', 'added', 'context']);
    // A SQL comment removed or added inside a hunk is a change, not a header.
    expect(diffLines('--- a\n+++ b\n@@ -1,2 +1,2 @@\n--- old note\n+++ new note\n').map((l) => l.kind)).toEqual([
      'header',
      'header',
      'hunk',
      'removed',
      'added',
    ]);
    expect(diffLines('')).toEqual([]);
  });
});

describe('the session', () => {
  it('keeps the key trimmed until sign-out', () => {
    const store = new Map<string, string>();
    const session = new Session({ getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v), removeItem: (k) => store.delete(k) });
    expect(session.apiKey).toBeNull();
    session.signIn('  sbx_key \n');
    expect(session.apiKey).toBe('sbx_key');
    session.signOut();
    expect(session.apiKey).toBeNull();
  });
});

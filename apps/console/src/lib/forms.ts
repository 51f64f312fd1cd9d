/** A JSON object typed into a form field: the object (absent when empty), or why it is not one. */
export function parseObject(text: string, field: string): { value: Record<string, unknown> | undefined } | { error: string } {
  if (!text.trim()) return { value: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { error: `${field}: not JSON (${(err as Error).message})` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { error: `${field}: must be a JSON object, like {"key": "value"}` };
  return { value: Object.keys(parsed).length ? (parsed as Record<string, unknown>) : undefined };
}

/** A random key (128 bits, hex) from `crypto.getRandomValues`, which pages served over plain HTTP have too. */
export function randomKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The Idempotency-Key of a form's submissions: the same for the same body (a double click, a retry
 * after a lost answer starts one run), a new one when the body changed.
 */
export class SubmissionKeys {
  private last: { body: string; key: string } | undefined;

  keyFor(body: unknown): string {
    const text = JSON.stringify(body);
    if (this.last?.body !== text) this.last = { body: text, key: randomKey() };
    return this.last.key;
  }
}

/** The list with the value added, or taken out when it was there. */
export const toggle = <T>(list: readonly T[], value: T): T[] => (list.includes(value) ? list.filter((v) => v !== value) : [...list, value]);

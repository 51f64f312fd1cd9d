/** The lines of a unified diff, each with its kind, for colouring. */
export type DiffLine = { kind: 'added' | 'removed' | 'hunk' | 'header' | 'context'; text: string };

export function diffLines(unified: string): DiffLine[] {
  if (!unified) return [];
  // Headers come before the first hunk only: in a hunk, `--- x` is a removed line that began with `-- x`.
  let inHunk = false;
  return unified
    .replace(/\n$/, '')
    .split('\n')
    .map((text) => {
      if (text.startsWith('@@')) {
        inHunk = true;
        return { kind: 'hunk', text };
      }
      if (!inHunk) return { kind: 'header', text };
      if (text.startsWith('+')) return { kind: 'added', text };
      if (text.startsWith('-')) return { kind: 'removed', text };
      return { kind: 'context', text };
    });
}

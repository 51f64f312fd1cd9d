/** The lines of a unified diff, each with its kind, for colouring. */
export type DiffLine = { kind: 'added' | 'removed' | 'hunk' | 'header' | 'context'; text: string };

export function diffLines(unified: string): DiffLine[] {
  if (!unified) return [];
  return unified
    .replace(/\n$/, '')
    .split('\n')
    .map((text) => {
      if (text.startsWith('+++') || text.startsWith('---') || text.startsWith('Index:') || text.startsWith('===')) return { kind: 'header', text };
      if (text.startsWith('@@')) return { kind: 'hunk', text };
      if (text.startsWith('+')) return { kind: 'added', text };
      if (text.startsWith('-')) return { kind: 'removed', text };
      return { kind: 'context', text };
    });
}

import { diffLines } from '../lib/diff';

/** A unified diff, line by line, coloured by kind. */
export function DiffView({ text }: { text: string }) {
  const lines = diffLines(text);
  if (lines.length === 0) return <div className="empty">The sources are the same.</div>;
  return (
    <pre className="diff">
      {lines.map((l, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the lines of one diff never move
        <div key={i} className={`diff-${l.kind}`}>
          {l.text || ' '}
        </div>
      ))}
    </pre>
  );
}

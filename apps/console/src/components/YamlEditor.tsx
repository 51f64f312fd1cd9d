import { yaml } from '@codemirror/lang-yaml';
import { lintGutter, setDiagnostics } from '@codemirror/lint';
import { EditorView } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';
import type { Placed } from '../lib/diagnostics';

/** Problems placed in the text they were found in. */
export interface Problems {
  text: string;
  placed: Placed[];
}

/**
 * A YAML editor (CodeMirror 6) whose problems are the server's, shown at their line in the gutter
 * and underlined. They are set when the text they were found in is the editor's; as the text is
 * edited, CodeMirror carries them along with the lines they were on until the next check.
 */
export function YamlEditor({ value, onChange, problems }: { value: string; onChange: (text: string) => void; problems: Problems }) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changed = useRef(onChange);
  changed.current = onChange;

  // The editor is made once; the text it starts with is the first value.
  // biome-ignore lint/correctness/useExhaustiveDependencies: later values come from the editor itself
  useEffect(() => {
    const editor = new EditorView({
      doc: value,
      parent: host.current as HTMLDivElement,
      extensions: [
        basicSetup,
        yaml(),
        lintGutter(),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) changed.current(update.state.doc.toString());
        }),
        EditorView.contentAttributes.of({ 'aria-label': 'pipeline definition (YAML)' }),
      ],
    });
    view.current = editor;
    return () => editor.destroy();
  }, []);

  // A value set from outside (a version loaded) replaces the text; the editor's own edits are already in it.
  useEffect(() => {
    const editor = view.current;
    if (editor && editor.state.doc.toString() !== value) editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } });
  }, [value]);

  useEffect(() => {
    const editor = view.current;
    if (!editor || editor.state.doc.toString() !== problems.text) return;
    const diagnostics = problems.placed.map((p) => ({ from: p.from, to: p.to, severity: p.severity, message: p.message }));
    editor.dispatch(setDiagnostics(editor.state, diagnostics));
  }, [problems]);

  return <div className="yaml-editor" ref={host} />;
}

import type { Signalbox } from '@signalbox/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useMe } from '../auth';
import type { Comment } from '../lib/api';
import { formatInstant, formatWhen } from '../lib/format';
import { Empty, ErrorBox } from './bits';

type Target = { runId: string } | { taskRunId: string };

/** A comment thread on a run or a task run: read, add, edit one's own, delete (one's own; admins any). */
export function Comments({ sb, target, canModerate, label }: { sb: Signalbox; target: Target; canModerate: boolean; label: string }) {
  const queries = useQueryClient();
  const me = useMe();
  const key = ['comments', 'runId' in target ? target.runId : target.taskRunId];
  const thread = useQuery({ queryKey: key, queryFn: () => sb.comments.list(target) });
  const refresh = () => queries.invalidateQueries({ queryKey: key });
  const [draft, setDraft] = useState('');
  const add = useMutation({
    mutationFn: (body: string) => sb.comments.add(target, body),
    onSuccess: () => {
      setDraft('');
      void refresh();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (draft.trim()) add.mutate(draft.trim());
  };
  return (
    <section className="comments" aria-label={`comments on ${label}`}>
      <ErrorBox error={thread.error} title="Comments" />
      {thread.data?.length === 0 ? <Empty>No comments yet.</Empty> : null}
      <ul>
        {thread.data?.map((c) => (
          <CommentItem
            key={c.id}
            sb={sb}
            comment={c}
            mine={c.author_id === me.data?.id}
            canDelete={c.author_id === me.data?.id || canModerate}
            onChange={refresh}
          />
        ))}
      </ul>
      <form onSubmit={submit} className="comment-form">
        <textarea aria-label={`new comment on ${label}`} value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="Add a comment" rows={2} />
        <button type="submit" disabled={add.isPending || !draft.trim()}>
          Comment
        </button>
      </form>
      <ErrorBox error={add.error} title="Could not comment" />
    </section>
  );
}

function CommentItem({ sb, comment, mine, canDelete, onChange }: { sb: Signalbox; comment: Comment; mine: boolean; canDelete: boolean; onChange: () => void }) {
  const [editing, setEditing] = useState<string | null>(null);
  const edit = useMutation({
    mutationFn: (body: string) => sb.comments.edit(comment.id, body),
    onSuccess: () => {
      setEditing(null);
      onChange();
    },
  });
  const remove = useMutation({ mutationFn: () => sb.comments.delete(comment.id), onSuccess: onChange });
  return (
    <li className="comment">
      <div className="comment-meta">
        <span>{mine ? 'You' : `User ${comment.author_id.slice(0, 8)}`}</span>
        <span title={formatInstant(comment.created_at)}>{formatWhen(comment.created_at)}</span>
        {comment.updated_at !== comment.created_at ? <span>(edited)</span> : null}
        {mine && editing === null ? (
          <button type="button" className="link" onClick={() => setEditing(comment.body)}>
            Edit
          </button>
        ) : null}
        {canDelete ? (
          <button type="button" className="link danger" disabled={remove.isPending} onClick={() => remove.mutate()}>
            Delete
          </button>
        ) : null}
      </div>
      {editing === null ? (
        <p className="comment-body">{comment.body}</p>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            edit.mutate(editing);
          }}
        >
          <textarea aria-label="edit comment" value={editing} onChange={(e) => setEditing(e.target.value)} rows={2} />
          <button type="submit" disabled={edit.isPending}>
            Save
          </button>
          <button type="button" className="link" onClick={() => setEditing(null)}>
            Cancel
          </button>
        </form>
      )}
      <ErrorBox error={edit.error ?? remove.error} />
    </li>
  );
}

import type { Id } from '../common';
import { invalid } from '../errors';

export type CommentTargetKind = 'run' | 'task_run';

export interface CommentTarget {
  kind: CommentTargetKind;
  id: Id;
}

/** A user's note on a run or a task run. */
export interface Comment {
  id: Id;
  spaceId: Id;
  target: CommentTarget;
  authorId: Id;
  body: string;
  createdAt: Date;
  updatedAt: Date;
}

export const MAX_COMMENT_LENGTH = 10_000;

/** A comment body is 1..10,000 characters and not only white space. */
export function checkCommentBody(body: string): string {
  if (body.trim().length === 0) throw invalid('body', 'must not be empty');
  if (body.length > MAX_COMMENT_LENGTH) throw invalid('body', `must be at most ${MAX_COMMENT_LENGTH} characters`);
  return body;
}

import type { Actor } from '../access/access';
import { type Comment, type CommentTarget, checkCommentBody } from '../comment/comment';
import type { Paged, PageRequest } from '../common';
import { DomainError, notFound } from '../errors';
import type { Authorizer } from '../ports/authorizer';
import type { CommentRepository, RunRepository, TaskRunRepository } from '../ports/repositories';
import type { Clock, IdGenerator } from '../ports/system';
import type { SpaceAccess } from './space-access';

/**
 * Threads on runs and task runs. Any member comments; authors edit and delete their own; space
 * admins (and instance admins) may delete any, but nobody edits another's words.
 */
export class CommentService {
  constructor(
    private readonly comments: CommentRepository,
    private readonly runs: RunRepository,
    private readonly taskRuns: TaskRunRepository,
    private readonly access: SpaceAccess,
    private readonly authz: Authorizer,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  /** Oldest first. Throws not_found for a target not in the space. */
  async list(actor: Actor, slug: string, target: CommentTarget, page: PageRequest): Promise<Paged<Comment>> {
    const space = await this.access.resolve(actor, slug, 'space:read');
    await this.mustHaveTarget(space.id, target);
    return this.comments.list(space.id, target, page);
  }

  /** Throws not_found | invalid (body). */
  async add(actor: Actor, slug: string, target: CommentTarget, body: string): Promise<Comment> {
    const space = await this.access.resolve(actor, slug, 'comment:write');
    const checked = checkCommentBody(body);
    await this.mustHaveTarget(space.id, target);
    const now = this.clock.now();
    const comment: Comment = { id: this.ids.id(), spaceId: space.id, target, authorId: actor.userId, body: checked, createdAt: now, updatedAt: now };
    await this.comments.create(comment);
    return comment;
  }

  /** The author only. Throws not_found | forbidden | invalid. */
  async edit(actor: Actor, slug: string, commentId: string, body: string): Promise<Comment> {
    const space = await this.access.resolve(actor, slug, 'comment:write');
    const checked = checkCommentBody(body);
    const comment = await this.mustGet(space.id, commentId);
    if (comment.authorId !== actor.userId) {
      throw new DomainError('forbidden', 'NOT_COMMENT_AUTHOR', 'only the author may edit a comment');
    }
    const at = this.clock.now();
    if (!(await this.comments.updateBody(space.id, commentId, checked, at))) throw notFound('comment', commentId);
    return { ...comment, body: checked, updatedAt: at };
  }

  /** The author, a space admin or an instance admin. Throws not_found | forbidden. */
  async delete(actor: Actor, slug: string, commentId: string): Promise<void> {
    const space = await this.access.resolve(actor, slug, 'comment:write');
    const comment = await this.mustGet(space.id, commentId);
    if (comment.authorId !== actor.userId && !(await this.authz.can(actor, 'comment:moderate', space.id))) {
      throw new DomainError('forbidden', 'NOT_COMMENT_AUTHOR', 'only the author or a space admin may delete a comment');
    }
    await this.comments.delete(space.id, commentId);
  }

  private async mustGet(spaceId: string, id: string): Promise<Comment> {
    const c = await this.comments.get(spaceId, id);
    if (!c) throw notFound('comment', id);
    return c;
  }

  private async mustHaveTarget(spaceId: string, target: CommentTarget) {
    const found = target.kind === 'run' ? await this.runs.get(spaceId, target.id) : await this.taskRuns.get(spaceId, target.id);
    if (!found) throw notFound(target.kind === 'run' ? 'run' : 'task run', target.id);
  }
}

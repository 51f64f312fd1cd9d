import type { PipelineStatus, RunType } from '@signalbox/core';
import { type Ctx, type Input, type RouteSpec, route } from './route';
import { bodySchemas as B, querySchemas as Q } from './schemas';

/*
 * The checks that matter here are made by the compiler (`tsc -b` checks this file): a handler
 * that reads a field its schema does not have, or uses one with the wrong type, must not
 * compile. Each `@ts-expect-error` fails the build the day that stops being an error.
 */

const meta = { method: 'post' as const, path: '/x', operationId: 'x', summary: 'x', tag: 'x', responses: {}, errors: [] as number[] };
const reply = { status: 204 } as const;

// Bodies: fields, their types, and which are optional, come from the schema.
export const team = route({
  ...meta,
  body: B.team,
  handle: async (c) => {
    c.body.name satisfies string;
    // @ts-expect-error the team schema has no `title`
    c.body.title;
    // @ts-expect-error a route without a query schema has no query
    c.query.page;
    return reply;
  },
});

export const trigger = route({
  ...meta,
  body: B.trigger,
  handle: async (c) => {
    c.body.note satisfies string | null | undefined;
    // @ts-expect-error `note` is optional and nullable: not a plain string
    c.body.note satisfies string;
    // @ts-expect-error `conf` is an object, never a string
    c.body.conf satisfies string | null | undefined;
    return reply;
  },
});

export const criticality = route({
  ...meta,
  body: B.setCriticality,
  handle: async (c) => {
    // @ts-expect-error the schema's enum has no 'urgent'
    c.body.criticality === 'urgent';
    return reply;
  },
});

// Queries: defaults make a field always present; multi-value filters are arrays of the enum.
export const runs = route({
  ...meta,
  method: 'get',
  query: Q.runs,
  handle: async (c) => {
    c.query.per_page satisfies number;
    c.query.run_type satisfies readonly RunType[] | undefined;
    // @ts-expect-error `status` is a list of values, not one
    c.query.status satisfies string | undefined;
    // @ts-expect-error `runType` is the core's name; the wire's is `run_type`
    c.query.runType;
    return reply;
  },
});

type PipelinesQuery = Input<typeof Q.pipelines>;
const pipelineStatuses = (q: PipelinesQuery): readonly PipelineStatus[] | undefined => q.status;
// @ts-expect-error a handler's context is typed: an untyped (any) query would accept this
const loose: Ctx<PipelinesQuery, undefined> = { query: { status: 'active' } };

describe('route()', () => {
  it('keeps the spec as the router and the OpenAPI document read it', () => {
    const spec: RouteSpec = team;
    expect(spec.body).toBe(B.team);
    expect(spec.query).toBeUndefined();
    expect(runs.query).toBe(Q.runs);
    expect(pipelineStatuses({ status: ['paused', 'error'] } as PipelinesQuery)).toEqual(['paused', 'error']);
    expect(loose).toBeDefined();
  });
});

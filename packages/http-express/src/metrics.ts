import { createHash, timingSafeEqual } from 'node:crypto';
import type { JobDepth, PoolUse, Telemetry } from '@signalbox/core';
import type { Request, RequestHandler, Response } from 'express';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { sendError } from './errors';
import { bearerToken } from './router';

export interface MetricsSources {
  /** Jobs waiting and running by name, read at each scrape (the job queue's `depth`). Default: no job series. */
  jobs?: () => Promise<JobDepth[]>;
  /** Jobs always shown, at 0 when none is queued: an empty queue is a series at 0, not an absent one. */
  jobNames?: readonly string[];
  /** The database pool, read at each scrape. Default (PGlite, which has no pool): no pool series. */
  pool?: () => PoolUse;
  /** Node's process metrics (CPU, memory, event loop, GC) with prom-client's names. Default true. */
  processMetrics?: boolean;
}

/** The metrics of one app, in a registry of its own: several apps in one process never share series. */
export interface Metrics {
  readonly registry: Registry;
  /** Hand it to the core (`createServices({ telemetry })`): counts how syncs and managed runs end. */
  readonly telemetry: Telemetry;
  /** Counts one answered request; `route` is its template, never the path as sent. */
  request(method: string, route: string, status: number, seconds: number): void;
}

/** The route label of a request no route matched: one value, whatever the path. */
export const UNMATCHED_ROUTE = 'unmatched';

// Syncs and managed runs take seconds to hours, not milliseconds.
const WORK_BUCKETS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200];

export function createMetrics(sources: MetricsSources = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (sources.processMetrics !== false) collectDefaultMetrics({ register: registry });

  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'signalbox_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames,
    registers,
  });
  const latency = new Histogram({
    name: 'signalbox_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route template and status',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const syncs = new Counter({ name: 'signalbox_syncs_total', help: 'Connector syncs ended in this process, by outcome', labelNames: ['outcome'], registers });
  const syncSeconds = new Histogram({
    name: 'signalbox_sync_duration_seconds',
    help: 'Time a worker of this process spent on a sync, by outcome',
    labelNames: ['outcome'],
    buckets: WORK_BUCKETS,
    registers,
  });
  const runs = new Counter({
    name: 'signalbox_managed_runs_total',
    help: 'Managed runs ended by a worker of this process, by outcome and engine',
    labelNames: ['outcome', 'engine'],
    registers,
  });
  const runSeconds = new Histogram({
    name: 'signalbox_managed_run_duration_seconds',
    help: 'Managed runs from start to end, by outcome and engine',
    labelNames: ['outcome', 'engine'],
    buckets: WORK_BUCKETS,
    registers,
  });

  const jobs = sources.jobs;
  if (jobs) {
    new Gauge({
      name: 'signalbox_jobs',
      help: 'Background jobs waiting (due, not taken) and running (held by a worker), by job, across all processes on the database',
      labelNames: ['job', 'state'],
      registers,
      async collect() {
        this.reset();
        let rows: JobDepth[];
        try {
          rows = await jobs();
        } catch {
          return; // The database down: no job series in this scrape, rather than a failed scrape.
        }
        for (const name of sources.jobNames ?? []) for (const state of ['waiting', 'running']) this.set({ job: name, state }, 0);
        for (const d of rows) {
          this.set({ job: d.name, state: 'waiting' }, d.waiting);
          this.set({ job: d.name, state: 'running' }, d.running);
        }
      },
    });
  }

  const pool = sources.pool;
  if (pool) {
    new Gauge({
      name: 'signalbox_db_pool_connections',
      help: 'Open connections of the database pool, in use or idle',
      labelNames: ['state'],
      registers,
      collect() {
        const use = pool();
        this.set({ state: 'idle' }, use.idle);
        this.set({ state: 'in_use' }, use.open - use.idle);
      },
    });
    new Gauge({
      name: 'signalbox_db_pool_waiting',
      help: 'Queries waiting for a connection of the database pool',
      registers,
      collect() {
        this.set(pool().waiting);
      },
    });
    new Gauge({
      name: 'signalbox_db_pool_size',
      help: 'Most connections the database pool opens (DATABASE_POOL_SIZE)',
      registers,
      collect() {
        this.set(pool().max);
      },
    });
  }

  return {
    registry,
    telemetry: {
      syncEnded(outcome, durationMs) {
        syncs.inc({ outcome });
        syncSeconds.observe({ outcome }, durationMs / 1000);
      },
      managedRunEnded(outcome, engine, durationMs) {
        runs.inc({ outcome, engine });
        runSeconds.observe({ outcome, engine }, durationMs / 1000);
      },
    },
    request(method, route, status, seconds) {
      const labels = { method, route, status };
      requests.inc(labels);
      latency.observe(labels, seconds);
    },
  };
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * `GET /metrics`: the registry in Prometheus' text format. With a token, only for
 * `Authorization: Bearer <token>`, compared in constant time (of digests, so the length leaks
 * nothing either); 401 in the API's error shape otherwise.
 */
export function metricsHandler(metrics: Metrics, token: string | null | undefined): RequestHandler {
  const expected = token ? digest(token) : undefined;
  return async (req: Request, res: Response) => {
    res.locals.route = '/metrics';
    if (expected) {
      const given = bearerToken(req.get('authorization'));
      if (given === undefined || !timingSafeEqual(digest(given), expected)) {
        res.set('WWW-Authenticate', 'Bearer realm="signalbox-metrics"');
        return sendError(res, 401, 'UNAUTHENTICATED', 'send the metrics token as "Authorization: Bearer <token>" (SIGNALBOX_METRICS_TOKEN)');
      }
    }
    const text = await metrics.registry.metrics();
    res.set('Cache-Control', 'no-store').type(metrics.registry.contentType).send(text);
  };
}

import type { NextFunction, Request, Response } from 'express';

/**
 * Faults the stub can inject into matching requests, so a client's failure handling is tested
 * over real sockets.
 */
export type FaultKind =
  /** Waits `ms`, then answers normally. */
  | 'latency'
  /** Answers `status` (default 500) with the version's error body. */
  | 'status'
  /** Answers 429 with `Retry-After: retryAfter` seconds (default 1). */
  | 'rate_limit'
  /** Never answers; the socket stays open until the client gives up or the stub closes. */
  | 'hang'
  /** Answers 200 with a JSON content type and a truncated body. */
  | 'malformed'
  /** Destroys the socket without answering. */
  | 'drop'
  /** Lets the request take effect, then destroys the socket instead of answering. */
  | 'lose_response';

export interface FaultMatch {
  method?: string;
  /** A substring of, or a pattern for, the request path (without the query). */
  path?: string | RegExp;
}

export interface FaultSpec extends FaultMatch {
  kind: FaultKind;
  /** How many matching requests to fault (default: all). */
  times?: number;
  /** Let this many matching requests through first (default 0). */
  after?: number;
  ms?: number;
  status?: number;
  retryAfter?: number | string;
}

interface ActiveFault extends FaultSpec {
  seen: number;
  fired: number;
}

export class Faults {
  private list: ActiveFault[] = [];

  /** Adds a fault; the first active fault that matches a request wins. */
  add(spec: FaultSpec): this {
    this.list.push({ ...spec, seen: 0, fired: 0 });
    return this;
  }

  clear(): void {
    this.list = [];
  }

  /** How many times the faults fired, in the order they were added. */
  fired(): number[] {
    return this.list.map((f) => f.fired);
  }

  /** The fault to apply to this request, if any (counts it). */
  take(method: string, path: string): FaultSpec | undefined {
    for (const f of this.list) {
      if (f.method && f.method.toUpperCase() !== method.toUpperCase()) continue;
      if (f.path !== undefined && !(typeof f.path === 'string' ? path.includes(f.path) : f.path.test(path))) continue;
      if (f.times !== undefined && f.fired >= f.times) continue;
      f.seen++;
      if (f.seen <= (f.after ?? 0)) continue;
      f.fired++;
      return f;
    }
    return undefined;
  }
}

/** How a stub says an injected error: its own error body for a status (and, for 429, after `Retry-After` is set). */
export interface FaultResponder {
  error(res: Response, status: number): void;
  /** The start of a body the `malformed` fault cuts off. */
  malformed: string;
}

/**
 * The Express middleware step of the stubs: applies the fault that matches the request, if any,
 * else passes it on.
 */
export function faultMiddleware(faults: Faults, respond: FaultResponder) {
  return (req: Request, res: Response, next: NextFunction) => {
    const fault = faults.take(req.method, req.path);
    if (!fault) return next();
    switch (fault.kind) {
      case 'latency':
        setTimeout(next, fault.ms ?? 100);
        return;
      case 'status':
        return respond.error(res, fault.status ?? 500);
      case 'rate_limit':
        res.set('Retry-After', String(fault.retryAfter ?? 1));
        return respond.error(res, 429);
      case 'hang':
        return; // never answers
      case 'malformed':
        res.status(200).type('application/json').send(respond.malformed);
        return;
      case 'drop':
        req.socket.destroy();
        return;
      case 'lose_response':
        res.end = (() => {
          req.socket.destroy();
          return res;
        }) as Response['end'];
        return next();
    }
  };
}

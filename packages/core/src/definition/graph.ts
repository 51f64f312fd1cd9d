import type { Problem, StepDraft } from './shape';

/** A dataset a step reads: named in the definition (it must be written by a step), or found in its SQL. */
export interface Read {
  name: string;
  /** Where the definition names it; undefined when found by parsing the query. */
  pointer?: string;
}

/** The steps' run order and dependencies, or what keeps them from having one. */
export interface StepGraph {
  /** Indices into the steps, each after every step it depends on; complete only without problems. */
  order: number[];
  /** Per step (by index): the names of the steps it depends on, in run order. */
  dependsOn: string[][];
  problems: Problem[];
  warnings: Problem[];
}

/**
 * Orders steps by their dependencies: the ones given in `depends_on`, and the writer of every
 * dataset a step reads. Kahn's algorithm, taking among the steps ready to run the one written
 * first, so that the order is stable and follows the text where the graph leaves it free.
 * A dataset named as read that no step writes is a problem; a table found only in a query that no
 * step writes is the warehouse's own, and is left to the warehouse to know.
 */
export function orderSteps(steps: readonly StepDraft[], reads: readonly Read[][]): StepGraph {
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  const byName = new Map<string, number>();
  const writers = new Map<string, number>();
  // Steps without a usable name were already blamed by the structural check; they take no part.
  const members = steps.map((_, i) => i).filter((i) => steps[i].name !== undefined);

  for (const i of members) {
    const step = steps[i];
    const name = step.name as string;
    const first = byName.get(name);
    if (first === undefined) byName.set(name, i);
    else problems.push({ pointer: step.namePointer, reason: `duplicates the name of the step at ${steps[first].pointer}: step names are unique` });
  }
  for (const i of members) {
    for (const output of steps[i].outputs) {
      const writer = writers.get(output.name);
      if (writer === undefined) writers.set(output.name, i);
      else if (writer !== i)
        problems.push({ pointer: output.pointer, reason: `\`${output.name}\` is also written by step \`${steps[writer].name}\`: a dataset has one writer` });
    }
  }

  const deps = steps.map(() => new Set<number>());
  for (const i of members) {
    for (const dep of steps[i].dependsOn) {
      const target = byName.get(dep.name);
      if (target === undefined) problems.push({ pointer: dep.pointer, reason: `names \`${dep.name}\`, which is not a step of this pipeline` });
      else deps[i].add(target);
    }
    for (const read of reads[i]) {
      const writer = writers.get(read.name);
      if (writer !== undefined) deps[i].add(writer);
      else if (read.pointer !== undefined) problems.push({ pointer: read.pointer, reason: `\`${read.name}\` is read but no step writes it` });
    }
  }

  const order = kahn(members, deps);
  const placed = new Set(order);
  problems.push(
    ...cycles(
      steps,
      members.filter((i) => !placed.has(i)),
      deps,
    ),
  );

  const position = new Map(order.map((i, at) => [i, at]));
  const dependsOn = steps.map((_, i) => [...deps[i]].sort((a, b) => (position.get(a) ?? a) - (position.get(b) ?? b)).map((d) => steps[d].name as string));

  const readNames = new Set(reads.flat().map((r) => r.name));
  for (const i of members) {
    const step = steps[i];
    if (step.jobType === 'load' || step.jobType === undefined) continue;
    if (step.outputs.length === 0) warnings.push({ pointer: step.pointer, reason: 'names no output dataset, so no step can read its result' });
    else if (!step.outputs.some((o) => readNames.has(o.name))) {
      warnings.push({ pointer: step.pointer, reason: `writes ${step.outputs.map((o) => `\`${o.name}\``).join(', ')}, which no step reads` });
    }
  }
  return { order, dependsOn, problems, warnings };
}

/** Kahn's algorithm over `members`; ties go to the step written first. Steps in a cycle are left out. */
function kahn(members: number[], deps: Set<number>[]): number[] {
  const waiting = new Map<number, number>();
  const dependents = new Map<number, number[]>(members.map((i) => [i, []]));
  for (const i of members) {
    waiting.set(i, deps[i].size);
    for (const d of deps[i]) dependents.get(d)?.push(i);
  }
  const ready = members.filter((i) => waiting.get(i) === 0);
  const order: number[] = [];
  while (ready.length > 0) {
    // `ready` is kept sorted by index, so the first is the one written first.
    const next = ready.shift() as number;
    order.push(next);
    for (const dependent of dependents.get(next) ?? []) {
      const left = (waiting.get(dependent) ?? 0) - 1;
      waiting.set(dependent, left);
      if (left === 0) {
        const at = ready.findIndex((r) => r > dependent);
        ready.splice(at === -1 ? ready.length : at, 0, dependent);
      }
    }
  }
  return order;
}

/**
 * One problem per cycle among the steps Kahn's algorithm could not place. Each of them waits on
 * another of them, so following the first such dependency from any of them comes back to a step
 * already on the path: that loop is a cycle. Steps that only wait on a cycle are not blamed.
 */
function cycles(steps: readonly StepDraft[], stuck: number[], deps: Set<number>[]): Problem[] {
  const left = new Set(stuck);
  const seen = new Set<number>();
  const problems: Problem[] = [];
  for (const start of stuck) {
    const path: number[] = [];
    let at: number | undefined = start;
    while (at !== undefined && !seen.has(at)) {
      seen.add(at);
      path.push(at);
      at = [...deps[at]].filter((d) => left.has(d)).sort((a, b) => a - b)[0];
    }
    const from = at === undefined ? -1 : path.indexOf(at);
    if (from === -1) continue;
    const loop = path.slice(from);
    // Told from the step written first, so that the same cycle reads the same however it was found.
    const first = loop.indexOf(Math.min(...loop));
    const ordered = [...loop.slice(first), ...loop.slice(0, first)];
    const names = [...ordered, ordered[0]].map((i) => steps[i].name).join(' → ');
    const reason = ordered.length === 1 ? `depends on itself (${names})` : `is in a cycle: ${names} (each step depends on the next, so none can run first)`;
    problems.push({ pointer: steps[ordered[0]].namePointer, reason });
  }
  return problems;
}

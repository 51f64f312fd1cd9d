/** The JSON type of a value, as a shape comparison sees it. */
const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

export interface ShapeOptions {
  /** Keys whose values are users' own data (a run's `conf`), compared only as "an object". */
  freeForm?: readonly string[];
}

/**
 * Where two JSON documents differ in shape: the same keys with the same JSON types, recursively.
 * Values may differ (the two servers hold other data); `null` on either side matches any type,
 * since a nullable field is null in one document and set in the other. Array items are compared
 * with the other side's first item, so every item of a page has the shape of the other page's.
 * Each difference is one line naming its path, e.g. `dags[].tags[].name: string vs number`.
 */
export function shapeDiff(a: unknown, b: unknown, opts: ShapeOptions = {}, path = '$'): string[] {
  const ta = typeOf(a);
  const tb = typeOf(b);
  if (ta === 'null' || tb === 'null') return [];
  if (ta !== tb) return [`${path}: ${ta} vs ${tb}`];
  if (ta === 'array') {
    const [xs, ys] = [a as unknown[], b as unknown[]];
    if (xs.length === 0 || ys.length === 0) return [];
    const out = new Set<string>();
    for (const x of xs) for (const d of shapeDiff(x, ys[0], opts, `${path}[]`)) out.add(d);
    for (const y of ys) for (const d of shapeDiff(xs[0], y, opts, `${path}[]`)) out.add(d);
    return [...out];
  }
  if (ta !== 'object') return [];
  const [x, y] = [a as Record<string, unknown>, b as Record<string, unknown>];
  const out: string[] = [];
  for (const k of Object.keys(x)) if (!(k in y)) out.push(`${path}.${k}: only in the first`);
  for (const k of Object.keys(y)) if (!(k in x)) out.push(`${path}.${k}: only in the second`);
  for (const k of Object.keys(x)) {
    if (!(k in y) || opts.freeForm?.includes(k)) continue;
    out.push(...shapeDiff(x[k], y[k], opts, `${path}.${k}`));
  }
  return out;
}

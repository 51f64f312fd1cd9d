import type { Hasher } from '../ports/system';
import type { PipelineSpec } from './spec';

/**
 * JSON with the keys of every object sorted (and members whose value is undefined left out, as
 * JSON.stringify does): one text for one content, whatever order the keys were written in.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The `spec_hash` of a version: the hasher's digest (sha256) of the spec's canonical JSON. Two
 * definitions that normalize to the same spec have the same hash, whatever their format, layout
 * or key order; any change of content changes it.
 */
export const specHash = (spec: PipelineSpec, hasher: Hasher): Promise<string> => hasher.hash(canonicalJson(spec));

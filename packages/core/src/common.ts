/** Identifiers are opaque strings; the id generator port makes them. */
export type Id = string;

/** A page request: 1-based page number and page size. */
export interface PageRequest {
  page: number;
  perPage: number;
}

/** One page of a list and the total number of items across all pages. */
export interface Paged<T> {
  items: T[];
  total: number;
}

export const DEFAULT_PER_PAGE = 100;
export const MAX_PER_PAGE = 500;

export const offsetOf = (p: PageRequest) => (p.page - 1) * p.perPage;

/** Applies a page to an already filtered and sorted array (in-memory implementations). */
export const pageOf = <T>(all: readonly T[], p: PageRequest): Paged<T> => ({
  items: all.slice(offsetOf(p), offsetOf(p) + p.perPage),
  total: all.length,
});

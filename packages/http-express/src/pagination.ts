import type { Request, Response } from 'express';

/**
 * Pagination headers of a list: X-Total-Count, X-Page, X-Per-Page, X-Total-Pages, and an RFC 8288
 * Link header with first, prev, next and last. Links are relative to the request's own URL and
 * keep its other query parameters.
 */
export function setPageHeaders(req: Request, res: Response, total: number, page: number, perPage: number): void {
  const totalPages = Math.ceil(total / perPage);
  const last = Math.max(1, totalPages);
  const url = new URL(req.originalUrl, 'http://local');
  const link = (p: number, rel: string) => {
    url.searchParams.set('page', String(p));
    url.searchParams.set('per_page', String(perPage));
    return `<${url.pathname}${url.search}>; rel="${rel}"`;
  };
  const links = [link(1, 'first')];
  if (page > 1) links.push(link(Math.min(page - 1, last), 'prev'));
  if (page < totalPages) links.push(link(page + 1, 'next'));
  links.push(link(last, 'last'));
  res.set({
    'X-Total-Count': String(total),
    'X-Page': String(page),
    'X-Per-Page': String(perPage),
    'X-Total-Pages': String(totalPages),
    Link: links.join(', '),
  });
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Request, type Response, Router } from 'express';
import { sendError } from './errors';
import { pagePolicy } from './page-policy';

/** The console is a React app built by Vite: module scripts from /ui/assets, data from the API on this origin. */
const CONSOLE_POLICY = pagePolicy("'self'");

const ASSET = /^\/ui\/assets\//i;

/**
 * `/ui`: the console's built files from `dir`. Hashed files under /ui/assets are kept for good by
 * browsers; a missing one is a 404, never the page. Any other GET under /ui that is not a file is
 * the app's own route: index.html, revalidated on every load so that a new build is picked up.
 * Without a build, 503 saying how to make one.
 */
export function consoleFiles(dir: string | undefined): Router {
  const index = dir === undefined ? undefined : join(dir, 'index.html');
  const router = Router();
  router.use('/ui', (_req, res, next) => {
    res.locals.route = '/ui';
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': CONSOLE_POLICY });
    next();
  });
  if (dir !== undefined) {
    router.use(
      '/ui/assets',
      (_req, res, next) => {
        res.locals.route = '/ui/assets';
        next();
      },
      express.static(join(dir, 'assets'), { index: false, redirect: false, immutable: true, maxAge: '1y' }),
    );
    router.use('/ui', express.static(dir, { index: false, redirect: false, setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache') }));
  }
  router.get('/ui{/*path}', (req: Request, res: Response) => {
    if (index === undefined || !existsSync(index))
      return sendError(res, 503, 'CONSOLE_NOT_BUILT', 'the console is not built: run `npm run build`, then reload');
    if (ASSET.test(req.path))
      return sendError(res, 404, 'ASSET_NOT_FOUND', `no asset ${req.path}: the console was built again since this page was loaded; reload it`);
    res.sendFile(index, { headers: { 'Cache-Control': 'no-cache' } });
  });
  return router;
}

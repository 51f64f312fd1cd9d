import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Request, type Response, Router } from 'express';
import { sendError } from './errors';

/**
 * The console is a React app built by Vite: module scripts and styles from /ui/assets, data from
 * the API on this origin. CodeMirror sets inline styles, hence 'unsafe-inline' for styles only.
 */
const CONSOLE_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

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
    res.locals.route ??= '/ui';
    if (index === undefined || !existsSync(index))
      return sendError(res, 503, 'CONSOLE_NOT_BUILT', 'the console is not built: run `npm run build`, then reload');
    if (ASSET.test(req.path))
      return sendError(res, 404, 'ASSET_NOT_FOUND', `no asset ${req.path}: the console was built again since this page was loaded; reload it`);
    res.sendFile(index, { headers: { 'Cache-Control': 'no-cache' } });
  });
  return router;
}

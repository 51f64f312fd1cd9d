import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { apiReference } from '@scalar/express-api-reference';
import { type NextFunction, type Request, type Response, Router } from 'express';
import { pagePolicy } from './page-policy';

/** Scalar's browser bundle, from the installed package: the page loads nothing from a CDN. */
const SCRIPT_FILE = require.resolve('@scalar/api-reference/browser/standalone.js');
const { version } = JSON.parse(readFileSync(join(dirname(SCRIPT_FILE), '..', '..', 'package.json'), 'utf8')) as { version: string };
/** Versioned, so a browser may keep it for good: another version of Scalar is another URL. */
export const REFERENCE_SCRIPT_PATH = `/docs/assets/scalar-api-reference-${version}.js`;

/** Everything that would reach the internet from the page is off; the CSP below blocks what might remain. */
const CONFIGURATION = {
  url: '/openapi.json',
  cdn: REFERENCE_SCRIPT_PATH,
  pageTitle: 'Signalbox API reference',
  withDefaultFonts: false, // fonts.scalar.com: the system's fonts instead
  telemetry: false,
  agent: { disabled: true }, // Scalar's AI agent talks to api.scalar.com
  showDeveloperTools: 'never' as const, // its toolbar shares documents through *.scalar.com
  hideClientButton: true, // a link that opens the document on client.scalar.com
};

/** Scalar starts from one inline script (its configuration): a fresh nonce per response lets that script run and no other inline one. */
const policy = (nonce: string) => pagePolicy(`'self' 'nonce-${nonce}'`);

/** `GET /docs`: the API reference page rendered from `/openapi.json` by Scalar, served from the installed package. */
export function referencePage(): Router {
  const router = Router();
  router.get('/docs', (req: Request, res: Response, next: NextFunction) => {
    res.locals.route = '/docs';
    const nonce = randomBytes(16).toString('base64');
    res.set({ 'Content-Security-Policy': policy(nonce), 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' });
    (apiReference({ ...CONFIGURATION, nonce }) as unknown as (req: Request, res: Response, next: NextFunction) => void)(req, res, next);
  });
  router.get(REFERENCE_SCRIPT_PATH, (_req: Request, res: Response) => {
    res.locals.route = '/docs/assets';
    res.sendFile(SCRIPT_FILE, { maxAge: '1y', immutable: true, headers: { 'X-Content-Type-Options': 'nosniff' } });
  });
  return router;
}

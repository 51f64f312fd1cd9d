/**
 * The Content-Security-Policy of the HTML pages the API serves (the console, the reference): every
 * resource from this origin only, `scripts` the script sources. Their components set inline styles,
 * hence 'unsafe-inline' for styles only.
 */
export const pagePolicy = (scripts: string) =>
  [
    "default-src 'self'",
    `script-src ${scripts}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');

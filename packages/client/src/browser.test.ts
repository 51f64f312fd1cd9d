import { join } from 'node:path';
import { build } from 'esbuild';

describe('the library in a browser', () => {
  it('bundles for the browser with nothing of Node in it', async () => {
    const out = await build({
      entryPoints: [join(__dirname, 'index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    expect(out.errors).toEqual([]);
    const code = out.outputFiles[0].text;
    expect(code).not.toMatch(/from ["']node:|require\(["']node:/);
    expect(code).toContain('changed_since');
  });
});

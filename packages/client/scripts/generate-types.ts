import { readFile, writeFile } from 'node:fs/promises';
import { GENERATED_TYPES, generateTypes } from './openapi-types';

/**
 * Writes src/generated/openapi.ts from the API's OpenAPI document. With `--check [FILE]`, writes
 * nothing and exits 1 when the file (default the checked-in one) differs from what it would write.
 */
async function main(args: string[]): Promise<number> {
  const source = await generateTypes();
  if (args[0] !== '--check') {
    await writeFile(GENERATED_TYPES, source);
    console.log(`wrote ${GENERATED_TYPES}`);
    return 0;
  }
  const file = args[1] ?? GENERATED_TYPES;
  const current = await readFile(file, 'utf8');
  if (current === source) return 0;
  const at = [...source].findIndex((ch, i) => ch !== current[i]);
  console.error(`${file} is stale from line ${source.slice(0, at).split('\n').length}: run npm run generate -w @signalbox/client`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);

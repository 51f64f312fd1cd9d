/** `node --import tsx packages/warehouse-postgres/src/step-cli.ts`: one step of a cluster run (see step-runner.ts). */
import { stepMain } from './step-runner';

void stepMain().then((code) => process.exit(code));

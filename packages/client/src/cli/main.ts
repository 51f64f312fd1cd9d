import { readFile } from 'node:fs/promises';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { type RunDetail, Signalbox } from '../client';
import { ApiError, SignalboxError, WaitTimeoutError } from '../errors';
import { detailLine, finalLine, pipelinesTable, pipelineText, runsTable, syncLine, validationText } from './format';
import { barProgress, plainProgress } from './progress';

/**
 * The `signalbox` command line. Exit status: 0 done; 1 a waited run or sync did not succeed, an
 * invalid definition, or an error from the API; 2 bad usage; 3 a wait ran out of time (what was
 * waited for goes on); 130 interrupted while waiting (the same).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, timeout: 3, interrupted: 130 } as const;

export const DEFAULT_URL = 'http://127.0.0.1:3000';

export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadStream;
  /** Aborts a wait (Ctrl-C). */
  signal?: AbortSignal;
}

/** Bad usage found after parsing: exit status 2. */
class UsageError extends Error {}

interface Globals {
  url?: string;
  space?: string;
  json?: boolean;
}

const positiveInt = (what: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a whole number from 1`);
  return n;
};

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `k=v` pairs; a value that reads as JSON (7, true, null, "x", [1]) is that value, anything else the text. */
export function parseVariables(pairs: string[]): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  for (const pair of pairs) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(pair);
    if (!m) throw new UsageError(`--var ${JSON.stringify(pair)}: expected name=value`);
    try {
      variables[m[1]] = JSON.parse(m[2]);
    } catch {
      variables[m[1]] = m[2];
    }
  }
  return variables;
}

async function readDefinition(file: string, stdin: NodeJS.ReadStream): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Runs one command line (without `node` and the script); resolves with its exit status. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const out = (text: string): void => {
    io.stdout.write(`${text}\n`);
  };
  const err = (text: string): void => {
    io.stderr.write(`${text}\n`);
  };
  const json = (value: unknown): void => out(JSON.stringify(value, null, 2));
  let status: number = EXIT.ok;

  const program = new Command('signalbox')
    .description(
      'Signalbox from the command line: define, run and follow managed pipelines, sync connectors.\n' +
        `Reads SIGNALBOX_URL (default ${DEFAULT_URL}), SIGNALBOX_API_KEY and SIGNALBOX_SPACE.`,
    )
    .option('--url <url>', 'the server (default: SIGNALBOX_URL)')
    .option('--space <slug>', 'the space (default: SIGNALBOX_SPACE, else the only one the key can see)')
    .option('--json', 'print the API’s answers as JSON')
    .addHelpText(
      'after',
      '\nExit status: 0 done; 1 a waited run or sync failed, an invalid definition or an API error; 2 bad usage; 3 a wait timed out (the run goes on).',
    )
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  const client = (cmd: Command): { sb: Signalbox; g: Globals } => {
    const g = cmd.optsWithGlobals<Globals>();
    const url = g.url ?? io.env.SIGNALBOX_URL ?? DEFAULT_URL;
    try {
      new URL(url);
    } catch {
      throw new UsageError(`${g.url ? '--url' : 'SIGNALBOX_URL'} ${JSON.stringify(url)} is not a URL`);
    }
    const apiKey = io.env.SIGNALBOX_API_KEY;
    if (!apiKey) throw new UsageError('SIGNALBOX_API_KEY is not set: export the API key to call the server with');
    const space = g.space ?? (io.env.SIGNALBOX_SPACE || undefined);
    // Ctrl-C aborts whatever request is in flight.
    return { sb: new Signalbox({ url, apiKey, ...(space ? { space } : {}), ...(io.signal ? { signal: io.signal } : {}) }), g };
  };

  /** Follows a run to its end: a bar on a terminal, lines when piped, nothing with --json; the exit status says how it ended. */
  const follow = async (sb: Signalbox, id: string, g: Globals, timeoutSeconds?: number): Promise<number> => {
    const view = g.json ? undefined : io.stdout.isTTY ? barProgress(io.stdout) : plainProgress(out);
    let run: RunDetail;
    try {
      run = await sb.runs.wait(id, {
        ...(timeoutSeconds ? { timeout: timeoutSeconds * 1000 } : {}),
        ...(io.signal ? { signal: io.signal } : {}),
        onProgress: (r) => view?.update(r),
      });
    } catch (e) {
      view?.stop();
      if (e instanceof WaitTimeoutError && e.run) {
        if (g.json) json(e.run);
        err(`still ${e.run.status} after ${timeoutSeconds} s: run ${id} goes on`);
        return EXIT.timeout;
      }
      if (io.signal?.aborted) {
        err(`stopped waiting: run ${id} goes on`);
        return EXIT.interrupted;
      }
      throw e;
    }
    view?.stop();
    if (g.json) json(run);
    else out(finalLine(run));
    return run.status === 'success' ? EXIT.ok : EXIT.failed;
  };

  const pipelines = program.command('pipelines').description('managed pipelines, by name');

  pipelines
    .command('list')
    .description('list the space’s managed pipelines with their last run')
    .option('--status <status>', 'only these: active, paused, error (repeat for several)', collect)
    .option('--page <n>', 'the page, from 1', positiveInt('--page'))
    .option('--per-page <n>', 'pipelines per page (at most 100)', positiveInt('--per-page'))
    .action(async (opts: { status?: ('active' | 'paused' | 'error')[]; page?: number; perPage?: number }, cmd: Command) => {
      const { sb, g } = client(cmd);
      const page = await sb.pipelines.list(opts);
      if (g.json) return json(page);
      out(page.items.length ? pipelinesTable(page.items) : 'no managed pipelines');
      if (page.total > page.items.length) out(`page ${page.page} of ${Math.ceil(page.total / page.perPage)} (${page.total} pipelines)`);
    });

  pipelines
    .command('get')
    .description('show one pipeline and its last run')
    .argument('<name>', 'the pipeline’s name')
    .action(async (name: string, _opts, cmd: Command) => {
      const { sb, g } = client(cmd);
      const p = await sb.pipelines.get(name);
      if (g.json) json(p);
      else out(pipelineText(p));
    });

  pipelines
    .command('apply')
    .description('create the pipeline a definition file names, or give it a new version when it changed')
    .requiredOption('-f, --file <file>', 'the definition, YAML or JSON (- reads standard input)')
    .action(async (opts: { file: string }, cmd: Command) => {
      const { sb, g } = client(cmd);
      const text = await readDefinition(opts.file, io.stdin);
      try {
        const { pipeline, outcome } = await sb.pipelines.apply(text);
        if (g.json) return json({ outcome, pipeline });
        const version = pipeline.version === null ? '' : ` (version ${pipeline.version})`;
        out(`${outcome} ${pipeline.name}${version}`);
      } catch (e) {
        if (e instanceof ApiError && e.details.length > 0 && !g.json) {
          for (const d of e.details) err(`error: ${detailLine(d, opts.file === '-' ? 'stdin' : opts.file)}`);
          err(`${e.code}: ${e.message}`);
          status = EXIT.failed;
          return;
        }
        throw e;
      }
    });

  pipelines
    .command('validate')
    .description('check a definition file and store nothing (exit status 1 when invalid)')
    .requiredOption('-f, --file <file>', 'the definition, YAML or JSON (- reads standard input)')
    .action(async (opts: { file: string }, cmd: Command) => {
      const { sb, g } = client(cmd);
      const v = await sb.pipelines.validate(await readDefinition(opts.file, io.stdin));
      if (g.json) json(v);
      else out(validationText(v, opts.file === '-' ? 'stdin' : opts.file));
      if (!v.valid) status = EXIT.failed;
    });

  pipelines
    .command('delete')
    .description('delete a pipeline with its versions and its whole run history')
    .argument('<name>', 'the pipeline’s name')
    .action(async (name: string, _opts, cmd: Command) => {
      const { sb, g } = client(cmd);
      await sb.pipelines.delete(name);
      if (g.json) json({ deleted: name });
      else out(`deleted ${name}`);
    });

  program
    .command('run')
    .description('start a run of a managed pipeline; with --wait, follow it to its end (exit status 1 unless it succeeds)')
    .argument('<name>', 'the pipeline’s name')
    .option('--full-refresh', 'rebuild every output from scratch (incremental sources read everything)')
    .option('--dry-run', 'plan every step, run none')
    .option('--var <name=value>', 'a variable for this run (repeat for several); JSON values (7, true) keep their type', collect)
    .option('--wait', 'follow the run to its end')
    .option('--timeout <seconds>', 'with --wait: stop waiting after this long (exit status 3; the run goes on)', positiveInt('--timeout'))
    .action(async (name: string, opts: { fullRefresh?: boolean; dryRun?: boolean; var?: string[]; wait?: boolean; timeout?: number }, cmd: Command) => {
      const { sb, g } = client(cmd);
      if (opts.timeout !== undefined && !opts.wait) throw new UsageError('--timeout needs --wait');
      const variables = opts.var ? parseVariables(opts.var) : undefined;
      const run = await sb.pipelines.run(name, {
        ...(opts.fullRefresh ? { fullRefresh: true } : {}),
        ...(opts.dryRun ? { dryRun: true } : {}),
        ...(variables ? { variables } : {}),
      });
      if (!opts.wait) {
        if (g.json) json(run.started);
        else out(`run ${run.id} ${run.started.status} (${name})`);
        return;
      }
      if (!g.json) out(`run ${run.id} ${run.started.status} (${name})`);
      status = await follow(sb, run.id, g, opts.timeout);
    });

  program
    .command('runs')
    .description('list a managed pipeline’s runs, newest first')
    .argument('<name>', 'the pipeline’s name')
    .option('--limit <n>', 'how many (at most 100)', positiveInt('--limit'))
    .option('--page <n>', 'the page, from 1', positiveInt('--page'))
    .action(async (name: string, opts: { limit?: number; page?: number }, cmd: Command) => {
      const { sb, g } = client(cmd);
      const runs = await sb.pipelines.runs(name, opts);
      if (g.json) json(runs);
      else out(runs.length ? runsTable(runs) : `no runs of ${name}`);
    });

  program
    .command('sync')
    .description('sync a connector from its orchestrator; with --wait, follow it to its end (exit status 1 unless it succeeds)')
    .argument('<connector>', 'the connector’s name or id')
    .option('--wait', 'follow the sync to its end')
    .option('--timeout <seconds>', 'with --wait: stop waiting after this long (exit status 3; the sync goes on)', positiveInt('--timeout'))
    .action(async (connector: string, opts: { wait?: boolean; timeout?: number }, cmd: Command) => {
      const { sb, g } = client(cmd);
      if (opts.timeout !== undefined && !opts.wait) throw new UsageError('--timeout needs --wait');
      try {
        const sync = await sb.connectors.sync(connector, {
          wait: opts.wait ?? false,
          ...(opts.timeout ? { timeout: opts.timeout * 1000 } : {}),
          ...(io.signal ? { signal: io.signal } : {}),
        });
        if (g.json) json(sync);
        else out(opts.wait ? syncLine(sync) : `sync ${sync.id} ${sync.status} (${connector})`);
        if (opts.wait && sync.status !== 'succeeded') status = EXIT.failed;
      } catch (e) {
        if (e instanceof WaitTimeoutError && e.sync) {
          if (g.json) json(e.sync);
          err(`still running after ${opts.timeout} s: sync ${e.sync.id} goes on`);
          status = EXIT.timeout;
          return;
        }
        throw e;
      }
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return status;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are asked for; anything else commander stops on is bad usage (it printed why).
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    }
    if (io.signal?.aborted) {
      err('interrupted: what was asked of the server may still happen (a sync or a run goes on)');
      return EXIT.interrupted;
    }
    if (e instanceof UsageError) {
      err(`error: ${e.message}`);
      return EXIT.usage;
    }
    if (e instanceof ApiError) {
      if (argv.includes('--json')) json({ status: e.status, error: e.body });
      else {
        err(`error: ${e.code}: ${e.message}`);
        for (const d of e.details) err(`  ${detailLine(d)}`);
      }
      return EXIT.failed;
    }
    if (e instanceof SignalboxError) {
      err(`error: ${e.code}: ${e.message}`);
      return EXIT.failed;
    }
    throw e;
  }
}

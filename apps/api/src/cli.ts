import { parseArgs } from 'node:util';
import { type Actor, isDomainError, type User } from '@signalbox/core';
import { migrateToLatest } from '@signalbox/persistence-kysely';
import { type Config, ConfigError, loadConfig } from './config';
import { buildContainer } from './container';
import { T } from './tokens';

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  migrate                                   apply pending database migrations
  create-space <slug> <name> --owner <user> create a space; the owner (id or email) becomes its admin
  create-user <email> <name> [--instance-admin]
                                            create a user
  create-api-key <user> [--name <name>] [--expires-at <ISO date>]
                                            issue an API key for a user (id or email); prints it once

The database and keys come from the same environment as the server (see .env.example).
Every command prints one JSON object on stdout.`;

/** The CLI acts as the instance's operator: it has the database, so it may do what an instance admin may. */
const operator = (userId = 'cli'): Actor => ({ userId, instanceAdmin: true });

export interface CliResult {
  code: number;
  output: string;
}

/** Runs one command; returns what to print and the exit code (tests call it directly). */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help') return { code: command ? 0 : 2, output: USAGE };
  let config: Config;
  try {
    config = { ...loadConfig(env), logLevel: 'warn' as const };
  } catch (err) {
    if (err instanceof ConfigError) return { code: 2, output: err.message };
    throw err;
  }
  const container = buildContainer(config, { logStream: process.stderr, keepSpaces: false });
  const db = await container.getAsync(T.database);
  try {
    await migrateToLatest(db.db);
    const services = await container.getAsync(T.services);
    const repos = await container.getAsync(T.repositories);
    const findUser = async (ref: string): Promise<User> => {
      const user = ref.includes('@') ? await repos.users.getByEmail(ref.toLowerCase()) : await repos.users.get(ref);
      if (!user) throw new Error(`no user '${ref}'`);
      return user;
    };
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        owner: { type: 'string' },
        'instance-admin': { type: 'boolean' },
        name: { type: 'string' },
        'expires-at': { type: 'string' },
      },
    });
    const out = (value: unknown) => ({ code: 0, output: JSON.stringify(value, null, 2) });
    switch (command) {
      case 'migrate':
        return out({ migrated: true, dialect: db.dialect });
      case 'create-space': {
        const [slug, name] = positionals;
        if (!slug || !name || !values.owner) return { code: 2, output: USAGE };
        const owner = await findUser(values.owner);
        const space = await services.spaces.create(operator(owner.id), { slug, name });
        return out({ id: space.id, slug: space.slug, name: space.name, admin: owner.email });
      }
      case 'create-user': {
        const [email, name] = positionals;
        if (!email || !name) return { code: 2, output: USAGE };
        const user = await services.access.createUser(operator(), { email, name, instanceAdmin: values['instance-admin'] ?? false });
        return out({ id: user.id, email: user.email, name: user.name, instance_admin: user.instanceAdmin });
      }
      case 'create-api-key': {
        const [ref] = positionals;
        if (!ref) return { code: 2, output: USAGE };
        const user = await findUser(ref);
        const expiresAt = values['expires-at'] ? new Date(values['expires-at']) : null;
        if (expiresAt && Number.isNaN(expiresAt.getTime())) return { code: 2, output: '--expires-at must be an ISO 8601 date' };
        const issued = await services.access.issueKeyFor(operator(), user.id, { name: values.name ?? 'cli', expiresAt });
        return out({ id: issued.apiKey.id, user_id: user.id, name: issued.apiKey.name, prefix: issued.apiKey.prefix, key: issued.key });
      }
      default:
        return { code: 2, output: `unknown command '${command}'\n\n${USAGE}` };
    }
  } catch (err) {
    if (isDomainError(err)) return { code: 1, output: JSON.stringify({ error: { code: err.code, message: err.message, details: err.details } }, null, 2) };
    if (err instanceof Error && /^no user /.test(err.message)) return { code: 1, output: err.message };
    if (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) return { code: 2, output: `${err.message}\n\n${USAGE}` };
    throw err;
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    ({ code, output }) => {
      (code === 0 ? process.stdout : process.stderr).write(`${output}\n`);
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

import { ZodError } from 'zod';
import { commandHelp, topLevelHelp, wantsHelp } from './lib/help';
import { say, UsageError } from './lib/output';

type Command = (argv: string[]) => Promise<number>;

// Loaded on use, so that `--help` and a mistyped command answer without loading the SDKs. require,
// not import(): bin/mlgym.js registers tsx for CommonJS only.
/* eslint-disable @typescript-eslint/no-require-imports */
const COMMANDS: Record<string, () => Command> = {
  server: () => (require('./commands/server') as typeof import('./commands/server')).serverCommand,
  worker: () => (require('./commands/worker') as typeof import('./commands/worker')).workerCommand,
  run: () => (require('./commands/run') as typeof import('./commands/run')).runCommand,
  episode: () => (require('./commands/episode') as typeof import('./commands/episode')).episodeCommand,
  sweep: () => (require('./commands/sweep') as typeof import('./commands/sweep')).sweepCommand,
  sandbox: () => (require('./commands/sandbox') as typeof import('./commands/sandbox')).sandboxCommand,
  tasks: () => (require('./commands/tasks') as typeof import('./commands/tasks')).tasksCommand,
  aup: () => (require('./commands/aup') as typeof import('./commands/aup')).aupCommand,
  export: () => (require('./commands/export') as typeof import('./commands/export')).exportCommand,
  ui: () => (require('./commands/ui') as typeof import('./commands/ui')).uiCommand,
};
/* eslint-enable @typescript-eslint/no-require-imports */

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    // `mlgym help <command> [<subcommand>]` is `mlgym <command> [<subcommand>] --help`.
    const help = name === 'help' && rest.length ? commandHelp(rest[0], rest.slice(1)) : topLevelHelp();
    if (help === undefined) throw new UsageError(`unknown command "${rest[0]}"; run \`mlgym --help\``);
    say(help);
    return name ? 0 : 2;
  }
  if (!Object.hasOwn(COMMANDS, name)) throw new UsageError(`unknown command "${name}"; run \`mlgym --help\``);
  // Every command and subcommand answers --help (and -h) from one table, before anything runs.
  if (wantsHelp(rest)) {
    say(commandHelp(name, rest)!);
    return 0;
  }
  return COMMANDS[name]()(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // Expected mistakes (bad flags, unknown task, missing key, no server) are one line, no stack.
    const expected =
      err instanceof UsageError ||
      // By name: config/temporal.ts loads the SDK, which --help does not need.
      (err as { name?: string }).name === 'TemporalConfigError' ||
      err instanceof ZodError ||
      (err as { name?: string }).name === 'ApplicationFailure' ||
      (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    say(`mlgym: ${expected ? (err as Error).message : ((err as Error).stack ?? String(err))}`);
    process.exit(expected ? 2 : 1);
  },
);

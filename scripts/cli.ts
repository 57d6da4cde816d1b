import { ZodError } from 'zod';
import { aupCommand } from './commands/aup';
import { episodeCommand } from './commands/episode';
import { runCommand } from './commands/run';
import { serverCommand } from './commands/server';
import { tasksCommand } from './commands/tasks';
import { workerCommand } from './commands/worker';
import { say, UsageError } from './lib/output';

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  server: serverCommand,
  worker: workerCommand,
  run: runCommand,
  episode: episodeCommand,
  tasks: tasksCommand,
  aup: aupCommand,
};

const HELP = `mlgym: durable agent episodes for ML research tasks, on Temporal

  mlgym server                         Temporal dev server (state in .mlgym/, UI on :8233)
  mlgym worker                         a worker for all task queues
  mlgym run --task <id|task.yaml> --model <provider:model> [--runs N] [--max-steps N]
            [--cost-limit USD] [--runtime docker|local] [--wait] [--json]
  mlgym episode status|pause|resume|cancel <episodeId>
  mlgym tasks list | validate <path>
  mlgym aup --best best.csv --last last.csv [--lower-is-better "Task A,Task B"] [--json]
                                       MLGym's AUP and ranks from best-attempt / best-submission score tables
`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === 'help') {
    say(HELP);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command "${name}"; run \`mlgym --help\``);
  return command(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // Expected mistakes (bad flags, unknown task, missing key, no server) are one line, no stack.
    const expected = err instanceof UsageError || err instanceof ZodError || (err as { name?: string }).name === 'ApplicationFailure' || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    say(`mlgym: ${expected ? (err as Error).message : ((err as Error).stack ?? String(err))}`);
    process.exit(expected ? 2 : 1);
  },
);

import { ZodError } from 'zod';
import { aupCommand } from './commands/aup';
import { episodeCommand } from './commands/episode';
import { exportCommand } from './commands/export';
import { runCommand } from './commands/run';
import { sandboxCommand } from './commands/sandbox';
import { serverCommand } from './commands/server';
import { sweepCommand } from './commands/sweep';
import { tasksCommand } from './commands/tasks';
import { workerCommand } from './commands/worker';
import { say, UsageError } from './lib/output';

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  server: serverCommand,
  worker: workerCommand,
  run: runCommand,
  episode: episodeCommand,
  sweep: sweepCommand,
  sandbox: sandboxCommand,
  tasks: tasksCommand,
  aup: aupCommand,
  export: exportCommand,
};

const HELP = `mlgym: durable agent episodes for ML research tasks, on Temporal

  mlgym server                         Temporal dev server (state in .mlgym/, UI on :8233)
  mlgym worker                         a worker for all task queues
  mlgym run --task <id|task.yaml> --model <provider:model> [--runs N] [--max-steps N]
            [--cost-limit USD] [--runtime docker|local] [--wait] [--json]
            [--agent-config <MLGym agent yaml>] [--validate-split test|validation] [--observation-chars N]
  mlgym episode status|pause|resume|cancel <episodeId> [--from-step K]
  mlgym sweep start <spec.yaml> [--wait] [--json]
                                       start a sweep, or resume / extend it (same name: finished cells are kept)
  mlgym sweep status <id> [--json]     cells done / running / failed, cost per cell, per model, in total
  mlgym sweep retry <id> [--wait]      re-run only the failed cells, as new attempts
  mlgym sweep report <id> [--out DIR]  report.json, report.md and report.html: scores, AUP, profiles, cost
  mlgym tasks list | validate <path>
  mlgym sandbox reap                   remove the sandboxes of closed episodes
  mlgym aup --best best.csv --last last.csv [--lower-is-better "Task A,Task B"] [--json]
                                       MLGym's AUP and ranks from best-attempt / best-submission score tables
  mlgym export mlgym <episodeId|sweepId> --out DIR [--json]
                                       finished episodes in MLGym's folder layout, for its analysis code and visualiser
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

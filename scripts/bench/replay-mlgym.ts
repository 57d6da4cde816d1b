/**
 * Replays MLGym's 36 published runs (../shared/fixtures/mlgym-checkout/trajectories/) through
 * MLGym's own task files in Docker, on a Temporal dev server and an in-process worker that this
 * script starts, and prints per run the recorded exit status and final score against ours.
 *
 *   node --import tsx scripts/bench/replay-mlgym.ts [filter] [--concurrency N] [--episode-base SEC]
 *     [--episode-per-step SEC] [--episode-max SEC] [--checkout DIR] [--json]
 *
 * `filter` keeps the runs whose folder name contains it (e.g. `blotto`, `gpt4o2`). An episode may
 * run `--episode-base` seconds, plus `--episode-per-step` per recorded step, plus twice what MLGym's
 * commands and evaluations took, up to `--episode-max`; a run that would need more is replayed
 * last, for `--episode-base` seconds only (see EpisodeBudget).
 * `--checkout` names another MLGym checkout whose trajectories/ holds runs in MLGym's layout.
 * `--json` prints the report as one line, the last on stdout (the dev server's banner precedes it).
 */
import { parseArgs } from 'node:util';
import { DEFAULT_BUDGET, replayPublishedRuns } from '../../tests/support/mlgym-replay';
import { formatReplayReport } from '../../tests/support/mlgym-replay-report';

const positiveInteger = (name: string, text: string): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive whole number, not "${text}"`);
  return value;
};

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      concurrency: { type: 'string', default: '4' },
      'episode-base': { type: 'string', default: String(DEFAULT_BUDGET.baseSec) },
      'episode-per-step': { type: 'string', default: String(DEFAULT_BUDGET.perStepSec) },
      'episode-max': { type: 'string', default: String(DEFAULT_BUDGET.maxSec) },
      checkout: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length > 1) throw new Error('give at most one filter');
  const report = await replayPublishedRuns({
    checkout: values.checkout,
    filter: positionals[0],
    concurrency: positiveInteger('concurrency', values.concurrency),
    budget: {
      baseSec: positiveInteger('episode-base', values['episode-base']),
      perStepSec: positiveInteger('episode-per-step', values['episode-per-step']),
      maxSec: positiveInteger('episode-max', values['episode-max']),
    },
    log: (line) => process.stderr.write(`[replay] ${line}\n`),
  });
  process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${formatReplayReport(report)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});

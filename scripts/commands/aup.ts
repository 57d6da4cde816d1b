import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { computeAup, type AupResult } from '../../lib/metrics/aup';
import { parseScoreTable, ScoreTableError, type ScoreTable } from '../../lib/metrics/score-table';
import { usage } from '../lib/help';
import { printJson, say, UsageError } from '../lib/output';

/**
 * `mlgym aup`: MLGym's AUP and ranks from a best-attempt and a best-submission score table (MLGym's
 * results/tables format). --json prints one object on stdout; otherwise a table goes to stderr.
 */
export async function aupCommand(argv: string[]): Promise<number> {
  // A bad flag throws ERR_PARSE_ARGS_*, which the CLI reports as one line.
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      best: { type: 'string' },
      last: { type: 'string' },
      'lower-is-better': { type: 'string', multiple: true },
      json: { type: 'boolean' },
    },
  });
  if (!values.best || !values.last) throw new UsageError(`--best and --last are required; ${usage('aup')}`);
  const best = readTable(values.best, '--best');
  const last = readTable(values.last, '--last');
  const lowerIsBetter = (values['lower-is-better'] ?? [])
    .flatMap((list) => list.split(','))
    .map((name) => name.trim())
    .filter((name) => name !== '');

  let result: AupResult;
  try {
    result = computeAup({ best, last, lowerIsBetter });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }

  if (values.json) {
    printJson({
      eps: result.eps,
      points: result.points,
      logTauMax: result.logTauMax,
      lowerIsBetter: result.lowerIsBetter,
      methods: Object.fromEntries(result.summary.map(({ method, ...rest }) => [method, rest])),
    });
  } else {
    say(formatSummary(result));
  }
  return 0;
}

function readTable(file: string, flag: string): ScoreTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new UsageError(
      `${flag} ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : `cannot read (${code ?? (err as Error).message})`}`,
    );
  }
  try {
    return parseScoreTable(text, { source: file });
  } catch (err) {
    if (err instanceof ScoreTableError) throw new UsageError(err.message);
    throw err;
  }
}

function formatSummary(result: AupResult): string {
  const rows = [...result.summary].sort((a, b) => a.ranks.bestAttempt - b.ranks.bestAttempt || a.ranks.bestSubmission - b.ranks.bestSubmission);
  const width = Math.max('method'.length, ...rows.map((r) => r.method.length));
  const lines = [
    `AUP over ${result.tasks.length} tasks, ${result.methods.length} methods (eps ${result.eps}, log10 tau in [0, ${result.logTauMax}], ${result.points} points; lower is better: ${result.lowerIsBetter.join(', ') || 'none'})`,
    `${'method'.padEnd(width)}  best attempt AUP (rank)  best submission AUP (rank)`,
    ...rows.map(
      (r) =>
        `${r.method.padEnd(width)}  ${r.bestAttemptAup.toFixed(3).padStart(16)} (${String(r.ranks.bestAttempt).padStart(2)})    ${r.bestSubmissionAup.toFixed(3).padStart(19)} (${String(r.ranks.bestSubmission).padStart(2)})`,
    ),
  ];
  return lines.join('\n');
}

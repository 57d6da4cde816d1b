/**
 * MLGym's aggregate metrics (lib/metrics/aup.ts) and score tables (lib/metrics/score-table.ts):
 * every value of MLGym's published AUP table is reproduced from its published best/last score
 * tables, small cases are checked against values worked out by hand, and `mlgym aup --json` is run
 * end to end on the published tables.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { areaUnderProfile, competitionRanks, computeAup, logTauMax, performanceProfile, performanceRatios, tauGrid } from '../../lib/metrics/aup';
import { formatScoreTable, parseScoreTable, ScoreTableError, type ScoreTable } from '../../lib/metrics/score-table';

/** MLGym's results/tables at commit 9d40c1b, kept in the shared/ folder beside the repository. */
const FIXTURES = path.resolve(__dirname, '../../../shared/fixtures/mlgym-aup');
const REPO_ROOT = path.resolve(__dirname, '../..');
const BEST_CSV = path.join(FIXTURES, 'best_scores_aggregate_results.csv');
const LAST_CSV = path.join(FIXTURES, 'last_scores_aggregate_results.csv');
const AUP_CSV = path.join(FIXTURES, 'aup_scores_aggregate_results.csv');
const LOWER_IS_BETTER = ['3-SAT', 'Language Modeling'];
/** The published inputs are rounded to 3 decimals, and so are the published AUPs. */
const TOLERANCE = 0.001;

function readFixture(file: string): string {
  if (!existsSync(file)) {
    assert.fail(
      `missing MLGym fixture ${file}: expected MLGym's results/tables CSVs (commit 9d40c1b) in ${FIXTURES}, the shared/ folder beside the repository`,
    );
  }
  return readFileSync(file, 'utf8');
}

interface PublishedAup {
  method: string;
  best: number;
  last: number;
}

function publishedAups(): PublishedAup[] {
  const [header, ...lines] = readFixture(AUP_CSV).trim().split(/\r?\n/);
  assert.equal(header, 'Model,Best AUP,Last AUP', `unexpected header in ${AUP_CSV}`);
  return lines.map((line) => {
    const [method, best, last] = line.split(',');
    return { method, best: Number(best), last: Number(last) };
  });
}

const table = (methods: string[], rows: [string, ...(number | null)[]][]): ScoreTable => ({
  corner: 'Task',
  methods,
  rows: rows.map(([task, ...scores]) => ({ task, scores })),
});

const close = (actual: number, expected: number, message?: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${message ?? ''} expected ${expected}, got ${actual}`);

describe("MLGym's published AUP table", () => {
  it('reproduces every Best AUP and Last AUP to within 0.001', () => {
    const best = parseScoreTable(readFixture(BEST_CSV), { source: BEST_CSV });
    const last = parseScoreTable(readFixture(LAST_CSV), { source: LAST_CSV });
    const published = publishedAups();
    const result = computeAup({ best, last, lowerIsBetter: LOWER_IS_BETTER });

    assert.deepEqual([...result.methods].sort(), published.map((p) => p.method).sort(), 'the score tables and the AUP table name the same methods');
    assert.equal(result.tasks.length, 13);
    assert.equal(result.logTauMax, 1.5);
    const errors: string[] = [];
    let maxError = 0;
    for (const { method, best: bestAup, last: lastAup } of published) {
      const mine = result.summary.find((s) => s.method === method);
      assert.ok(mine, `no result for ${method}`);
      for (const [label, actual, expected] of [
        ['Best AUP', mine.bestAttemptAup, bestAup],
        ['Last AUP', mine.bestSubmissionAup, lastAup],
      ] as const) {
        const error = Math.abs(actual - expected);
        maxError = Math.max(maxError, error);
        if (!(error <= TOLERANCE)) errors.push(`${method} ${label}: published ${expected}, computed ${actual.toFixed(4)}`);
      }
    }
    assert.deepEqual(errors, [], `AUPs off by more than ${TOLERANCE}`);
    assert.ok(maxError < TOLERANCE);

    // The AUP ranking MLGym reports: Claude-3.5-Sonnet leads on best attempt, Gemini-2.5-Pro on best submission.
    const byRank = (key: 'bestAttempt' | 'bestSubmission') => [...result.summary].sort((a, b) => a.ranks[key] - b.ranks[key]).map((s) => s.method);
    assert.deepEqual(byRank('bestAttempt').slice(0, 4), ['claude-35-sonnet-new', 'gpt-o1', 'gemini-15-pro', 'gemini-25-pro']);
    assert.deepEqual(byRank('bestSubmission').slice(0, 2), ['gemini-25-pro', 'gpt-o1']);
    assert.equal(byRank('bestAttempt').at(-1), 'gpt-o3-mini');
  });

  it('samples the profiles on 500 points of log10 tau from 0 to tau_max; every profile ends at 1', () => {
    const result = computeAup({ best: parseScoreTable(readFixture(BEST_CSV)), last: parseScoreTable(readFixture(LAST_CSV)), lowerIsBetter: LOWER_IS_BETTER });
    assert.equal(result.logTauGrid.length, 500);
    assert.equal(result.logTauGrid[0], 0);
    assert.equal(result.logTauGrid[499], 1.5);
    for (const set of [result.bestAttempt, result.bestSubmission]) {
      for (const method of result.methods) {
        const profile = set.profiles[method];
        assert.equal(profile.length, 500);
        assert.ok(
          profile.every((v, i) => i === 0 || v >= profile[i - 1]),
          `${method}'s profile is not monotone`,
        );
        assert.equal(profile[499], 1);
      }
    }
    // Blotto: the baseline (-0.248) and O3-mini (-0.244) are negative, hence infeasible; the largest cap is ceil(1.05 x 0.576 / 0.023) = 27.
    const blotto = result.bestAttempt.tasks.find((t) => t.task === 'Blotto');
    assert.ok(blotto);
    assert.equal(blotto.status.baseline, 'infeasible');
    assert.equal(blotto.status['gpt-o3-mini'], 'infeasible');
    assert.equal(blotto.tauCap, 27);
    // 3-SAT is lower-is-better: the fastest (llama4-17b-16, 11.894) has ratio 1.
    const sat = result.bestAttempt.tasks.find((t) => t.task === '3-SAT');
    assert.equal(sat?.ratios['llama4-17b-16'], 1);
  });
});

describe('performanceRatios', () => {
  const methods = ['baseline', 'a', 'b', 'c', 'd', 'e'];

  it('higher is better: best / score; negative, below-baseline and missing scores get 1.05 x the worst feasible ratio', () => {
    const r = performanceRatios({ baseline: 0.5, a: 1, b: 0.8, c: 0.4, d: -1, e: null }, methods, { lowerIsBetter: false });
    assert.deepEqual(r.status, { baseline: 'feasible', a: 'feasible', b: 'feasible', c: 'infeasible', d: 'infeasible', e: 'missing' });
    assert.equal(r.best, 1);
    assert.equal(r.ratios.a, 1);
    assert.equal(r.ratios.b, 1.25);
    assert.equal(r.ratios.baseline, 2);
    assert.equal(r.worstRatio, 2);
    close(r.penaltyRatio, 2.1);
    for (const m of ['c', 'd', 'e']) assert.equal(r.ratios[m], r.penaltyRatio);
    assert.equal(r.tauCap, 3);
  });

  it('lower is better: score / best; scores above the baseline are infeasible', () => {
    const r = performanceRatios({ baseline: 4, a: 2, b: 3, c: 5, d: -1 }, methods, { lowerIsBetter: true });
    assert.equal(r.best, 2);
    assert.deepEqual([r.ratios.a, r.ratios.b, r.ratios.baseline], [1, 1.5, 2]);
    assert.equal(r.status.c, 'infeasible');
    assert.equal(r.status.d, 'infeasible');
    assert.equal(r.status.e, 'missing', 'a method absent from the scores is missing');
    close(r.ratios.c, 2.1);
    close(r.ratios.e, 2.1);
  });

  it('eps is configurable; a score of 0 is infeasible (its ratio would divide by zero)', () => {
    const r = performanceRatios({ baseline: 1, a: 2, b: 0 }, ['baseline', 'a', 'b'], { lowerIsBetter: false, eps: 0.5 });
    assert.equal(r.status.b, 'infeasible');
    assert.equal(r.ratios.b, 3);
    assert.equal(r.tauCap, 3);
  });

  it('a negative baseline bounds nothing but is itself infeasible; with no feasible score every ratio is 1 + eps', () => {
    const r = performanceRatios({ baseline: -0.25, a: -0.2, b: 0.1, c: 0.4 }, ['baseline', 'a', 'b', 'c'], { lowerIsBetter: false });
    assert.deepEqual(r.status, { baseline: 'infeasible', a: 'infeasible', b: 'feasible', c: 'feasible' });
    assert.equal(r.ratios.b, 4);
    const none = performanceRatios({ baseline: -1, a: -2 }, ['baseline', 'a'], { lowerIsBetter: false });
    assert.equal(none.best, null);
    assert.equal(none.worstRatio, 1);
    assert.deepEqual(none.ratios, { baseline: 1.05, a: 1.05 });
    assert.equal(none.tauCap, 2);
  });

  it('without a baseline score only negative scores are infeasible; an unknown baseline method is an error', () => {
    const r = performanceRatios({ baseline: null, a: 2, b: 1 }, ['baseline', 'a', 'b'], { lowerIsBetter: false });
    assert.deepEqual(r.status, { baseline: 'missing', a: 'feasible', b: 'feasible' });
    assert.equal(r.ratios.b, 2);
    const unbounded = performanceRatios({ a: 2, b: 1 }, ['a', 'b'], { lowerIsBetter: true, baseline: null });
    assert.deepEqual(unbounded.ratios, { a: 2, b: 1 });
    assert.throws(() => performanceRatios({ a: 1 }, ['a'], { lowerIsBetter: false }), /baseline method "baseline" is not among the methods/);
  });
});

describe('tau grid, profiles, area', () => {
  it('rounds log10 of the largest cap up to one decimal', () => {
    assert.equal(logTauMax([3, 27, 5]), 1.5);
    assert.equal(logTauMax([10]), 1);
    assert.equal(logTauMax([2]), 0.4);
  });

  it('spaces the grid evenly and ends exactly at tau_max', () => {
    assert.deepEqual(tauGrid(1, 5), [0, 0.25, 0.5, 0.75, 1]);
    const grid = tauGrid(0.7, 500);
    assert.equal(grid.length, 500);
    assert.equal(grid[499], 0.7);
    assert.throws(() => tauGrid(1, 1), /points >= 2/);
  });

  it('counts the fraction of tasks with log10(ratio) <= tau, and sums left rectangles', () => {
    const profiles = performanceProfile(
      [
        { a: 1, b: 10 },
        { a: 100, b: 1 },
      ],
      ['a', 'b'],
      [0, 1, 2],
    );
    assert.deepEqual(profiles, { a: [0.5, 0.5, 1], b: [0.5, 1, 1] });
    assert.equal(areaUnderProfile(profiles.a, [0, 1, 2]), 1);
    assert.equal(areaUnderProfile(profiles.b, [0, 1, 2]), 1.5);
  });

  it('ranks with ties sharing the best rank', () => {
    assert.deepEqual(
      competitionRanks(
        [
          ['w', 3],
          ['x', 5],
          ['y', 5],
          ['z', 1],
        ],
        (a, b) => a > b,
        (a, b) => a === b,
      ),
      { w: 3, x: 1, y: 1, z: 4 },
    );
  });
});

describe('computeAup on a hand-computed case', () => {
  // T1 (higher is better), T2 (lower is better). Best attempt: T1 ratios b 1, a 2, baseline 4 (cap
  // ceil(4.2) = 5); T2: a 1, baseline 2, b above the baseline so 2.1 (cap 3). Best submission: T1
  // without b: a 1, baseline 2, b 2.1 (cap 3); T2 as before. tau_max = ceil(10 log10 5) / 10 = 0.7;
  // with 5 points the grid is 0, .175, .35, .525, .7 and the area sums the first four values x .175.
  const methods = ['baseline', 'a', 'b'];
  const best = table(methods, [
    ['T1', 1, 2, 4],
    ['T2', 10, 5, 20],
  ]);
  const last = table(methods, [
    ['T1', 1, 2, null],
    ['T2', 10, 5, 20],
  ]);
  const result = computeAup({ best, last, lowerIsBetter: ['T2'], points: 5 });

  it('computes the grid and both AUPs', () => {
    assert.equal(result.logTauMax, 0.7);
    assert.equal(result.logTauGrid.length, 5);
    // Best attempt profiles: a 0.5, 0.5, 1, 1; b 0.5, 0.5, 1 (log10 2.1 = .322 <= .35), 1; baseline 0, 0, .5, .5.
    assert.deepEqual(result.bestAttempt.profiles, { baseline: [0, 0, 0.5, 0.5, 1], a: [0.5, 0.5, 1, 1, 1], b: [0.5, 0.5, 1, 1, 1] });
    close(result.bestAttempt.aup.a, 0.525);
    close(result.bestAttempt.aup.b, 0.525);
    close(result.bestAttempt.aup.baseline, 0.175);
    // Best submission: a is best on both (0.7); b and baseline reach both tasks only at .35.
    close(result.bestSubmission.aup.a, 0.7);
    close(result.bestSubmission.aup.b, 0.35);
    close(result.bestSubmission.aup.baseline, 0.35);
    assert.equal(result.bestSubmission.tasks[0].status.b, 'missing');
  });

  it('ranks methods by AUP with ties, and by score per task', () => {
    assert.deepEqual(result.bestAttempt.aupRanks, { baseline: 3, a: 1, b: 1 });
    assert.deepEqual(result.bestSubmission.aupRanks, { baseline: 2, a: 1, b: 2 });
    assert.deepEqual(result.bestAttempt.taskRanks, { T1: { baseline: 3, a: 2, b: 1 }, T2: { baseline: 2, a: 1, b: 3 } });
    assert.deepEqual(result.bestSubmission.taskRanks.T1, { baseline: 2, a: 1, b: 3 }, 'a missing score ranks after every scored method');
    assert.deepEqual(result.bestAttempt.meanTaskRank, { baseline: 2.5, a: 1.5, b: 2 });
    const a = result.summary.find((s) => s.method === 'a');
    assert.deepEqual(a?.ranks, { bestAttempt: 1, bestSubmission: 1, meanTaskBestAttempt: 1.5, meanTaskBestSubmission: 1 });
  });

  it('rejects mismatched tables and unknown lower-is-better tasks', () => {
    assert.throws(
      () =>
        computeAup({
          best,
          last: table(
            ['baseline', 'a'],
            [
              ['T1', 1, 2],
              ['T2', 1, 2],
            ],
          ),
        }),
      /differ in methods \(only in best: "b"/,
    );
    assert.throws(() => computeAup({ best, last: table(methods, [['T1', 1, 2, 3]]) }), /differ in tasks \(only in best: "T2"/);
    assert.throws(() => computeAup({ best, last, lowerIsBetter: ['T3'] }), /lower-is-better task not in the tables: "T3"/);
  });
});

describe('parseScoreTable', () => {
  it("reads MLGym's format: a header of methods, a task per row, empty cells missing", () => {
    const t = parseScoreTable('Task,baseline,m1,m2\nHouse Price,0.88,,0.9\r\n"Sat, timed",16.1,-3e2,nan\n\n');
    assert.deepEqual(t, {
      corner: 'Task',
      methods: ['baseline', 'm1', 'm2'],
      rows: [
        { task: 'House Price', scores: [0.88, null, 0.9] },
        { task: 'Sat, timed', scores: [16.1, -300, null] },
      ],
    });
    assert.deepEqual(parseScoreTable(formatScoreTable(t)), t, 'formatScoreTable round-trips');
  });

  it('reads the published tables in full', () => {
    const t = parseScoreTable(readFixture(BEST_CSV));
    assert.equal(t.methods.length, 13);
    assert.equal(t.rows.length, 13);
    assert.equal(t.rows.find((r) => r.task === 'Mountain Car Continuous')?.scores[t.methods.indexOf('deepseek-r1')], -31167493439488);
  });

  it('names the line, task and method of a bad cell', () => {
    assert.throws(
      () => parseScoreTable('Task,baseline,m1\nA,1,2\nB,1,oops\n', { source: 'best.csv' }),
      (err: Error) => {
        assert.ok(err instanceof ScoreTableError);
        assert.match(err.message, /^best\.csv: line 3, task "B", method "m1": "oops" is not a finite number/);
        return true;
      },
    );
    assert.throws(() => parseScoreTable('Task,m1\nA,0x10\n'), /line 2, task "A", method "m1": "0x10"/);
    assert.throws(() => parseScoreTable('Task,m1\nA,1e999\n'), /"1e999" is not a finite number/);
  });

  it('rejects malformed tables with a clear message', () => {
    assert.throws(() => parseScoreTable(''), /empty score table/);
    assert.throws(() => parseScoreTable('Task\nA\n'), /names no methods/);
    assert.throws(() => parseScoreTable('Task,m1,m1\n'), /method "m1" appears twice/);
    assert.throws(() => parseScoreTable('Task,m1,\n'), /column 3 has no method name/);
    assert.throws(() => parseScoreTable('Task,m1,m2\nA,1\n'), /line 2 \(task "A"\): 1 score cells for 2 methods/);
    assert.throws(() => parseScoreTable('Task,m1\nA,1\nA,2\n'), /task "A" appears twice \(also on line 2\)/);
    assert.throws(() => parseScoreTable('Task,m1\n,1\n'), /line 2: the row has no task name/);
    assert.throws(() => parseScoreTable('Task,m1\n"A,1\n'), /quoted cell is never closed/);
  });
});

describe('mlgym aup', () => {
  const mlgym = (args: string[]) => {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin/mlgym.js'), 'aup', ...args], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
  };

  it('--json prints one object with every method, matching the published AUPs', () => {
    readFixture(BEST_CSV);
    readFixture(LAST_CSV);
    const r = mlgym(['--best', BEST_CSV, '--last', LAST_CSV, '--lower-is-better', LOWER_IS_BETTER.join(','), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      logTauMax: number;
      methods: Record<string, { bestAttemptAup: number; bestSubmissionAup: number; ranks: { bestAttempt: number; bestSubmission: number } }>;
    };
    assert.equal(out.logTauMax, 1.5);
    const published = publishedAups();
    assert.deepEqual(Object.keys(out.methods).sort(), published.map((p) => p.method).sort());
    for (const { method, best, last } of published) {
      assert.ok(Math.abs(out.methods[method].bestAttemptAup - best) <= TOLERANCE, `${method} best: ${out.methods[method].bestAttemptAup} vs ${best}`);
      assert.ok(Math.abs(out.methods[method].bestSubmissionAup - last) <= TOLERANCE, `${method} last: ${out.methods[method].bestSubmissionAup} vs ${last}`);
    }
    assert.equal(out.methods['claude-35-sonnet-new'].ranks.bestAttempt, 1);
    assert.equal(out.methods['gemini-25-pro'].ranks.bestSubmission, 1);
  });

  it('without --json writes a table to stderr and nothing to stdout', () => {
    const r = mlgym(['--best', BEST_CSV, '--last', LAST_CSV, '--lower-is-better', '3-SAT', '--lower-is-better', 'Language Modeling']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /claude-35-sonnet-new\s+1\.426 \( 1\)\s+1\.419 \( 3\)/);
  });

  it('a missing file, a bad table or a missing flag is one line on stderr and exit code 2', () => {
    for (const [args, pattern] of [
      [['--best', '/nonexistent/best.csv', '--last', LAST_CSV], /^mlgym: --best \/nonexistent\/best\.csv: no such file$/],
      [['--best', path.join(FIXTURES, 'README.md'), '--last', LAST_CSV], /README\.md: line 1: the header row names no methods/],
      [['--best', BEST_CSV], /--best and --last are required/],
      [['--best', BEST_CSV, '--last', LAST_CSV, '--lower-is-better', '3SAT'], /lower-is-better task not in the tables: "3SAT"/],
    ] as const) {
      const r = mlgym([...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.split('\n').length, 1, r.stderr);
      assert.match(r.stderr, pattern);
      assert.equal(r.stdout, '');
    }
  });
});

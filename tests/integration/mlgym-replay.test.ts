import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ensureDocker } from '../support/docker';
import { DEFAULT_BUDGET, replayPublishedRuns } from '../support/mlgym-replay';
import { formatReplayReport } from '../support/mlgym-replay-report';
import { SHARED_MLGYM_CHECKOUT } from '../support/mlgym-runs';

/**
 * Issue 9, acceptance 1: MLGym's 36 published runs replay through MLGym's own task files in Docker
 * with the exit status MLGym recorded and a final score within 0.03 (games' Score) or 0.02 (House
 * Price's r2), for at least 32 of them. The table of every run is printed whatever the outcome.
 */
const PUBLISHED_RUNS = 36;
const REQUIRED_MATCHES = 32;
const present = existsSync(path.join(SHARED_MLGYM_CHECKOUT, 'trajectories'));
const missing = `MLGym's published runs are not at ${SHARED_MLGYM_CHECKOUT}`;

test(`MLGym's published runs replay in Docker: at least ${REQUIRED_MATCHES} of ${PUBLISHED_RUNS} end as recorded`, { timeout: 15 * 60_000 }, async (t) => {
  if (!present) {
    // CI must never be green without having replayed anything.
    if (process.env.CI === 'true') throw new Error(`${missing} (required when CI=true)`);
    return t.skip(missing);
  }
  const docker = ensureDocker();
  if (!docker.ok) return t.skip(`Docker is not available: ${docker.reason}`);
  // Progress goes to stderr as it happens; the table becomes the test's diagnostics.
  const report = await replayPublishedRuns({ concurrency: 4, budget: DEFAULT_BUDGET, log: (line) => process.stderr.write(`[replay] ${line}\n`) });
  for (const line of formatReplayReport(report).split('\n')) t.diagnostic(line);
  assert.equal(report.total, PUBLISHED_RUNS);
  assert.ok(report.matched >= REQUIRED_MATCHES, `${report.matched} of ${report.total} runs end as MLGym recorded; the bar is ${REQUIRED_MATCHES}`);
});

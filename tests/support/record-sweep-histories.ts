/**
 * Records sweep workflow histories for tests/integration/replay.test.ts (next to the episode ones),
 * so a non-deterministic change to workflows/sweep.ts fails there. Run it when an intentional,
 * patched() change to the sweep workflow lands:
 *   node --import tsx tests/support/record-sweep-histories.ts
 * Each scenario is a real sweep on a real dev server, with real episodes and the loopback LLM server.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import YAML from 'yaml';
import type { SweepSpecInput } from '../../lib/sweep-spec';
import { sweepWorkflowId } from '../../lib/sweep-spec';
import { launchSweep, loadSweepPlan } from '../../scripts/lib/sweeps';
import { statusQuery } from '../../lib/episode-messages';
import { retryFailedSignal } from '../../lib/sweep-messages';
import { GUESS_TASK, reply, startEpisodeHarness } from './episode-harness';
import { recordScenarios } from './record-histories';
import type { RecordedRequest, ScriptItem } from './fake-llm-server';

const HISTORIES_DIR = path.resolve(__dirname, '../fixtures/histories');
const episodeOf = (request: RecordedRequest) => /sandboxes\/([A-Za-z0-9_.-]+?)-[0-9a-f]{8}\/workspace/.exec(JSON.stringify(request.body))?.[1] ?? '?';

async function main() {
  const h = await startEpisodeHarness();
  const specDir = mkdtempSync(path.join(tmpdir(), 'mlgym-record-sweeps-'));
  const calls = new Map<string, number>();
  let behaviour: (id: string, call: number) => ScriptItem = () => reply('submit');
  h.llm.setResponder((request) => {
    const id = episodeOf(request);
    const call = (calls.get(id) ?? 0) + 1;
    calls.set(id, call);
    return behaviour(id, call);
  });
  const start = async (spec: Partial<SweepSpecInput> & { name: string }) => {
    const file = path.join(specDir, `${spec.name}.yaml`);
    writeFileSync(file, YAML.stringify({ tasks: [GUESS_TASK], models: ['openai:gpt-4o'], limits: { max_steps: 5 }, runtime: 'local', ...spec }));
    await launchSweep(h.env.client, await loadSweepPlan(file), h.taskQueue);
    return h.env.client.workflow.getHandle(sweepWorkflowId(spec.name));
  };
  mkdirSync(HISTORIES_DIR, { recursive: true });
  const scenarios: Record<string, () => Promise<string>> = {
    // Survey, child starts within the concurrency bound, completion.
    'sweep-fresh': async () => {
      behaviour = () => reply('submit');
      const sweep = await start({ name: 'rec-fresh', runs: 3, concurrency: 2 });
      await sweep.result();
      return sweep.workflowId;
    },
    // Continue-as-new with running episodes: later runs watch them through an activity.
    'sweep-continue-as-new': async () => {
      behaviour = (_id, call) => (call === 1 ? reply('sleep 1') : reply('submit'));
      const sweep = await start({ name: 'rec-can', runs: 4, concurrency: 2, events_per_run: 20 });
      await sweep.result();
      return sweep.workflowId;
    },
    // Budget refreshes, a failed (terminated) child, a retry signal while running, a wall-clock timer.
    'sweep-budget-retry': async () => {
      const r1 = 'rec-retry--guess--openai-gpt-4o--r1';
      behaviour = (id, call) => (id === r1 ? { fault: 'status', status: 401 } : call === 1 ? reply('sleep 2') : reply('submit'));
      const sweep = await start({ name: 'rec-retry', runs: 3, concurrency: 1, budget_usd: 10, limits: { max_steps: 5, max_time_minutes: 10 } });
      const episode = h.env.client.workflow.getHandle(r1);
      while ((await episode.query(statusQuery).catch(() => undefined))?.phase !== 'blocked') await sleep(100);
      await episode.terminate('recording: given up');
      behaviour = (_id, call) => (call === 1 ? reply('sleep 2') : reply('submit'));
      await sleep(1000);
      await sweep.signal(retryFailedSignal);
      await sweep.result();
      return sweep.workflowId;
    },
  };
  await recordScenarios(h, scenarios);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  });
}

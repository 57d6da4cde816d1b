/**
 * Records the histories that tests/integration/replay.test.ts replays against the current workflow
 * code. Run it when an intentional, patched() change to the episode workflow lands:
 *   node --import tsx tests/support/record-histories.ts
 * Each scenario is a real episode on a real dev server through the loopback LLM server. Name
 * scenarios to record only those (`... record-histories.ts mlgym-steps`): the histories recorded
 * before a patch keep proving that older episodes still replay.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { TEMPORAL_BIN } from '../../scripts/lib/settings';
import { reply, runEpisode, startEpisodeHarness, type EpisodeHarness } from './episode-harness';

export const HISTORIES_DIR = path.resolve(__dirname, '../fixtures/histories');

async function main() {
  const h = await startEpisodeHarness();
  mkdirSync(HISTORIES_DIR, { recursive: true });
  const scenarios: Record<string, () => Promise<string>> = {
    'submitted-with-validate': async () => {
      h.llm.script(reply('cat answer.txt'), reply('validate'), 'malformed reply', reply('echo 7 > answer.txt'), reply('submit'));
      const input = h.input({});
      await runEpisode(h, input);
      return input.episodeId;
    },
    'format-exit': async () => {
      h.llm.script('bad', 'bad again', 'still bad');
      const input = h.input({});
      await runEpisode(h, input);
      return input.episodeId;
    },
    'max-steps-continue-as-new': async () => {
      h.llm.script(reply('echo 1 > answer.txt'), reply('ls'), reply('validate'), reply('echo 9 > answer.txt'));
      const input = h.input({ limits: { max_steps: 4, steps_per_run: 2 } });
      await runEpisode(h, input);
      return input.episodeId;
    },
    // MLGym's step rules (patch mlgym-step-accounting): a reply without DISCUSSION, validate by its
    // marker inside a command, a malformed edit using a step, a re-query, and the extra reply after
    // the step limit.
    'mlgym-steps': async () => {
      h.llm.script(
        '```\ncat answer.txt\n```',
        reply('echo 6 > answer.txt && validate'),
        reply('edit 1:1\n7'),
        'malformed reply',
        reply('echo 7 > answer.txt'),
        reply('ls'),
      );
      const input = h.input({ limits: { max_steps: 4 } });
      await runEpisode(h, input);
      return input.episodeId;
    },
    'mlgym-format-exit': async () => {
      h.llm.script('bad', 'bad again', 'still bad', reply('echo never run'));
      const input = h.input({});
      await runEpisode(h, input);
      return input.episodeId;
    },
  };
  const wanted = process.argv.slice(2);
  await recordScenarios(h, wanted.length ? Object.fromEntries(Object.entries(scenarios).filter(([name]) => wanted.includes(name))) : scenarios);
}

/**
 * Runs each scenario (it returns the workflow id it ran) and writes every run of that workflow as
 * `<name>[-runN].json` in the canonical proto3 JSON that historyFromJSON reads back. Stops the harness.
 */
export async function recordScenarios(h: EpisodeHarness, scenarios: Record<string, () => Promise<string>>): Promise<void> {
  try {
    for (const [name, run] of Object.entries(scenarios)) {
      const workflowId = await run();
      const runs = [];
      for await (const execution of h.env.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) runs.push(execution.runId);
      for (const [i, runId] of runs.reverse().entries()) {
        const file = path.join(HISTORIES_DIR, `${name}${runs.length > 1 ? `-run${i + 1}` : ''}.json`);
        const json = execFileSync(TEMPORAL_BIN, ['workflow', 'show', '--address', h.env.address, '-w', workflowId, '-r', runId, '--output', 'json']);
        writeFileSync(file, json);
        process.stderr.write(`recorded ${file}\n`);
      }
    }
  } finally {
    await h.stop();
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  });
}

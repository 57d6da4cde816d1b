import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { EpisodeInput, type EpisodeInputArg } from '../../lib/episode';
import { loadTask } from '../../scripts/lib/tasks';
import { loadTaskAt } from '../../scripts/lib/task-at-scale';
import { REPO_ROOT } from '../../scripts/lib/settings';
import { episodeWorkflow } from '../../workflows/episode';
import { buildWorkers, singleMachineRoles, type WorkerSet } from '../../workers/main';
import { startFakeLlmServer, type FakeLlmServer } from './fake-llm-server';
import { startTemporal } from './temporal';

export const FAKE_OPENAI_KEY = 'sk-test-NEVER-IN-HISTORY-4f1c2e9a';
export const FAKE_ANTHROPIC_KEY = 'sk-ant-test-NEVER-IN-HISTORY-77b3';
export const GUESS_TASK = path.join(REPO_ROOT, 'tests/fixtures/tasks/guess/task.yaml');

/** A model reply in the expected format. */
export const reply = (command: string, discussion = 'I will take the next step.') => `DISCUSSION\n${discussion}\n\n\`\`\`\n${command}\n\`\`\`\n`;

/**
 * Everything an episode test needs, all real: a Temporal dev server, an in-process worker with the
 * real workflows and activities, the loopback LLM server (reached through the real SDK clients)
 * and an artifact directory of its own.
 */
export interface EpisodeHarness {
  env: TestWorkflowEnvironment;
  llm: FakeLlmServer;
  taskQueue: string;
  artifactsDir: string;
  input(overrides: Partial<EpisodeInputArg> & { taskFile?: string }): EpisodeInput;
  stop(): Promise<void>;
}

let counter = 0;

export async function startEpisodeHarness(): Promise<EpisodeHarness> {
  const llm = await startFakeLlmServer();
  const artifactsDir = mkdtempSync(path.join(tmpdir(), 'mlgym-artifacts-'));
  Object.assign(process.env, {
    OPENAI_BASE_URL: llm.openaiBaseUrl,
    OPENAI_API_KEY: FAKE_OPENAI_KEY,
    ANTHROPIC_BASE_URL: llm.anthropicBaseUrl,
    ANTHROPIC_API_KEY: FAKE_ANTHROPIC_KEY,
    MLGYM_ARTIFACTS: artifactsDir,
    MLGYM_MODEL_TIMEOUT_MS: '5000',
  });
  const env = await startTemporal();
  const taskQueue = `episodes-${process.pid}-${Date.now()}`;
  // As one `mlgym worker`: both roles; the sweep's activities reach episodes through the test server's client.
  const worker = await testWorkers(env, taskQueue);
  const running = worker.run();
  return {
    env,
    llm,
    taskQueue,
    artifactsDir,
    input({ taskFile = GUESS_TASK, ...overrides }) {
      // With a scale, the task as the CLI resolves it (that scale's baseline, resources, network).
      const task = overrides.scale ? loadTaskAt(taskFile, { scale: overrides.scale, conditions: overrides.conditions ?? 'strict' }) : loadTask(taskFile);
      return EpisodeInput.parse({
        episodeId: `test-${process.pid}-${Date.now()}-${++counter}`,
        taskDir: task.dir,
        task: task.config,
        model: 'openai:gpt-4o',
        modelParams: {},
        runtime: 'local',
        limits: {},
        ...overrides,
      });
    },
    async stop() {
      worker.shutdown();
      await running;
      await env.teardown();
      await llm.close();
    },
  };
}

/** The workers one `mlgym worker` runs (control and host roles), on the test server's connection. */
export function testWorkers(env: TestWorkflowEnvironment, taskQueue: string, extra: Parameters<typeof buildWorkers>[5] = {}): Promise<WorkerSet> {
  return buildWorkers(env.nativeConnection, env.namespace ?? 'default', env.client, taskQueue, singleMachineRoles(true), extra);
}

export async function runEpisode(harness: EpisodeHarness, input: EpisodeInput) {
  return harness.env.client.workflow.execute(episodeWorkflow, { workflowId: input.episodeId, taskQueue: harness.taskQueue, args: [input] });
}

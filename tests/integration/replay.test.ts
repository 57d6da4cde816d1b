import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';

/**
 * Replays recorded histories of finished episodes against the current workflow code: a change that
 * breaks determinism (an added, removed or reordered activity, timer or signal handler without
 * patched()) fails here instead of in a user's running sweep.
 */
const DIR = path.resolve(__dirname, '../fixtures/histories');

test('recorded episode histories replay deterministically against the current workflow code', async (t) => {
  const files = readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
  assert.ok(files.length >= 3, `expected recorded histories in ${DIR}`);
  const histories = files.map((file) => ({
    workflowId: file.replace(/\.json$/, ''),
    history: historyFromJSON(JSON.parse(readFileSync(path.join(DIR, file), 'utf8'))),
  }));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowsPath: require.resolve('../../workflows') }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    else t.diagnostic(`replayed ${result.workflowId}`);
  }
  assert.deepEqual(failures, []);
});

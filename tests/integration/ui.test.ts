import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { artifactStoreFromEnv } from '../../activities/artifacts';
import { episodeKeys } from '../../lib/artifact-keys';
import { episodeWorkflow } from '../../workflows/episode';
import { REPO_ROOT } from '../../scripts/lib/settings';
import { UI_DIST } from '../../scripts/commands/ui';
import { checkBind, startUiServer, type UiServer } from '../../ui/server/serve';
import { ensureChromium, launchChromium } from '../support/chromium';
import { reply, runEpisode, startEpisodeHarness, type EpisodeHarness } from '../support/episode-harness';

/**
 * `mlgym ui` in Debian's Chromium, driven by playwright-core, against a real Temporal server and
 * real episodes (the loopback LLM server plays the models): the run list's filters and search, an
 * episode page that follows a running episode without a reload, its score timeline, and the
 * error pages. Screenshots land in .mlgym/test-artifacts/ui/.
 */
const skip = ensureChromium();
const SCREENSHOTS = path.join(REPO_ROOT, '.mlgym', 'test-artifacts', 'ui');

let h: EpisodeHarness;
let ui: UiServer;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;

/** The viewer on a free loopback port, over the test's Temporal server and artifact store. */
const startViewer = (token?: string) =>
  startUiServer({
    client: h.env.client,
    store: artifactStoreFromEnv(),
    staticRoot: UI_DIST,
    temporalAddress: 'the test server',
    host: '127.0.0.1',
    port: 0,
    ...(token && { token }),
  });

before(async () => {
  if (skip) return;
  const build = spawnSync('bash', [path.join(REPO_ROOT, 'scripts/provision/ui.sh')], { stdio: 'inherit' });
  assert.equal(build.status, 0, 'the browser app builds');
  h = await startEpisodeHarness();
  ui = await startViewer();
  browser = await launchChromium();
  page = await browser.context.newPage();
  mkdirSync(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await ui?.close();
  await h?.stop();
});

const rows = () => page.locator('[data-testid=run-row]');
/** Waits until the page shows `count` elements of a test id (a string: the test has no DOM types). */
const waitForCount = (testId: string, count: number) =>
  page.waitForFunction(`document.querySelectorAll('[data-testid=${testId}]').length === ${count}`, undefined, { timeout: 30_000 });
const rowIds = async () => rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-episode-id')));

describe('mlgym ui in Chromium', { skip }, () => {
  const finished: { id: string; model: string }[] = [];

  test('the run list shows every episode; filters and free-text search narrow it', async () => {
    for (const [model, answer] of [
      ['openai:gpt-4o', '5'],
      ['anthropic:claude-sonnet-4-5', '3'],
    ]) {
      h.llm.script(reply(`echo ${answer} > answer.txt`), reply('validate'), reply('submit'));
      const input = h.input({ model, limits: { max_steps: 5 } });
      const result = await runEpisode(h, input);
      assert.equal(result.exitStatus, 'submitted');
      finished.push({ id: input.episodeId, model });
    }
    await page.goto(ui.url);
    await waitForCount('run-row', 2);
    assert.deepEqual((await rowIds()).sort(), finished.map((f) => f.id).sort());
    const firstRow = await rows().first().innerText();
    assert.match(firstRow, /guess/, 'the task is shown');
    assert.match(firstRow, /submitted/, 'the exit status is shown');

    await page.getByTestId('filter-model').fill('anthropic:claude-sonnet-4-5');
    await waitForCount('run-row', 1);
    assert.deepEqual(await rowIds(), [finished[1].id]);
    await page.getByTestId('filter-model').fill('');
    await waitForCount('run-row', 2);

    await page.getByTestId('search').fill(finished[0].id);
    await waitForCount('run-row', 1);
    assert.deepEqual(await rowIds(), [finished[0].id]);
    await page.getByTestId('search').fill('');
    await waitForCount('run-row', 2);
    await page.getByTestId('search').fill('no-such-episode');
    await waitForCount('run-row', 0);
    await page.getByTestId('search').fill('');
    await waitForCount('run-row', 2);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'run-list.png'), fullPage: true });
  });

  test('an episode page follows a running episode: a step appears without reload, and the score timeline grows', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const replies = [
      reply('echo 7 > answer.txt'),
      reply('validate'),
      reply('sleep 3 && echo slept && echo 9 > answer.txt'),
      reply('validate'),
      reply('submit'),
    ];
    let answered = 0;
    h.llm.setResponder(async () => {
      // The third reply waits until the page is open on the running episode.
      if (answered === 2) await released;
      return replies[answered++];
    });
    const input = h.input({ limits: { max_steps: 6 } });
    const handle = await h.env.client.workflow.start(episodeWorkflow, { workflowId: input.episodeId, taskQueue: h.taskQueue, args: [input] });
    const store = artifactStoreFromEnv();
    // Steps 1 and 2 are done (step 2's validate stored its record): the page opens mid-episode.
    for (let i = 0; !(await store.exists(episodeKeys(input.episodeId).execRecord(2))); i++) {
      assert.ok(i < 600, 'step 2 finished');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await page.goto(`${ui.url}#/episodes/${encodeURIComponent(input.episodeId)}`);
    await page.getByTestId('live-badge').waitFor();
    await waitForCount('step-card', 2);
    assert.equal(await page.getByTestId('score-point').count(), 1, 'the first validate is on the timeline');
    // A reload would lose this mark.
    await page.evaluate('window.notReloaded = true');

    release();
    await page.locator('[data-testid=step-card][data-step="3"]').waitFor({ timeout: 60_000 });
    assert.match(await page.locator('[data-testid=step-card][data-step="3"] [data-testid=step-observation]').innerText(), /slept/);
    const result = await handle.result();
    assert.equal(result.exitStatus, 'submitted');
    await waitForCount('step-card', 5);
    await page.getByTestId('live-badge').waitFor({ state: 'detached', timeout: 30_000 });
    assert.equal(await page.evaluate('window.notReloaded'), true, 'the page was never reloaded');
    assert.equal(await page.getByTestId('score-point').count(), 3, 'two validates and the submit');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'episode-live.png'), fullPage: true });

    // The full output of a command is one click away.
    await page.locator('[data-testid=step-card][data-step="3"] [data-testid=full-output]').click();
    await page.locator('[data-testid=step-card][data-step="3"]').getByText('slept', { exact: false }).last().waitFor();
    h.llm.setResponder(undefined);
  });

  test('an unknown episode is a clear page, and the viewer keeps serving', async () => {
    await page.goto(`${ui.url}#/episodes/no-such-episode`);
    const error = page.getByTestId('error');
    await error.waitFor();
    assert.match(await error.innerText(), /no episode "no-such-episode"/);
    const api = await fetch(`${ui.url}api/episodes/no-such-episode`);
    assert.equal(api.status, 404);
    const bad = await fetch(`${ui.url}api/runs?pageSize=0`);
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /pageSize/);
    const list = await fetch(`${ui.url}api/runs`);
    assert.equal(list.status, 200, 'still serving');
  });

  test('a bind beyond loopback needs a token', async () => {
    assert.throws(() => checkBind('0.0.0.0', undefined), /set a token/);
    assert.doesNotThrow(() => checkBind('0.0.0.0', 'a-token-of-enough-length'));
    const guarded = await startViewer('a-token-of-enough-length');
    try {
      assert.equal((await fetch(`${guarded.url}api/runs`)).status, 401);
      assert.equal((await fetch(`${guarded.url}api/runs`, { headers: { authorization: 'Bearer a-token-of-enough-length' } })).status, 200);
      assert.equal((await fetch(`${guarded.url}api/runs?token=a-token-of-enough-length`)).status, 200);
    } finally {
      await guarded.close();
    }
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import type { Page } from 'playwright-core';
import YAML from 'yaml';
import { artifactStoreFromEnv } from '../../activities/artifacts';
import { episodeKeys } from '../../lib/artifact-keys';
import { episodeWorkflow } from '../../workflows/episode';
import type { SweepResult } from '../../lib/sweep';
import type { RunList } from '../../ui/shared/api';
import { sweepWorkflowId } from '../../lib/sweep-spec';
import { launchSweep, loadSweepPlan } from '../../scripts/lib/sweeps';
import { MlgymRuns } from '../../ui/server/mlgym-runs';
import { exportSweep } from '../../ui/server/export';
import { viewerClient } from '../../ui/server/temporal-client';
import { SA } from '../../lib/search-attributes';
import { mapLimited } from '../../activities/async';
import { REPO_ROOT } from '../../scripts/lib/settings';
import { UI_DIST } from '../../scripts/commands/ui';
import { checkBind, startUiServer, type UiServer } from '../../ui/server/serve';
import { ensureChromium, launchChromium } from '../support/chromium';
import { GUESS_TASK, reply, runEpisode, startEpisodeHarness, type EpisodeHarness } from '../support/episode-harness';
import { listPublishedRuns, SHARED_MLGYM_CHECKOUT } from '../support/mlgym-runs';

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
    mlgymRuns: new MlgymRuns(path.join(SHARED_MLGYM_CHECKOUT, 'trajectories')),
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
  let sweepName = '';

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
      reply('for i in 1 2 3 4 5 6 7 8; do echo tick $i; sleep 1; done; echo slept && echo 9 > answer.txt'),
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
    // While step 3's command runs, its last output line comes from the activity's heartbeat.
    await page
      .getByTestId('running-command')
      .getByText(/tick [1-8]/)
      .waitFor({ timeout: 30_000 });
    await page.locator('[data-testid=step-card][data-step="3"]').waitFor({ timeout: 60_000 });
    assert.match(await page.locator('[data-testid=step-card][data-step="3"] [data-testid=step-observation]').innerText(), /slept/);
    const result = await handle.result();
    assert.equal(result.exitStatus, 'submitted');
    await waitForCount('step-card', 5);
    await page.getByTestId('live-badge').waitFor({ state: 'detached', timeout: 30_000 });
    assert.equal(await page.evaluate('window.notReloaded'), true, 'the page was never reloaded');
    assert.equal(await page.getByTestId('score-point').count(), 3, 'two validates and the submit');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'episode-live.png'), fullPage: true });

    // Each step links to its activity in the Temporal UI.
    const link = await fetch(`${ui.url}api/episodes/${encodeURIComponent(input.episodeId)}/steps/3/temporal`, { redirect: 'manual' });
    assert.equal(link.status, 302);
    assert.match(link.headers.get('location') ?? '', new RegExp(`/workflows/${input.episodeId}/[0-9a-f-]+/history/events/\\d+$`));
    // The full output of a command is one click away.
    await page.locator('[data-testid=step-card][data-step="3"] [data-testid=full-output]').click();
    await page.locator('[data-testid=step-card][data-step="3"]').getByText('slept', { exact: false }).last().waitFor();
    h.llm.setResponder(undefined);
  });

  test('a sweep of 2 tasks x 2 models: its page, the exit statuses that filter the run list, and both compare pages', async () => {
    // A second task: the guess task under another id.
    const otherTask = path.join(mkdtempSync(path.join(tmpdir(), 'mlgym-ui-task-')), 'guess-again');
    cpSync(path.dirname(GUESS_TASK), otherTask, { recursive: true });
    writeFileSync(path.join(otherTask, 'task.yaml'), readFileSync(GUESS_TASK, 'utf8').replace(/^id: guess$/m, 'id: guess-again'));
    const calls = new Map<string, number>();
    h.llm.setResponder((request) => {
      // Each episode names its own sandbox in its prompt: three calls each, whatever the interleaving.
      const episode = /sandboxes\/([A-Za-z0-9_.-]+?)-[0-9a-f]{8}\/workspace/.exec(JSON.stringify(request.body))?.[1] ?? '?';
      const call = (calls.get(episode) ?? 0) + 1;
      calls.set(episode, call);
      return [reply(`echo ${episode.includes('anthropic') ? 3 : 5} > answer.txt`), reply('validate'), reply('submit')][call - 1] ?? reply('submit');
    });
    const spec = path.join(path.dirname(otherTask), 'sweep.yaml');
    const name = `ui-${Date.now()}`;
    sweepName = name;
    writeFileSync(
      spec,
      YAML.stringify({
        name,
        tasks: [path.join(otherTask, 'task.yaml'), GUESS_TASK],
        models: ['openai:gpt-4o', 'anthropic:claude-sonnet-4-5'],
        runs: 1,
        limits: { max_steps: 5 },
        concurrency: 2,
        budget_usd: 5,
        runtime: 'local',
      }),
    );
    await launchSweep(h.env.client, await loadSweepPlan(spec), h.taskQueue);
    const result = (await h.env.client.workflow.getHandle(sweepWorkflowId(name)).result()) as SweepResult;
    h.llm.setResponder(undefined);
    assert.equal(result.counts.completed, 4);

    await page.goto(`${ui.url}#/sweeps/${name}`);
    await waitForCount('cell', 4);
    const states = await page.locator('[data-testid=cell]').evaluateAll((cells) => cells.map((c) => c.getAttribute('data-state')));
    assert.deepEqual(states, ['completed', 'completed', 'completed', 'completed']);
    await page.getByTestId('budget-bar').waitFor();
    assert.match(
      await page.getByTestId('aup-table').innerText(),
      /openai-gpt-4o[\s\S]*anthropic-claude-sonnet-4-5|anthropic-claude-sonnet-4-5[\s\S]*openai-gpt-4o/,
    );
    assert.match(await page.getByTestId('cost-by-model').innerText(), /openai:gpt-4o/);
    await page.getByTestId('sweep-report').waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'sweep.png'), fullPage: true });

    // An exit status opens the run list filtered by the sweep and that status.
    await page.locator('[data-testid=exit-status][data-status=submitted]').click();
    await waitForCount('run-row', 4);
    assert.match(page.url(), new RegExp(`sweep=${name}`));
    assert.deepEqual((await rowIds()).sort(), result.cells.map((c) => c.episodeId).sort());

    await page.goto(`${ui.url}#/sweeps/${name}/compare?a=openai-gpt-4o&b=anthropic-claude-sonnet-4-5`);
    await waitForCount('compare-task-row', 2);
    // Per task: A's -2 (answer 5), B's -4 (answer 3), the difference -2.
    assert.match(await page.getByTestId('model-compare').innerText(), /-2[\s\S]*-4/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'compare-models.png'), fullPage: true });

    const [a, b] = result.cells.filter((c) => c.task === 'guess').map((c) => c.episodeId!);
    await page.goto(`${ui.url}#/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
    await waitForCount('compare-step-row', 3);
    // Both sides load on their own: wait for each one's first command.
    await page.getByTestId('episode-compare').getByText('echo 5 > answer.txt').first().waitFor();
    await page.getByTestId('episode-compare').getByText('echo 3 > answer.txt').first().waitFor();
    assert.match(
      await page.getByTestId('episode-compare').innerText(),
      /echo 5 > answer.txt[\s\S]*echo 3 > answer.txt|echo 3 > answer.txt[\s\S]*echo 5 > answer.txt/,
    );
    await page.screenshot({ path: path.join(SCREENSHOTS, 'compare-episodes.png'), fullPage: true });
  });

  test('mlgym ui export: the sweep as one file that opens from disk, offline', async () => {
    assert.ok(sweepName, 'the sweep test ran first');
    const outDir = mkdtempSync(path.join(tmpdir(), 'mlgym-ui-export-'));
    const exported = await exportSweep(h.env.client, artifactStoreFromEnv(), sweepName, outDir, UI_DIST);
    assert.equal(exported.episodes, 4);
    assert.deepEqual(exported.skipped, []);
    const offline = await browser.context.newPage();
    const requests: string[] = [];
    offline.on('request', (request) => requests.push(request.url()));
    try {
      await offline.goto(pathToFileURL(exported.file).href);
      await offline.getByTestId('static-badge').waitFor();
      // It opens on the sweep's page.
      await offline.waitForFunction(`document.querySelectorAll('[data-testid=cell]').length === 4`, undefined, { timeout: 30_000 });
      await offline.getByTestId('aup-table').waitFor();
      await offline.locator('[data-testid=cell]').first().click();
      await offline.waitForFunction(`document.querySelectorAll('[data-testid=step-card]').length === 3`, undefined, { timeout: 30_000 });
      await offline.goto(`${pathToFileURL(exported.file).href}#/sweeps/${sweepName}/compare?a=openai-gpt-4o&b=anthropic-claude-sonnet-4-5`);
      await offline.waitForFunction(`document.querySelectorAll('[data-testid=compare-task-row]').length === 2`, undefined, { timeout: 30_000 });
      await offline.screenshot({ path: path.join(SCREENSHOTS, 'export.png'), fullPage: true });
      const elsewhere = requests.filter((url) => !url.startsWith('file://'));
      assert.deepEqual(elsewhere, [], 'the export loads nothing from a server');
    } finally {
      await offline.close();
    }
  });

  test("MLGym's published runs open next to ours", async () => {
    const published = listPublishedRuns();
    await page.goto(`${ui.url}#/mlgym`);
    await page.getByTestId('mlgym-list').waitFor();
    await waitForCount('run-row', published.length);
    const run = published.find((r) => r.task === 'blotto')!;
    await page.goto(`${ui.url}#/mlgym/${encodeURIComponent(run.folder)}`);
    await page.getByTestId('mlgym-badge').waitFor();
    await waitForCount('step-card', run.steps.length);
    // Every score MLGym recorded (each validate that scored, and the submission) is on the timeline.
    assert.equal(await page.getByTestId('score-point').count(), run.scores.length);
    // Searching the transcript counts its matches; the raw view is the page's JSON; the cards come back.
    const validates = run.steps.filter((step) => step.action.trim().startsWith('validate')).length;
    await page.getByTestId('transcript-search').fill('validate');
    await page
      .getByTestId('search-count')
      .getByText(/of \d+/)
      .waitFor();
    const [, matches] = /of (\d+)/.exec(await page.getByTestId('search-count').innerText())!;
    assert.ok(Number(matches) >= validates, `${matches} matches of "validate", at least one per validate step (${validates})`);
    await page.getByTestId('raw-json').click();
    assert.match(await page.getByTestId('raw-json-view').innerText(), /"source": "mlgym"/);
    await page.getByTestId('raw-json').click();
    await page.getByTestId('expand-all').click();
    await waitForCount('step-card', run.steps.length);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'mlgym-run.png') });
  });

  test('benchmark: a 1,000-step episode page and a 1,000-episode list in Chromium (printed, not asserted against a time)', async (t) => {
    // Stored in the layout the activities write, on a queue no worker polls: nothing runs them.
    const store = artifactStoreFromEnv();
    const input = h.input({ limits: { max_steps: 1000 } });
    const keys = episodeKeys(input.episodeId);
    for (let step = 1; step <= 1000; step++) {
      const output = `epoch ${step}: loss ${(1 / step).toFixed(4)}\n`.repeat(20);
      await Promise.all([
        store.put(
          keys.modelCall(step),
          JSON.stringify({
            response: '',
            thought: `Step ${step}: try the next idea.`,
            action: `python train.py --seed ${step}`,
            usage: { inputTokens: 4000 + step, outputTokens: 60 },
            costUsd: 0.011,
          }),
        ),
        store.put(
          keys.execRecord(step),
          JSON.stringify({
            observation: output,
            execution_time: 1.5,
            state: {},
            ...(step % 50 === 0 && { evaluation: { kind: 'validate', metrics: { Score: step / 1000 }, split: 'test' } }),
          }),
        ),
        store.put(keys.execOutput(step), output),
      ]);
    }
    const idle = `${h.taskQueue}-nobody`;
    const long = await h.env.client.workflow.start(episodeWorkflow, { workflowId: input.episodeId, taskQueue: idle, args: [input] });
    await long.terminate('a stored 1,000-step episode for the viewer benchmark');
    // A new tab: a cold load, as a person opening a link gets it.
    const previous = page;
    page = await browser.context.newPage();
    await page.bringToFront();
    const started = Date.now();
    await page.goto(`${ui.url}#/episodes/${encodeURIComponent(input.episodeId)}`);
    await waitForCount('step-card', 1000);
    // Interactive: the keys work. They are pressed until one is answered (the handler attaches after the first paint).
    const focusedCard = page.locator('[data-testid=step-card][aria-current=step]');
    for (let i = 0; !(await focusedCard.count()); i++) {
      assert.ok(i < 300, 'the j key focuses a step');
      await page.keyboard.press('j');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const episodeMs = Date.now() - started;

    // 1,000 episodes in Temporal's visibility store, with their search attributes.
    const many = Array.from({ length: 1000 }, (_, i) => h.input({ task: { ...input.task, id: 'bench' }, model: `openai:bench-${i % 4}` }));
    await mapLimited(many, 50, (episode) =>
      h.env.client.workflow.start(episodeWorkflow, {
        workflowId: episode.episodeId,
        taskQueue: idle,
        args: [episode],
        typedSearchAttributes: [
          { key: SA.task, value: 'bench' },
          { key: SA.model, value: episode.model },
          { key: SA.status, value: 'starting' },
          { key: SA.step, value: 0 },
          { key: SA.cost, value: 0 },
        ],
      }),
    );
    for (let i = 0; (await h.env.client.workflow.count('MlgymTask = "bench"')).count < 1000; i++) {
      assert.ok(i < 300, 'visibility holds the 1,000 episodes');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await page.close();
    page = await browser.context.newPage();
    const listStarted = Date.now();
    await page.goto(`${ui.url}#/?task=bench&pageSize=1000`);
    await waitForCount('run-row', 1000);
    const listMs = Date.now() - listStarted;
    const filterStarted = Date.now();
    await page.getByTestId('filter-model').fill('openai:bench-1');
    await waitForCount('run-row', 250);
    const filterMs = Date.now() - filterStarted;
    const line = `1,000-step episode page interactive in ${(episodeMs / 1000).toFixed(2)} s; 1,000-episode list shown in ${(listMs / 1000).toFixed(2)} s, filtered to 250 in ${(filterMs / 1000).toFixed(2)} s more (target: under 2 s each)`;
    t.diagnostic(`benchmark: ${line}`);
    process.stderr.write(`[ui benchmark] ${line}\n`);
    await page.close();
    page = previous;
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
    // An artifact that does not read: the page names it, the list shows the episode without its scores.
    const store = artifactStoreFromEnv();
    const broken = finished[0].id;
    const results = episodeKeys(broken).results;
    const saved = await store.get(results);
    await store.put(results, '{"agent": [');
    try {
      await page.goto(`${ui.url}#/episodes/${encodeURIComponent(broken)}`);
      // Waiting for the new text: the error of the page before may still be on screen for a moment.
      await page
        .getByTestId('error')
        .getByText(/results of episode .* do not read/)
        .waitFor();
      const list = await fetch(`${ui.url}api/runs?q=${encodeURIComponent(broken)}`);
      assert.equal(list.status, 200, 'still serving');
      assert.equal(((await list.json()) as RunList).rows[0].lastScore, undefined);
    } finally {
      await store.put(results, saved);
    }
  });

  test('Temporal down: each page says so, and the viewer keeps serving', async () => {
    const { client, close } = viewerClient({ address: '127.0.0.1:1' }, 'default');
    const down = await startUiServer({
      client,
      store: artifactStoreFromEnv(),
      staticRoot: UI_DIST,
      temporalAddress: '127.0.0.1:1',
      host: '127.0.0.1',
      port: 0,
    });
    try {
      for (let i = 0; i < 2; i++) {
        const answer = await fetch(`${down.url}api/runs`);
        assert.equal(answer.status, 503);
        assert.match(((await answer.json()) as { error: string }).error, /Temporal is not answering at 127\.0\.0\.1:1/);
      }
      await page.goto(down.url);
      await page
        .getByTestId('error')
        .getByText(/Temporal is not answering/)
        .waitFor();
      await page.goto(`${down.url}#/sweeps/any`);
      await page
        .getByTestId('error')
        .getByText(/Temporal is not answering/)
        .waitFor();
    } finally {
      await down.close();
      await close();
    }
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

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { LocalArtifactStore } from '../../activities/artifacts/local';
import { rebuildProgress } from '../../activities/resume';
import { scanArgv } from '../../activities/snapshot/scan';
import { episodeKeys } from '../../lib/artifact-keys';
import { EpisodeLimits } from '../../lib/episode';
import { diffManifest, type ManifestEntry, parseScan, restorePlan, type ScanEntry, snapshotExcludes, snapshotSettings } from '../../lib/snapshot';
import { TaskConfig } from '../../lib/task-config';

const SNAPSHOT_TOOL = path.resolve(__dirname, '../../tools/runner/mlgym-snapshot');

const file = (p: string, s: number, m = '1000', x = 0o644): ScanEntry => ({ p, t: 'f', s, m, x });
const dir = (p: string, x = 0o755): ScanEntry => ({ p, t: 'd', x });
const stored = (e: ScanEntry, h = `sha-${e.p}`): ManifestEntry => (e.t === 'f' ? { ...e, h } : e);

describe('diffManifest', () => {
  test('without a previous manifest everything is new', () => {
    const diff = diffManifest(undefined, [dir('src'), file('src/a.py', 3), file('b.txt', 1)]);
    assert.equal(diff.changed.length, 3);
    assert.deepEqual(diff.deleted, []);
  });

  test('only entries whose size, mtime or mode changed count; gone paths are deletions', () => {
    const previous = [dir('src'), file('src/a.py', 3), file('b.txt', 1), file('c.txt', 5), file('d.sh', 2), { p: 'ln', t: 'l', l: 'b.txt' } as ScanEntry].map(
      (e) => stored(e),
    );
    const current: ScanEntry[] = [
      dir('src'),
      file('src/a.py', 3), // same
      file('b.txt', 1, '2000'), // touched
      file('d.sh', 2, '1000', 0o755), // chmod +x
      file('e.txt', 9), // new
      { p: 'ln', t: 'l', l: 'e.txt' }, // retargeted
    ];
    const diff = diffManifest(previous, current);
    assert.deepEqual(
      diff.changed.map((e) => e.p),
      ['b.txt', 'd.sh', 'e.txt', 'ln'],
    );
    assert.deepEqual(
      diff.unchanged.map((e) => e.p),
      ['src', 'src/a.py'],
    );
    // Unchanged entries keep their stored blob.
    assert.equal((diff.unchanged[1] as { h?: string }).h, 'sha-src/a.py');
    assert.deepEqual(diff.deleted, ['c.txt']);
  });

  test('an unchanged workspace yields an empty diff', () => {
    const entries = [dir('x'), file('x/y', 1)];
    const diff = diffManifest(
      entries.map((e) => stored(e)),
      entries,
    );
    assert.equal(diff.changed.length + diff.deleted.length, 0);
  });
});

describe('restorePlan', () => {
  test('deletes what the snapshot lacks (deepest first), writes what differs, recreates dirs and links', () => {
    const target: ManifestEntry[] = [
      dir('src'),
      stored(file('src/a.py', 3)),
      stored(file('keep.txt', 1)),
      { p: 'ln', t: 'l', l: 'keep.txt' },
      dir('empty', 0o700),
    ];
    const current: ScanEntry[] = [
      dir('src'),
      file('src/a.py', 4, '2000'),
      file('keep.txt', 1),
      dir('new'),
      dir('new/deep'),
      file('new/deep/x', 1),
      file('extra.txt', 1),
    ];
    const plan = restorePlan(target, current);
    assert.deepEqual(plan.delete, ['new/deep/x', 'new/deep', 'extra.txt', 'new']);
    assert.deepEqual(plan.mkdir, ['empty']);
    assert.deepEqual(plan.links, [{ p: 'ln', l: 'keep.txt' }]);
    assert.deepEqual(
      plan.write.map((w) => w.p),
      ['src/a.py'],
    );
    assert.deepEqual(plan.files, [{ p: 'src/a.py', m: '1000', x: 0o644 }]);
    assert.deepEqual(
      plan.dirs,
      [
        { p: 'empty', x: 0o700 },
        { p: 'src', x: 0o755 },
      ],
      'folders above written files get their modes back',
    );
    assert.deepEqual(plan.notRestorable, []);
  });

  test('a path of another kind is replaced; what lay under a deleted directory is written again', () => {
    const target: ManifestEntry[] = [stored(file('thing', 2)), dir('d'), stored(file('d/f', 1))];
    const current: ScanEntry[] = [dir('thing'), file('thing/inner', 1), file('d', 7)];
    const plan = restorePlan(target, current);
    assert.deepEqual(plan.delete, ['thing/inner', 'd', 'thing']);
    assert.deepEqual(plan.mkdir, ['d']);
    assert.deepEqual(plan.write.map((w) => w.p).sort(), ['d/f', 'thing']);
  });

  test('files over the cap cannot be restored and are reported; identical ones need nothing', () => {
    const big: ManifestEntry = { ...(file('model.bin', 500) as Extract<ScanEntry, { t: 'f' }>), omitted: 'over_cap' };
    assert.deepEqual(restorePlan([big], []).notRestorable, [{ path: 'model.bin', bytes: 500 }]);
    const same = restorePlan([big, stored(file('a', 1))], [file('model.bin', 500), file('a', 1)]);
    assert.deepEqual(same, { delete: [], mkdir: [], links: [], write: [], files: [], dirs: [], notRestorable: [] });
  });
});

test('snapshot settings exclude the data folder and the evaluator copies; 0 MB turns snapshots off', () => {
  const task = TaskConfig.parse({
    id: 't',
    name: 't',
    description: 'd',
    metric: { name: 'Score', direction: 'max' },
    submission_path: 'answer.txt',
    evaluation_paths: ['./evaluate.py', 'eval/'],
    evaluator_support_paths: ['helpers/score.py'],
  });
  assert.deepEqual(snapshotExcludes(task), ['data', 'eval', 'evaluate.py', 'helpers/score.py']);
  const settings = snapshotSettings(task, EpisodeLimits.parse({ snapshot_max_file_mb: 2 }), 4);
  assert.deepEqual(settings, { previousStep: 4, maxFileBytes: 2 * 1024 * 1024, exclude: snapshotExcludes(task) });
  assert.equal(snapshotSettings(task, EpisodeLimits.parse({ snapshot_max_file_mb: 0 }), undefined), undefined);
  // Limits recorded before the field existed get the 100 MB default.
  const old: Partial<EpisodeLimits> = EpisodeLimits.parse({});
  delete old.snapshot_max_file_mb;
  assert.equal(snapshotSettings(task, old as EpisodeLimits, undefined)?.maxFileBytes, 100 * 1024 * 1024);
});

test('parseScan drops what the owner to skip holds, sockets and names that are not UTF-8', () => {
  const line = (type: string, uid: number, p: string, link = '') => `${type}\t3\t1700000000.5\t644\t${uid}\t${p}\0${link}\0`;
  const output =
    line('d', 0, 'shared') +
    line('f', 0, 'evaluate.py') +
    line('f', 1000, 'shared/mine.py') +
    line('s', 1000, 'sock') +
    line('f', 1000, 'bad\uFFFDname') +
    line('l', 1000, 'ln', 'shared/mine.py');
  const { entries, errors } = parseScan(output, 0);
  assert.deepEqual(entries, [
    { p: 'ln', t: 'l', l: 'shared/mine.py' },
    { p: 'shared/mine.py', t: 'f', s: 3, m: '1700000000500000000', x: 0o644 },
  ]);
  assert.equal(errors.length, 1);
  assert.equal(parseScan(output).entries.length, 4, 'without an owner to skip, the root-owned entries are kept');
});

describe('listing (find) and restoring (tools/runner/mlgym-snapshot apply) a workspace', () => {
  const scan = (root: string, exclude: string[] = []) => {
    const [cmd, ...args] = scanArgv(root, exclude);
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return parseScan(r.stdout);
  };
  const apply = (root: string, plan: unknown) => {
    const r = spawnSync('python3', [SNAPSHOT_TOOL, 'apply', root], { input: JSON.stringify(plan), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return (JSON.parse(r.stdout) as { errors: string[] }).errors;
  };

  test('the listing has dirs, files and links with size, mtime (ns) and mode, minus the excluded paths', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'mlgym-snap-'));
    mkdirSync(path.join(root, 'data'));
    writeFileSync(path.join(root, 'data', 'train.csv'), 'x');
    writeFileSync(path.join(root, 'evaluate.py'), 'print(1)');
    mkdirSync(path.join(root, 'src'));
    writeFileSync(path.join(root, 'src', 'a.py'), 'abc');
    chmodSync(path.join(root, 'src', 'a.py'), 0o600);
    symlinkSync('src/a.py', path.join(root, 'ln'));
    writeFileSync(path.join(root, 'odd [name]\twith tab'), '');
    writeFileSync(path.join(root, 'data*'), 'not the data folder');
    const { entries, errors } = scan(root, ['data', 'evaluate.py']);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      entries.map((e) => e.p),
      ['data*', 'ln', 'odd [name]\twith tab', 'src', 'src/a.py'],
    );
    const a = entries[4] as Extract<ScanEntry, { t: 'f' }>;
    assert.equal(a.s, 3);
    assert.equal(a.x, 0o600);
    assert.equal(BigInt(a.m), statSync(path.join(root, 'src', 'a.py'), { bigint: true }).mtimeNs);
    assert.deepEqual(entries[1], { p: 'ln', t: 'l', l: 'src/a.py' });
    assert.deepEqual(entries[3], { p: 'src', t: 'd', x: 0o755 & ~process.umask() });
  });

  test('apply + copied contents bring a workspace back to a listed state, mtimes included', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'mlgym-snap-'));
    mkdirSync(path.join(root, 'src'));
    writeFileSync(path.join(root, 'src', 'a.py'), 'v1');
    writeFileSync(path.join(root, 'notes.txt'), 'keep');
    mkdirSync(path.join(root, 'ro'));
    writeFileSync(path.join(root, 'ro', 'f'), 'read-only dir');
    chmodSync(path.join(root, 'ro'), 0o555);
    utimesSync(path.join(root, 'src', 'a.py'), 1_000_000, 1_000_000);
    const target = scan(root).entries;
    const contents = new Map([
      ['src/a.py', 'v1'],
      ['notes.txt', 'keep'],
      ['ro/f', 'read-only dir'],
    ]);

    // What later steps did: edit, delete, add files and folders, replace a file by a folder.
    writeFileSync(path.join(root, 'src', 'a.py'), 'version two');
    chmodSync(path.join(root, 'ro'), 0o755);
    rmSync(path.join(root, 'ro'), { recursive: true });
    mkdirSync(path.join(root, 'out', 'deep'), { recursive: true });
    writeFileSync(path.join(root, 'out', 'deep', 'ckpt'), 'x');
    chmodSync(path.join(root, 'out'), 0o555);
    rmSync(path.join(root, 'notes.txt'));
    mkdirSync(path.join(root, 'notes.txt'));

    const plan = restorePlan(
      target.map((e) => stored(e)),
      scan(root).entries,
    );
    assert.deepEqual(apply(root, { delete: plan.delete, mkdir: plan.mkdir, links: plan.links }), []);
    for (const w of plan.write) writeFileSync(path.join(root, w.p), contents.get(w.p)!);
    assert.deepEqual(apply(root, { files: plan.files, dirs: plan.dirs }), []);

    assert.deepEqual(scan(root).entries, target);
    assert.equal(readFileSync(path.join(root, 'src', 'a.py'), 'utf8'), 'v1');
    assert.equal(readFileSync(path.join(root, 'ro', 'f'), 'utf8'), 'read-only dir');
    chmodSync(path.join(root, 'ro'), 0o755);
  });

  test('apply refuses paths that leave the workspace', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'mlgym-snap-'));
    const outside = mkdtempSync(path.join(tmpdir(), 'mlgym-snap-outside-'));
    writeFileSync(path.join(outside, 'victim'), 'x');
    const rel = path.relative(root, path.join(outside, 'victim'));
    const errors = apply(root, { delete: [rel, '/etc/passwd'], links: [{ p: '../evil', l: '/' }] });
    assert.equal(errors.length, 3);
    assert.equal(readFileSync(path.join(outside, 'victim'), 'utf8'), 'x');
    assert.throws(() => readlinkSync(path.join(root, '..', 'evil')));
  });
});

describe('rebuildProgress (what a resume carries)', () => {
  const put = (store: LocalArtifactStore, key: string, value: unknown) => store.put(key, JSON.stringify(value));

  async function recordEpisode() {
    const store = new LocalArtifactStore(mkdtempSync(path.join(tmpdir(), 'mlgym-resume-')));
    const keys = episodeKeys('ep');
    const usage = (n: number) => ({ inputTokens: n, outputTokens: n / 10 });
    let seq = 0;
    const message = (step: number, kind: string) => put(store, keys.transcriptMessage(seq++), { role: 'user', kind, step, content: `${kind} ${step}` });
    await message(0, 'system');
    await message(0, 'task');
    // Step 1: a command (snapshot taken). Step 2: two malformed replies, then validate (scored).
    // Step 3: a command that changed nothing. Step 4: a command whose snapshot a later step replaced.
    const steps = [
      { formatErrors: 0, exec: { snapshot: { manifestStep: 1 } } },
      { formatErrors: 2, exec: { evaluation: { kind: 'validate', metrics: { Score: -3 } } } },
      { formatErrors: 0, exec: { snapshot: { manifestStep: 1 } } },
      { formatErrors: 0, exec: { snapshot: { manifestStep: 4 } } },
    ];
    for (const [i, s] of steps.entries()) {
      const step = i + 1;
      for (let a = 0; a <= s.formatErrors; a++) {
        await put(store, keys.callRecord(step, a), { kind: a < s.formatErrors ? 'format_error' : 'action', usage: usage(100 * step), costUsd: 0.01 * step });
      }
      const formatErrors = Array.from({ length: s.formatErrors }, (_, a) => ({ replyKey: keys.reply(step, a), error: 'bad' }));
      await put(store, keys.modelCall(step), {
        response: 'r',
        thought: 't',
        action: `action ${step}`,
        usage: usage(100 * step),
        costUsd: 0.01 * step,
        formatErrors,
      });
      await message(step, 'action');
      await put(store, keys.execRecord(step), { observation: 'o', execution_time: 0, state: {}, ...s.exec });
      await message(step, 'observation');
    }
    // Step 5 started (its reply is stored) but never finished.
    await put(store, keys.modelCall(5), { response: 'r', thought: 't', action: 'action 5', formatErrors: [] });
    await message(5, 'action');
    return store;
  }

  test('sums every billed call of steps <= K, counts the calls, keeps evaluations and the snapshot to restore', async () => {
    const store = await recordEpisode();
    const at3 = await rebuildProgress(store, 'ep', 3);
    assert.equal(at3.step, 3);
    assert.equal(at3.transcriptLength, 8);
    assert.equal(at3.modelCalls, 1 + 3 + 1);
    assert.ok(Math.abs(at3.costUsd - (0.01 + 3 * 0.02 + 0.03)) < 1e-12);
    assert.deepEqual(at3.usage, { inputTokens: 100 + 3 * 200 + 300, outputTokens: 10 + 3 * 20 + 30 });
    assert.deepEqual(at3.evaluations, [{ kind: 'validate', step: 2, metrics: { Score: -3 } }]);
    assert.equal(at3.snapshotStep, 1);
    assert.equal(at3.lastAction, 'action 3');

    const at4 = await rebuildProgress(store, 'ep', 4);
    assert.equal(at4.transcriptLength, 10);
    assert.equal(at4.snapshotStep, 4);
    const at0 = await rebuildProgress(store, 'ep', 0);
    assert.deepEqual(
      { step: at0.step, transcriptLength: at0.transcriptLength, modelCalls: at0.modelCalls, snapshotStep: at0.snapshotStep },
      { step: 0, transcriptLength: 2, modelCalls: 0, snapshotStep: undefined },
    );
  });

  test('a step that was not completed is no resume point', async () => {
    const store = await recordEpisode();
    await assert.rejects(rebuildProgress(store, 'ep', 5), (err: Error) => /step 5 has no stored model call and outcome/.test(err.message));
    await assert.rejects(rebuildProgress(store, 'ep', -1), /non-negative integer/);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../scripts/lib/settings';
import { GUESS_TASK } from '../support/episode-harness';

/**
 * Bad input fails before anything starts: one line on stderr, a non-zero exit. TEMPORAL_ADDRESS
 * points at a closed port, so an error about the server would mean the check came too late.
 */
function mlgym(args: string[], env: Record<string, string | undefined> = {}) {
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin/mlgym.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', OPENAI_API_KEY: 'sk-test', ANTHROPIC_API_KEY: 'sk-ant-test', ...env },
    timeout: 60_000,
  });
  return { code: result.status, stderr: result.stderr.trim(), stdout: result.stdout };
}

function assertOneLineError(r: ReturnType<typeof mlgym>, pattern: RegExp) {
  assert.notEqual(r.code, 0);
  assert.equal(r.stderr.split('\n').length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /Temporal server/);
}

test('unknown task', () => {
  assertOneLineError(mlgym(['run', '--task', 'no-such-task', '--model', 'openai:gpt-4o']), /unknown task "no-such-task"/);
});

test('unknown provider', () => {
  assertOneLineError(mlgym(['run', '--task', GUESS_TASK, '--model', 'gemini:pro', '--runtime', 'local']), /unknown model provider "gemini"/);
});

test('missing API key', () => {
  assertOneLineError(mlgym(['run', '--task', GUESS_TASK, '--model', 'openai:gpt-4o', '--runtime', 'local'], { OPENAI_API_KEY: undefined }), /OPENAI_API_KEY/);
  assertOneLineError(
    mlgym(['run', '--task', GUESS_TASK, '--model', 'anthropic:claude-sonnet-4-5', '--runtime', 'local'], { ANTHROPIC_API_KEY: undefined }),
    /ANTHROPIC_API_KEY/,
  );
});

test('unknown model without a price', () => {
  assertOneLineError(mlgym(['run', '--task', GUESS_TASK, '--model', 'openai:my-finetune', '--runtime', 'local']), /no price known/);
});

test('unreadable trajectory for replay', () => {
  assertOneLineError(mlgym(['run', '--task', GUESS_TASK, '--model', 'replay:/nonexistent/x.traj', '--runtime', 'local']), /\/nonexistent\/x\.traj/);
  const dir = mkdtempSync(path.join(tmpdir(), 'mlgym-cli-'));
  writeFileSync(path.join(dir, 'bad.traj'), '{ not json');
  assertOneLineError(mlgym(['run', '--task', GUESS_TASK, '--model', `replay:${dir}/bad.traj`, '--runtime', 'local']), /bad\.traj/);
});

test('Docker unreachable with --runtime docker', () => {
  assertOneLineError(
    mlgym(['run', '--task', GUESS_TASK, '--model', 'openai:gpt-4o', '--runtime', 'docker'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' }),
    /Docker is not reachable/,
  );
});

test('bad flags name the flag', () => {
  assertOneLineError(mlgym(['run', '--task', GUESS_TASK, '--model', 'openai:gpt-4o', '--runtime', 'kubernetes']), /--runtime/);
  assertOneLineError(mlgym(['run', '--task', GUESS_TASK, '--model', 'openai:gpt-4o', '--max-steps', 'many']), /--max-steps/);
});

test('scales: an unknown scale or conditions, and the paper scale without its prepared data, are refused before anything starts', () => {
  const exit2 = (r: ReturnType<typeof mlgym>, pattern: RegExp) => {
    assert.equal(r.code, 2, r.stderr);
    assertOneLineError(r, pattern);
  };
  exit2(mlgym(['run', '--task', GUESS_TASK, '--model', 'openai:gpt-4o', '--scale', 'huge']), /--scale: .*"small"\|"paper"/);
  exit2(mlgym(['run', '--task', GUESS_TASK, '--model', 'openai:gpt-4o', '--conditions', 'lax']), /--conditions: .*"strict"\|"mlgym"/);
  exit2(mlgym(['tasks', 'list', '--scale', 'huge']), /--scale/);
  exit2(mlgym(['tasks', 'baseline', 'blotto', '--scale', 'huge']), /--scale/);
  // An empty data root: no task's paper data is prepared.
  const empty = { MLGYM_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'mlgym-no-data-')) };
  const unprepared =
    /the paper-scale data of task imageClassificationCifar10 is not prepared on this machine .*: run `npx mlgym tasks prepare imageClassificationCifar10 --scale paper` first/;
  exit2(mlgym(['run', '--task', 'imageClassificationCifar10', '--model', 'openai:gpt-4o', '--scale', 'paper', '--runtime', 'local'], empty), unprepared);
  exit2(mlgym(['tasks', 'baseline', 'imageClassificationCifar10', '--scale', 'paper', '--runtime', 'local'], empty), unprepared);
  const dir = mkdtempSync(path.join(tmpdir(), 'mlgym-paper-sweep-'));
  const spec = path.join(dir, 'sweep.yaml');
  writeFileSync(spec, 'name: paper\ntasks: [imageClassificationCifar10]\nmodels: [openai:gpt-4o]\nruntime: local\nscale: paper\n');
  exit2(mlgym(['sweep', 'start', spec], empty), /tasks\.0: the paper-scale data of task imageClassificationCifar10 is not prepared/);
  writeFileSync(spec, 'name: paper\ntasks: [blotto]\nmodels: [openai:gpt-4o]\nscale: large\n');
  const badSpec = mlgym(['sweep', 'start', spec]);
  assert.equal(badSpec.code, 2);
  assert.match(badSpec.stderr, /scale: Invalid option/);
});

test('after the checks pass, an unreachable server is a one-line error too', () => {
  assertOneLineErrorAboutServer(mlgym(['run', '--task', GUESS_TASK, '--model', 'openai:gpt-4o', '--runtime', 'local']));
});

function assertOneLineErrorAboutServer(r: ReturnType<typeof mlgym>) {
  assert.notEqual(r.code, 0);
  const lines = r.stderr.split('\n').filter((l) => !l.startsWith('WARNING'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /cannot reach the Temporal server at 127\.0\.0\.1:1/);
}

test('tasks validate names the bad field; tasks list shows the shipped tasks', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mlgym-task-'));
  const file = path.join(dir, 'task.yaml');
  writeFileSync(file, 'id: broken\nname: Broken\ndescription: x\nmetric: {name: Score, direction: up}\nsubmission_path: a.py\n');
  const bad = mlgym(['tasks', 'validate', file]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /metric\.direction/);
  writeFileSync(file, 'id: broken\nname: Broken\ndescription: x\nmetric: {name: Score, direction: max}\nsubmission_path: a.py\ntraining_timout: 5\n');
  assert.match(mlgym(['tasks', 'validate', file]).stderr, /training_timout/);
  const good = mlgym(['tasks', 'validate', GUESS_TASK]);
  assert.equal(good.code, 0, good.stderr);
  const list = mlgym(['tasks', 'list', '--json']);
  assert.equal(list.code, 0, list.stderr);
  const ids = (JSON.parse(list.stdout) as { tasks: { id: string }[] }).tasks.map((t) => t.id);
  for (const id of ['battleOfSexes', 'blotto', 'prisonersDilemma']) assert.ok(ids.includes(id), ids.join(','));
});

// --- MLGym agent YAMLs: `run --agent-config` and a sweep's `agent_config` ---

const MLGYM_CHECKOUT = path.join(REPO_ROOT, '..', 'shared', 'fixtures', 'mlgym-checkout');

/**
 * A checkout of its own holding MLGym's battleOfSexes task file (loading it writes its import
 * under .mlgym/imported/, so a check that comes too late would show there) and an agent YAML.
 */
function agentCheckout(agentYaml: string) {
  const root = mkdtempSync(path.join(tmpdir(), 'mlgym-agent-cli-'));
  mkdirSync(path.join(root, 'configs', 'tasks'), { recursive: true });
  mkdirSync(path.join(root, 'configs', 'agents'), { recursive: true });
  cpSync(path.join(MLGYM_CHECKOUT, 'configs', 'tasks', 'battleOfSexes.yaml'), path.join(root, 'configs', 'tasks', 'battleOfSexes.yaml'));
  cpSync(path.join(MLGYM_CHECKOUT, 'data', 'battleOfSexes'), path.join(root, 'data', 'battleOfSexes'), { recursive: true });
  const agent = path.join(root, 'configs', 'agents', 'agent.yaml');
  writeFileSync(agent, agentYaml);
  const spec = path.join(root, 'sweep.yaml');
  writeFileSync(
    spec,
    'name: agent-yaml-check\ntasks: [configs/tasks/battleOfSexes.yaml]\nmodels: [openai:gpt-4o]\nruntime: local\nagent_config: configs/agents/agent.yaml\n',
  );
  return { task: path.join(root, 'configs', 'tasks', 'battleOfSexes.yaml'), agent, spec };
}

const importedBattles = () => {
  const dir = path.join(REPO_ROOT, '.mlgym', 'imported');
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((name) => name.startsWith('battleOfSexes-'))
        .sort()
    : [];
};

test('a broken agent YAML: one line naming the file and the field, exit 2, nothing written', () => {
  const mlgymDefault = readFileSync(path.join(MLGYM_CHECKOUT, 'configs', 'agents', 'default.yaml'), 'utf8');
  const broken = agentCheckout(mlgymDefault.replace('TASK DESCRIPTION:\n  {description}', 'TASK DESCRIPTION:\n  {descripton}'));
  const before = importedBattles();
  const run = mlgym(['run', '--task', broken.task, '--model', 'openai:gpt-4o', '--runtime', 'local', '--agent-config', broken.agent]);
  assert.equal(run.code, 2, run.stderr);
  assertOneLineError(run, new RegExp(`^mlgym: ${broken.agent}: task_template: unknown placeholder \\{descripton\\}`));
  const sweep = mlgym(['sweep', 'start', broken.spec]);
  assert.equal(sweep.code, 2, sweep.stderr);
  assertOneLineError(sweep, new RegExp(`^mlgym: ${broken.spec}: agent_config: ${broken.agent}: task_template: unknown placeholder \\{descripton\\}`));
  assert.deepEqual(importedBattles(), before, 'no task was imported');

  const typo = agentCheckout('system_template: [1, 2]\ntask_template: T\n');
  assertOneLineError(
    mlgym(['run', '--task', GUESS_TASK, '--model', 'openai:gpt-4o', '--agent-config', typo.agent]),
    new RegExp(`${typo.agent}: system_template: .*expected string`),
  );
  assertOneLineError(
    mlgym(['run', '--task', GUESS_TASK, '--model', 'openai:gpt-4o', '--agent-config', '/nonexistent/agent.yaml']),
    /\/nonexistent\/agent\.yaml: no such file/,
  );
});

test("MLGym's own default.yaml passes every check of run and sweep start", () => {
  const mlgymDefault = path.join(MLGYM_CHECKOUT, 'configs', 'agents', 'default.yaml');
  const run = mlgym(['run', '--task', GUESS_TASK, '--model', 'openai:gpt-4o', '--runtime', 'local', '--agent-config', mlgymDefault]);
  assert.match(run.stderr, /default\.yaml: not used by this harness: tools\.state_command, tools\.command_files, tools\.parser/);
  assertOneLineErrorAboutServer({
    ...run,
    stderr: run.stderr
      .split('\n')
      .filter((line) => !line.includes('default.yaml: '))
      .join('\n'),
  });
  const spec = path.join(mkdtempSync(path.join(tmpdir(), 'mlgym-agent-cli-')), 'sweep.yaml');
  writeFileSync(spec, `name: agent-yaml-ok\ntasks: [${GUESS_TASK}]\nmodels: [openai:gpt-4o]\nruntime: local\nagent_config: ${mlgymDefault}\n`);
  const sweep = mlgym(['sweep', 'start', spec]);
  assertOneLineErrorAboutServer({
    ...sweep,
    stderr: sweep.stderr
      .split('\n')
      .filter((line) => !line.includes('default.yaml: '))
      .join('\n'),
  });
});

test('MLGym task files that cannot run: one line naming the file and the field, exit 2, nothing imported', () => {
  const tasks = path.join(REPO_ROOT, 'tests/fixtures/mlgym-checkout/configs/tasks');
  const imported = path.join(REPO_ROOT, '.mlgym', 'imported');
  const listing = () => (existsSync(imported) ? readdirSync(imported).sort() : []);
  const before = listing();
  const cases: [string, RegExp][] = [
    ['missingDatasetConfig.yaml', /dataset_configs: datasets\/nowhere\.yaml not found/],
    [
      'missingDataFolder.yaml',
      /dataset_configs: datasets\/missingFolder\.yaml puts the dataset "Missing folder" in .*data\/missingFolder\/data, which does not exist/,
    ],
    ['unknownEntrypoint.yaml', /task_entrypoint: unknown task class "BaseMLTask"/],
  ];
  for (const [name, field] of cases) {
    const file = path.join(tasks, name);
    for (const args of [
      ['tasks', 'validate', file],
      ['run', '--task', file, '--model', 'openai:gpt-4o', '--runtime', 'local'],
    ]) {
      const r = mlgym(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assertOneLineError(r, new RegExp(`^mlgym: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ${field.source}`));
    }
  }
  // Hints name only tasks we ship: there is no task "missingDataFolder" to run instead.
  assert.doesNotMatch(mlgym(['tasks', 'validate', path.join(tasks, 'missingDataFolder.yaml')]).stderr, /--task/);
  assert.deepEqual(listing(), before);
});

test('mlgym ui: a bind beyond loopback without a token, a short token, a missing MLGym folder, export without --out: one line each, exit 2', () => {
  for (const [args, pattern] of [
    [['ui', '--host', '0.0.0.0'], /--host 0\.0\.0\.0 opens the viewer beyond this machine: set a token/],
    [['ui', '--host', '0.0.0.0', '--token', 'short'], /--token: a token needs at least 16 characters/],
    [['ui', '--mlgym-dir', '/nonexistent/runs'], /--mlgym-dir: \/nonexistent\/runs is not a folder/],
    [['ui', 'export', 'some-sweep'], /usage: mlgym ui export <sweepId> --out DIR/],
    [['ui', '--port', '70000'], /--port/],
  ] as const) {
    const r = mlgym([...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assertOneLineError(r, pattern);
  }
  // Past its checks, the export needs Temporal: one line saying where it is not.
  assertOneLineErrorAboutServer(mlgym(['ui', 'export', 'some-sweep', '--out', mkdtempSync(path.join(tmpdir(), 'mlgym-ui-out-'))]));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
  assertOneLineError(mlgym(['run', '--task', GUESS_TASK, '--model', 'anthropic:claude-sonnet-4-5', '--runtime', 'local'], { ANTHROPIC_API_KEY: undefined }), /ANTHROPIC_API_KEY/);
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

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(__dirname, '..', '..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as `npx mlgym` runs it, pointed at a server and a Docker that do not exist: help must not need them. */
function mlgym(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs at most `limit` at a time: two cores. */
async function pooled<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]);
      }
    }),
  );
  return results;
}

/** Every command and subcommand, the text its help must name, and one of its real flags (or, flagless, a word of its usage). */
const CASES: [args: string[], name: string, flag: string][] = [
  [['server'], 'mlgym server', '--ui-port'],
  [['server', 'stop'], 'mlgym server stop', '.mlgym/temporal.pid'],
  [['worker'], 'mlgym worker', 'TEMPORAL_ADDRESS'],
  [['run'], 'mlgym run', '--max-steps'],
  [['episode'], 'mlgym episode', '--from-step'],
  [['episode', 'status'], 'mlgym episode status', '--json'],
  [['episode', 'pause'], 'mlgym episode pause', '<episodeId>'],
  [['episode', 'resume'], 'mlgym episode resume', '--from-step'],
  [['episode', 'cancel'], 'mlgym episode cancel', '--reason'],
  [['sweep'], 'mlgym sweep', '--out'],
  [['sweep', 'start'], 'mlgym sweep start', '--wait'],
  [['sweep', 'status'], 'mlgym sweep status', '--json'],
  [['sweep', 'retry'], 'mlgym sweep retry', '--wait'],
  [['sweep', 'report'], 'mlgym sweep report', '--out'],
  [['tasks'], 'mlgym tasks', '--small'],
  [['tasks', 'list'], 'mlgym tasks list', '--json'],
  [['tasks', 'validate'], 'mlgym tasks validate', '<path/to/task.yaml>'],
  [['tasks', 'prepare'], 'mlgym tasks prepare', '--source'],
  [['sandbox'], 'mlgym sandbox reap', '--local-only'],
  [['sandbox', 'reap'], 'mlgym sandbox reap', '--local-only'],
  [['aup'], 'mlgym aup', '--lower-is-better'],
  [['export'], 'mlgym export mlgym', '--run-index'],
  [['export', 'mlgym'], 'mlgym export mlgym', '--run-index'],
];

void test('every command and subcommand answers --help and -h on stderr with exit code 0, and does nothing else', async () => {
  const calls = CASES.map(([args, name, flag]) => ({ argv: [...args, '--help'], name, flag }));
  // -h is the same mechanism: once per command.
  for (const [args, name, flag] of CASES) if (args.length === 1) calls.push({ argv: [...args, '-h'], name, flag });
  // Help with positionals and flags around it is still help, and starts nothing.
  calls.push({ argv: ['run', '--task', 'no-such-task', '--help'], name: 'mlgym run', flag: '--cost-limit' });
  calls.push({ argv: ['episode', 'resume', 'some-episode', '--wait', '-h'], name: 'mlgym episode resume', flag: '--from-step' });
  calls.push({ argv: ['help', 'sweep', 'report'], name: 'mlgym sweep report', flag: '--out' });
  const runs = await pooled(calls, 4, (call) => mlgym(call.argv));
  calls.forEach(({ argv, name, flag }, i) => {
    const { code, stdout, stderr } = runs[i];
    const what = `mlgym ${argv.join(' ')}: ${stderr}`;
    assert.equal(code, 0, what);
    assert.equal(stdout, '', `${what}: help goes to stderr`);
    assert.match(stderr, /^usage: mlgym /, what);
    assert.ok(stderr.includes(name), `${what}: names ${name}`);
    assert.ok(stderr.includes(flag), `${what}: lists ${flag}`);
    assert.match(stderr, /-h, --help/, what);
  });
});

void test('mlgym --help lists every command and subcommand, server stop included; mistakes still exit 2', async () => {
  const [help, short, bare, unknownFlag, unknownCommand, stopExtra] = await Promise.all([
    mlgym(['--help']),
    mlgym(['-h']),
    mlgym([]),
    mlgym(['run', '--no-such-flag']),
    mlgym(['no-such-command', '--help']),
    mlgym(['server', 'stop', '--port', '7233']),
  ]);
  assert.equal(help.code, 0, help.stderr);
  assert.equal(short.stderr, help.stderr);
  for (const [args, name] of CASES) if (args.length === 2) assert.ok(help.stderr.includes(name), `mlgym --help lists ${name}`);
  for (const line of ['mlgym server [--port P]', 'mlgym worker', 'mlgym run --task', 'mlgym aup --best']) assert.ok(help.stderr.includes(line), line);
  assert.equal(bare.code, 2, 'no command: the help, and a usage exit code');
  assert.equal(bare.stderr, help.stderr);

  assert.equal(unknownFlag.code, 2, unknownFlag.stderr);
  assert.match(unknownFlag.stderr, /Unknown option '--no-such-flag'/);
  assert.equal(unknownCommand.code, 2, unknownCommand.stderr);
  assert.match(unknownCommand.stderr, /unknown command "no-such-command"/);
  assert.equal(stopExtra.code, 2, stopExtra.stderr);
  assert.match(stopExtra.stderr, /usage: mlgym server stop/);
});

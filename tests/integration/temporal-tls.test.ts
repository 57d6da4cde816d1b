import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { GUESS_TASK, reply } from '../support/episode-harness';
import { makeTestCertificates } from '../support/certificates';
import { runMlgymCli, startWorkerProcess, type WorkerProcess } from '../support/processes';
import { startTemporal } from '../support/temporal';

/**
 * The CLI and the worker reach Temporal through its standard environment configuration, over TLS:
 * the dev server has no TLS of its own, so a TLS terminator (Node's tls, HTTP/2 by ALPN) stands in
 * front of it with a certificate from a CA made here. The worker reads a temporal.toml profile, the
 * CLI the TEMPORAL_* variables.
 */
let env: TestWorkflowEnvironment;
let proxy: tls.Server;
let proxyAddress: string;
let handshakes = 0;
let certs: ReturnType<typeof makeTestCertificates>;
let worker: WorkerProcess | undefined;
const dir = mkdtempSync(path.join(tmpdir(), 'mlgym-tls-'));
const taskQueue = `tls-${process.pid}`;
const file = (name: string) => path.join(dir, name);
const traj = file('submit.traj');

before(async () => {
  certs = makeTestCertificates(dir);
  writeFileSync(traj, JSON.stringify({ trajectory: [{ response: reply('submit') }] }));
  env = await startTemporal();
  const [host, port] = env.address.split(':');
  proxy = tls.createServer({ key: readFileSync(certs.serverKey), cert: readFileSync(certs.serverCert), ALPNProtocols: ['h2'] }, (secure) => {
    handshakes++;
    const plain = net.connect(Number(port), host);
    secure.pipe(plain).pipe(secure);
    const close = () => (secure.destroy(), plain.destroy());
    secure.on('error', close);
    plain.on('error', close);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyAddress = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
  writeFileSync(
    file('temporal.toml'),
    [
      '[profile.fleet]',
      `address = "${proxyAddress}"`,
      'namespace = "default"',
      '[profile.fleet.tls]',
      `server_ca_cert_path = "${certs.ca}"`,
      'server_name = "localhost"',
      '',
    ].join('\n'),
  );
});

after(async () => {
  await worker?.kill('SIGTERM');
  proxy?.close();
  await env?.teardown();
});

/** The CLI's environment for TLS by variables (nothing of the test's own Temporal settings leaks in). */
const tlsVars = (ca = certs.ca) => ({
  TEMPORAL_ADDRESS: proxyAddress,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca,
  TEMPORAL_TLS_SERVER_NAME: 'localhost',
  MLGYM_TASK_QUEUE: taskQueue,
});

test('a worker on a temporal.toml profile and the CLI on TEMPORAL_* variables run an episode over TLS', async () => {
  worker = await startWorkerProcess(
    { TEMPORAL_CONFIG_FILE: file('temporal.toml'), TEMPORAL_PROFILE: 'fleet', MLGYM_TASK_QUEUE: taskQueue },
    file('worker.log'),
  );
  const before = handshakes;
  const run = await runMlgymCli(['run', '--task', GUESS_TASK, '--model', `replay:${traj}`, '--runtime', 'local', '--wait', '--json'], tlsVars());
  assert.equal(run.code, 0, run.stderr);
  const [episode] = (JSON.parse(run.stdout) as { episodes: { exitStatus: string }[] }).episodes;
  assert.equal(episode.exitStatus, 'submitted');
  assert.ok(handshakes > before, 'the CLI connected through the TLS terminator');
  assert.ok(before >= 2, 'the worker connected through the TLS terminator (worker and client connections)');
});

test('wrong TLS settings, an unreadable certificate, a bad profile file: one clear line each, nothing started', async () => {
  const list = async () => (await env.client.workflow.count(`TaskQueue = "${taskQueue}"`)).count;
  const started = await list();
  const oneLine = (r: { code: number | null; stderr: string }, pattern: RegExp) => {
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr.trim(), pattern);
  };
  const args = ['episode', 'status', 'no-such-episode'];
  oneLine(
    await runMlgymCli(args, tlsVars(certs.otherCa)),
    /^mlgym: cannot connect to the Temporal server at 127\.0\.0\.1:\d+ \(TLS\) \(.*\): check the address and the TEMPORAL_TLS_\* \/ TEMPORAL_API_KEY settings or profile$/,
  );
  oneLine(await runMlgymCli(args, tlsVars(file('missing-ca.pem'))), /^mlgym: cannot read the Temporal connection settings .*missing-ca\.pem/);
  writeFileSync(file('broken.toml'), '[profile.fleet\naddress = ');
  oneLine(await runMlgymCli(args, { ...tlsVars(), TEMPORAL_CONFIG_FILE: file('broken.toml') }), /^mlgym: cannot read the Temporal connection settings/);
  oneLine(
    await runMlgymCli(['worker'], {
      TEMPORAL_CONFIG_FILE: file('temporal.toml'),
      TEMPORAL_PROFILE: 'fleet',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.otherCa,
    }),
    /^mlgym: cannot connect to the Temporal server at .* \(TLS\)/,
  );
  assert.equal(await list(), started, 'nothing was started');
});

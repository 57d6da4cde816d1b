import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { REPO_ROOT } from '../../scripts/lib/settings';
import { ensureSearchAttributes } from '../../workers/search-attributes';
import { makeTestCertificates } from './certificates';
import { freePort } from './processes';

/**
 * A production-shaped Temporal service for tests: the official server (built from its pinned Go
 * module by scripts/provision/temporal-server.sh) on a private PostgreSQL cluster, its frontend
 * serving TLS with a certificate from a CA made here. The `default` namespace and our search
 * attributes are registered as an operator would.
 */
export interface ProductionTemporal {
  /** host:port of the frontend (TLS). */
  address: string;
  /** The CA that signed the frontend's certificate (TEMPORAL_TLS_SERVER_CA_CERT_PATH). */
  caFile: string;
  /** An unrelated CA: a client trusting only it must fail. */
  otherCaFile: string;
  /** TEMPORAL_* variables that reach this server. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

function pgBin(name: string): string {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  return path.join('/usr/lib/postgresql', versions[0], 'bin', name);
}

/** PostgreSQL refuses to run as root: the cluster belongs to the postgres user Debian's package made. */
function asPostgres(command: string, args: string[]): void {
  const root = process.getuid?.() === 0;
  execFileSync(root ? 'runuser' : command, root ? ['-u', 'postgres', '--', command, ...args] : args, { stdio: 'pipe' });
}

/** Free ports below 32768: the server records membership ports in a smallint column. */
async function membershipPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (ports.includes(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) ports.push(port);
  }
  return ports;
}

export async function startProductionTemporal(logFile: string): Promise<ProductionTemporal> {
  const provision = spawnSync('bash', [path.join(REPO_ROOT, 'scripts/provision/temporal-server.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (provision.status !== 0) throw new Error('scripts/provision/temporal-server.sh failed');
  const home = provision.stdout.trim().split('\n').pop()!;
  const dir = mkdtempSync(path.join(tmpdir(), 'mlgym-temporal-pg-'));
  // The postgres user must reach its data folder inside.
  chmodSync(dir, 0o755);
  const certs = makeTestCertificates(dir);

  // A private cluster on a free port, trusting local connections, gone with the test.
  const pgData = path.join(dir, 'pg');
  mkdirSync(pgData);
  if (process.getuid?.() === 0)
    chownSync(pgData, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
  const pgPort = await freePort();
  asPostgres(pgBin('initdb'), ['-D', pgData, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
  asPostgres(pgBin('pg_ctl'), ['-D', pgData, '-w', '-l', path.join(pgData, 'log'), '-o', `-p ${pgPort} -k ${pgData} -c listen_addresses=127.0.0.1`, 'start']);
  const stopPostgres = () => asPostgres(pgBin('pg_ctl'), ['-D', pgData, '-m', 'fast', 'stop']);

  try {
    const sqlTool = (db: string, ...args: string[]) =>
      execFileSync(
        path.join(home, 'bin/temporal-sql-tool'),
        ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', String(pgPort), '-u', 'postgres', '--db', db, ...args],
        { stdio: 'pipe' },
      );
    for (const [db, schema] of [
      ['temporal', 'temporal'],
      ['temporal_visibility', 'visibility'],
    ]) {
      sqlTool(db, 'create');
      sqlTool(db, 'setup-schema', '-v', '0.0');
      sqlTool(db, 'update-schema', '-d', path.join(home, 'schema/postgresql/v12', schema, 'versioned'));
    }

    const [frontend, frontendHttp, history, matching, worker] = await Promise.all(Array.from({ length: 5 }, () => freePort()));
    const membership = await membershipPorts(4);
    const address = `127.0.0.1:${frontend}`;
    const caFile = certs.ca;
    const store = (db: string, conns: number) => ({
      sql: {
        pluginName: 'postgres12',
        databaseName: db,
        connectAddr: `127.0.0.1:${pgPort}`,
        connectProtocol: 'tcp',
        user: 'postgres',
        password: '',
        maxConns: conns,
        maxIdleConns: conns,
        maxConnLifetime: '1h',
      },
    });
    const service = (grpcPort: number, membershipPort: number, extra: object = {}) => ({ rpc: { grpcPort, membershipPort, bindOnIP: '127.0.0.1', ...extra } });
    const client = { serverName: 'localhost', rootCaFiles: [caFile] };
    const config = {
      log: { stdout: true, level: 'warn' },
      persistence: {
        defaultStore: 'pg-default',
        visibilityStore: 'pg-visibility',
        numHistoryShards: 4,
        datastores: { 'pg-default': store('temporal', 20), 'pg-visibility': store('temporal_visibility', 4) },
      },
      global: {
        membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
        tls: {
          frontend: { server: { certFile: certs.serverCert, keyFile: certs.serverKey }, client },
          systemWorker: { client },
        },
      },
      services: {
        frontend: service(frontend, membership[0], { httpPort: frontendHttp }),
        history: service(history, membership[1]),
        matching: service(matching, membership[2]),
        worker: service(worker, membership[3]),
      },
      clusterMetadata: {
        enableGlobalNamespace: false,
        failoverVersionIncrement: 10,
        masterClusterName: 'active',
        currentClusterName: 'active',
        clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: address } },
      },
      dcRedirectionPolicy: { policy: 'noop' },
    };
    // YAML is a superset of JSON: the server reads this as its config file.
    const configFile = path.join(dir, 'temporal-server.yaml');
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    const log = createWriteStream(logFile, { flags: 'a' });
    const server: ChildProcess = spawn(path.join(home, 'bin/temporal-server'), ['--config-file', configFile, '--allow-no-auth', 'start'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.pipe(log);
    server.stderr!.pipe(log);
    const stopServer = async () => {
      if (server.exitCode !== null || server.signalCode !== null) return;
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await Promise.race([exited, sleep(20_000).then(() => server.kill('SIGKILL'))]);
    };

    try {
      const tls = { serverNameOverride: 'localhost', serverRootCACertificate: readFileSync(caFile) };
      let connection: Connection | undefined;
      for (let i = 0; !connection; i++) {
        try {
          connection = await Connection.connect({ address, tls, connectTimeout: '2s' });
        } catch (err) {
          if (i >= 90 || server.exitCode !== null) throw new Error(`the Temporal server did not come up on ${address}; see ${logFile}`, { cause: err });
          await sleep(1000);
        }
      }
      try {
        await connection.workflowService.registerNamespace({ namespace: 'default', workflowExecutionRetentionPeriod: msToTs('1 day') });
        // The namespace reaches every service's cache within seconds.
        for (let i = 0; ; i++) {
          try {
            await connection.workflowService.describeNamespace({ namespace: 'default' });
            await ensureSearchAttributes({ address, tls }, 'default');
            break;
          } catch (err) {
            if (i >= 60) throw err;
            await sleep(1000);
          }
        }
      } finally {
        await connection.close();
      }
    } catch (err) {
      await stopServer();
      throw err;
    }
    return {
      address,
      caFile,
      otherCaFile: certs.otherCa,
      env: { TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: 'default', TEMPORAL_TLS_SERVER_CA_CERT_PATH: caFile, TEMPORAL_TLS_SERVER_NAME: 'localhost' },
      async stop() {
        await stopServer();
        stopPostgres();
      },
    };
  } catch (err) {
    stopPostgres();
    throw err;
  }
}

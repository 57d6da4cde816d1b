import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';

/**
 * A second Docker engine on this machine, standing for a second host: its own socket, data root,
 * exec root, pid file, containerd namespace and bridge (no iptables rules, so it never touches the
 * first engine's). Images come from the first engine through `docker save | docker load`.
 */
export interface SecondDocker {
  endpoint: string;
  docker: Docker;
  start(): Promise<void>;
  /** Stops the engine (SIGTERM: dockerd stops its containers first, as a host going down would). */
  stop(): Promise<void>;
}

const BRIDGE_CIDR = '172.31.250.1/24';

export function secondDocker(name: string, logFile: string): SecondDocker {
  const socket = `/run/mlgym-dockerd-${name}.sock`;
  const bridge = `mlgym${name}0`;
  const endpoint = `unix://${socket}`;
  const docker = new Docker({ socketPath: socket });
  let child: ChildProcess | undefined;
  return {
    endpoint,
    docker,
    async start() {
      if (spawnSync('ip', ['link', 'show', bridge]).status !== 0) {
        run('ip', ['link', 'add', bridge, 'type', 'bridge']);
        run('ip', ['addr', 'add', BRIDGE_CIDR, 'dev', bridge]);
      }
      run('ip', ['link', 'set', bridge, 'up']);
      mkdirSync(`/var/lib/mlgym-dockerd-${name}`, { recursive: true });
      const log = createWriteStream(logFile, { flags: 'a' });
      child = spawn(
        'dockerd',
        [
          `--host=${endpoint}`,
          `--data-root=/var/lib/mlgym-dockerd-${name}`,
          `--exec-root=/run/mlgym-dockerd-${name}`,
          `--pidfile=/run/mlgym-dockerd-${name}.pid`,
          `--containerd-namespace=mlgym-${name}`,
          `--containerd-plugins-namespace=mlgym-${name}-plugins`,
          `--bridge=${bridge}`,
          '--iptables=false',
          '--ip-masq=false',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout!.pipe(log);
      child.stderr!.pipe(log);
      for (let i = 0; i < 120; i++) {
        if (child.exitCode !== null) throw new Error(`the second dockerd exited (${child.exitCode}); see ${logFile}`);
        try {
          await docker.ping();
          return;
        } catch {
          await sleep(500);
        }
      }
      throw new Error(`the second dockerd did not answer on ${endpoint}; see ${logFile}`);
    },
    async stop() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Copies an image of the first engine into `target` (skipped when it already has that image id). */
export async function copyImage(image: string, target: SecondDocker): Promise<void> {
  const id = (await new Docker().getImage(image).inspect()).Id;
  const existing = await target.docker
    .getImage(image)
    .inspect()
    .catch(() => undefined);
  if (existing?.Id === id) return;
  const copy = spawnSync('bash', ['-o', 'pipefail', '-c', `docker save "$0" | docker -H "$1" load -q`, image, target.endpoint], { encoding: 'utf8' });
  if (copy.status !== 0) throw new Error(`copying ${image} to ${target.endpoint} failed: ${copy.stderr.trim()}`);
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr.trim()}`);
}

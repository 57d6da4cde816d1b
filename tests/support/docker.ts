import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Docker from 'dockerode';
import { LABELS } from '../../activities/sandbox/container-config';
import { releaseDisk } from '../../activities/sandbox/disk';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

export type DockerAvailability = { ok: true } | { ok: false; reason: string };

let provisioned: DockerAvailability | undefined;

/**
 * Starts the Docker engine and builds the task image when needed (the same provisioning scripts a
 * user runs). Without Docker the tests skip with the reason, except under CI=true, where a missing
 * engine is a failure: CI must never report a green run that tested nothing.
 */
export function ensureDocker(): DockerAvailability {
  provisioned ??= provision();
  if (!provisioned.ok && process.env.CI === 'true') {
    throw new Error(`Docker is required when CI=true: ${provisioned.reason}`);
  }
  return provisioned;
}

function provision(): DockerAvailability {
  for (const script of ['docker.sh', 'images.sh']) {
    const run = spawnSync('bash', [path.join(REPO_ROOT, 'scripts', 'provision', script)], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: 15 * 60_000,
    });
    if (run.status !== 0) return { ok: false, reason: `scripts/provision/${script} failed (${run.error?.message ?? `exit ${run.status}`})` };
  }
  return { ok: true };
}

/**
 * Force-removes every container carrying the label, and their disks (tests clean up after
 * themselves, even on failure).
 */
export async function removeLabelled(label: string): Promise<void> {
  const docker = new Docker();
  const found = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(
    found.map(async (c) => {
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
      const disk = c.Labels[LABELS.disk];
      if (disk) await releaseDisk(disk);
    }),
  );
}

/** The host's address on Docker's default bridge: a sandbox without network must not reach it. */
export async function bridgeGateway(): Promise<string> {
  const info = await new Docker().getNetwork('bridge').inspect();
  return (info as { IPAM?: { Config?: { Gateway?: string }[] } }).IPAM?.Config?.[0]?.Gateway ?? '172.17.0.1';
}

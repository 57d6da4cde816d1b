import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MlgymFileProblem } from '../../lib/mlgym-task-file';
import { canonicalName, parentImageFor, parseRequirements, requirementsToInstall } from '../../lib/mlgym-requirements';
import { contentHash } from './content-hash';
import { docker, imageId, lastLines, runOffline } from './docker-cli';
import { say } from './output';
import { REPO_ROOT, STATE_DIR } from './settings';

/**
 * The image of an MLGym task file with `use_generic_conda: false`: its requirements_path installed
 * on top of our closest image (docker/mlgym-requirements). Built once: the tag is a hash of the
 * parent image, the lines installed and the Dockerfile, so a present tag is up to date.
 */

const CONTEXT = path.join(REPO_ROOT, 'docker', 'mlgym-requirements');
/** Extra CA certificates of the build machine (TLS-intercepting proxies), as images.sh stages them. */
const EXTRA_CA_DIR = '/usr/local/share/ca-certificates';

export function ensureRequirementsImage(requirementsFile: string): string {
  const requirements = parseRequirements(readFileSync(requirementsFile, 'utf8'));
  const parent = parentImageFor(requirements);
  const parentId = imageId(parent);
  if (!parentId) {
    throw new MlgymFileProblem(
      'requirements_path',
      `${requirementsFile} installs on top of ${parent}, which is not present: build it with \`bash scripts/provision/images.sh\` (Docker must be running)`,
    );
  }
  const lines = requirementsToInstall(requirements, installedDistributions(parentId), hasGpus());
  const dockerfile = readFileSync(path.join(CONTEXT, 'Dockerfile'), 'utf8');
  const hash = contentHash([parentId, ...lines, dockerfile]);
  const tag = `mlgym/mlgym-requirements:${hash}`;
  if (imageId(tag)) return tag;

  const log = path.join(STATE_DIR, 'logs', `image-mlgym-requirements-${hash}.log`);
  mkdirSync(path.dirname(log), { recursive: true });
  say(`building ${tag}: ${requirementsFile} on ${parent} (${lines.length ? lines.join(', ') : 'nothing to add'}; log: ${log})`);
  // The build context is staged, so the certificates never land in the repository's docker/.
  mkdirSync(path.join(STATE_DIR, 'staging'), { recursive: true });
  const context = mkdtempSync(path.join(STATE_DIR, 'staging', `context-${hash}-`));
  try {
    copyFileSync(path.join(CONTEXT, 'Dockerfile'), path.join(context, 'Dockerfile'));
    writeFileSync(path.join(context, 'requirements.txt'), lines.map((l) => `${l}\n`).join(''));
    mkdirSync(path.join(context, '.extra-ca'));
    if (existsSync(EXTRA_CA_DIR)) {
      for (const cert of readdirSync(EXTRA_CA_DIR).filter((n) => n.endsWith('.crt')))
        copyFileSync(path.join(EXTRA_CA_DIR, cert), path.join(context, '.extra-ca', cert));
    }
    const build = docker(['build', '--build-arg', `PARENT_IMAGE=${parent}`, '-t', tag, context]);
    writeFileSync(log, `${build.stdout}\n${build.stderr}`);
    if (build.status !== 0) {
      throw new MlgymFileProblem('requirements_path', `installing ${requirementsFile} on ${parent} failed (log: ${log}): ${lastLines(build, 1)}`);
    }
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  return tag;
}

/** Installed distributions of an image, by normalised name, with their versions. */
function installedDistributions(image: string): Record<string, string> {
  const script = 'import importlib.metadata as m, json; print(json.dumps({d.metadata["Name"]: d.version for d in m.distributions()}))';
  const run = runOffline({ image, binds: [], workdir: '/tmp', command: ['python3', '-c', script] });
  if (run.status !== 0) throw new MlgymFileProblem('requirements_path', `cannot list the packages of ${image}: ${lastLines(run)}`);
  const found = JSON.parse(run.stdout) as Record<string, string>;
  return Object.fromEntries(Object.entries(found).map(([name, version]) => [canonicalName(name), version]));
}

/** CUDA extras are kept only where there are GPUs to use them. */
function hasGpus(): boolean {
  const probe = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' });
  return probe.status === 0 && /GPU \d/.test(probe.stdout);
}

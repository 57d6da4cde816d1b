/**
 * The packages an MLGym task's requirements file adds to one of our images. MLGym installs the
 * file into a fresh conda environment; we install it on top of the closest image we build (JAX's
 * for gymnax tasks, the generic ML one otherwise), keeping every package that image already has,
 * so its CPU builds and pinned versions stay consistent.
 */

export interface Requirement {
  /** The line as written (without comment). */
  line: string;
  /** Normalised distribution name (PEP 503). */
  name: string;
  extras: string[];
  /** Version specifiers and markers, as written. */
  rest: string;
}

export const canonicalName = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');

const REQUIREMENT = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?\s*(.*)$/;

/** Requirement lines; pip options (-r, --index-url) and URLs are kept as written, with no name. */
export function parseRequirements(text: string): Requirement[] {
  return text
    .split('\n')
    .map((raw) => raw.replace(/(^|\s)#.*$/, '').trim())
    .filter(Boolean)
    .map((line) => {
      const match = REQUIREMENT.exec(line);
      if (!match || line.startsWith('-') || line.includes('://')) return { line, name: '', extras: [], rest: '' };
      const extras = (match[2] ?? '')
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean);
      return { line, name: canonicalName(match[1]), extras, rest: match[3].trim() };
    });
}

const JAX_FAMILY = new Set(['jax', 'jaxlib', 'gymnax', 'flax', 'optax', 'chex']);

/** Our image closest to the requirements: the RL image for JAX code, else the generic ML one. */
export function parentImageFor(requirements: Requirement[]): 'mlgym/task-rl:latest' | 'mlgym/task-ml:latest' {
  return requirements.some((r) => JAX_FAMILY.has(r.name)) ? 'mlgym/task-rl:latest' : 'mlgym/task-ml:latest';
}

const isGpuExtra = (extra: string) => /^(cuda|cudnn|gpu|tpu|rocm)/i.test(extra);

/**
 * The lines to `pip install -r` on top of an image holding `installed` (name -> version):
 * packages it has are skipped (their GPU extras, on a GPU machine, are added at its version);
 * GPU extras of new packages are dropped on machines without GPUs (jax[cuda12] -> jax).
 */
export function requirementsToInstall(requirements: Requirement[], installed: Record<string, string>, gpus: boolean): string[] {
  const lines: string[] = [];
  for (const req of requirements) {
    if (!req.name) {
      lines.push(req.line);
      continue;
    }
    const gpuExtras = req.extras.filter(isGpuExtra);
    const extras = gpus ? req.extras : req.extras.filter((e) => !isGpuExtra(e));
    const version = installed[req.name];
    if (version !== undefined) {
      if (gpus && gpuExtras.length) lines.push(`${req.name}[${gpuExtras.join(',')}]==${version}`);
      continue;
    }
    lines.push(`${req.name}${extras.length ? `[${extras.join(',')}]` : ''}${req.rest ? ` ${req.rest}` : ''}`);
  }
  return lines;
}

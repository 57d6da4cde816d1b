import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../lib/search-attributes';
import { REPO_ROOT, STATE_DIR, TEMPORAL_BIN } from '../lib/settings';
import { say, UsageError } from '../lib/output';

/**
 * `mlgym server`: the Temporal dev server with SQLite state under .mlgym/ (so episodes survive a
 * restart), the web UI, and our search attributes registered.
 */
export async function serverCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { port: { type: 'string', default: '7233' }, 'ui-port': { type: 'string', default: '8233' } } });
  const install = spawnSync('bash', [path.join(REPO_ROOT, 'scripts/provision/temporal.sh')], { stdio: 'inherit' });
  if (install.status !== 0) throw new UsageError('could not install the temporal binary (see the messages above)');
  mkdirSync(STATE_DIR, { recursive: true });
  const args = [
    'server', 'start-dev',
    '--db-filename', path.join(STATE_DIR, 'temporal.db'),
    '--port', values.port!,
    '--ui-port', values['ui-port']!,
    '--log-level', 'warn',
    ...SEARCH_ATTRIBUTE_FLAGS.flatMap((flag) => ['--search-attribute', flag]),
  ];
  say(`Temporal dev server on localhost:${values.port}, UI on http://localhost:${values['ui-port']} (state: ${path.join(STATE_DIR, 'temporal.db')})`);
  const child = spawn(TEMPORAL_BIN, args, { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

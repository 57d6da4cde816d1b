import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SA } from '../../lib/search-attributes';
import { REPO_ROOT, TEMPORAL_BIN } from '../../scripts/lib/settings';

/**
 * A real Temporal dev server (the pinned official `temporal` binary) on a random port, with our
 * search attributes registered. Installs the binary first when it is missing.
 */
export async function startTemporal(): Promise<TestWorkflowEnvironment> {
  const install = spawnSync('bash', [path.join(REPO_ROOT, 'scripts/provision/temporal.sh')], { stdio: 'inherit' });
  if (install.status !== 0) throw new Error('could not install the temporal binary');
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: TEMPORAL_BIN },
      searchAttributes: Object.values(SA),
      log: { format: 'pretty', level: 'error' },
    },
  });
}

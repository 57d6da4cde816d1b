import { parseArgs } from 'node:util';
import { reapSandboxes } from '../../activities/sandbox/reaper';
import { withClient } from '../lib/temporal-client';
import { usage } from '../lib/help';
import { printJson, say, UsageError } from '../lib/output';

/** `mlgym sandbox reap`: removes every sandbox (container or local directory) of a closed episode. */
export async function sandboxCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, 'local-only': { type: 'boolean' } } });
  if (positionals.join(' ') !== 'reap') throw new UsageError(usage('sandbox', 'reap'));
  return withClient(async (client) => {
    const report = await reapSandboxes(client, { docker: !values['local-only'] });
    if (values.json) printJson(report);
    else
      say(`removed ${report.removedContainers.length} container(s) and ${report.removedLocalSandboxes.length} local sandbox(es); ${report.kept} still in use`);
    return 0;
  });
}

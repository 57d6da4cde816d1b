import path from 'node:path';
import { parseArgs } from 'node:util';
import { artifactStoreFromEnv, ArtifactStoreConfigError } from '../../activities/artifacts';
import { exportMlgym } from '../lib/mlgym-export';
import { usage } from '../lib/help';
import { printJson, say, UsageError } from '../lib/output';
import { withClient } from '../lib/temporal-client';

/** `mlgym export mlgym <id> --out DIR`: finished episodes in MLGym's layout (see scripts/lib/mlgym-layout.ts; --help in scripts/lib/help.ts). */
export async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { out: { type: 'string' }, 'run-index': { type: 'string' }, json: { type: 'boolean' } },
  });
  const [format, id] = positionals;
  if (format !== 'mlgym' || !id || positionals.length > 2) throw new UsageError(usage('export', 'mlgym'));
  if (!values.out) throw new UsageError(`--out DIR is required; ${usage('export', 'mlgym')}`);
  const runFlag = values['run-index'];
  if (runFlag !== undefined && !/^\d+$/.test(runFlag)) throw new UsageError(`--run-index must be a run number (0, 1, ...), not "${runFlag}"`);

  let store;
  try {
    store = artifactStoreFromEnv();
  } catch (err) {
    if (err instanceof ArtifactStoreConfigError) throw new UsageError(err.message);
    throw err;
  }
  const out = path.resolve(values.out);
  return withClient(async (client) => {
    const outcome = await exportMlgym(client, store, id, out, { ...(runFlag !== undefined && { runIndex: Number(runFlag) }) });
    for (const run of outcome.folders) say(`${run.episodeId} -> ${run.folder}`);
    for (const skipped of outcome.skipped) say(`skipped ${skipped.id}: ${skipped.reason}`);
    say(
      `${outcome.workflowId}: ${outcome.folders.length} run(s) exported to ${outcome.out}${outcome.skipped.length ? `, ${outcome.skipped.length} skipped` : ''}`,
    );
    if (values.json) printJson(outcome);
    // Unfinished cells are expected; a finished episode that could not be exported is a failure.
    return outcome.skipped.some((s) => s.state === 'completed') ? 1 : 0;
  });
}

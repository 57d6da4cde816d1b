import path from 'node:path';
import { parseArgs } from 'node:util';
import { artifactStoreFromEnv, ArtifactStoreConfigError } from '../../activities/artifacts';
import { exportMlgym } from '../lib/mlgym-export';
import { printJson, say, UsageError } from '../lib/output';
import { connectClient } from '../lib/temporal-client';

const USAGE = 'usage: mlgym export mlgym <episodeId|sweepId> --out DIR [--run-index N] [--json]';

const HELP = `${USAGE}

Writes finished episodes in MLGym's folder layout and file names, so that MLGym's analysis code
(mlgym/evaluation/utils.py process_trajectories, scripts/evaluation/process_results.py) and its
trajectory visualiser read them:

  DIR/<model>__<task>__<config>__t-<temperature>__p-<top_p>__c-<cost limit>__install-0__parallel_agents_run_<i>/
      <task>.traj    the trajectory (steps, history with thought and action, info.model_stats)
      results.json   {"agent": [every test-split score in order], "baseline": {...}}
      args.yaml      the episode's settings

  <model>   the model spec made filesystem-safe as in sweep cell ids: openai:gpt-4o -> openai-gpt-4o,
            replay:<dir>/best.traj -> replay-best (provider, '-', the last path segment of the
            model name; any character but letters, digits, '.' and '-' becomes '-', '_' too,
            because MLGym's visualiser splits folder names on '_')
  <config>  the stem of the agent YAML the episode ran with (--agent-config, a sweep's agent_config);
            default for our own prompts, which play MLGym's default agent
  <temperature>, <top_p>, <cost limit>   the episode's settings, two decimals
  <i>       the sweep cell's run number minus one (MLGym counts runs from 0); 0 for an episode
            outside a sweep, or --run-index N

A sweep id (sweep-<name> or <name>) exports the episode of every finished cell and lists the cells
it skipped. Trajectories and results are read from the artifact store the workers write to
(MLGYM_ARTIFACTS), so run this with the workers' setting. Exit code 2 for an unknown id or an
episode that is not completed; 1 when a finished cell of a sweep could not be exported.

  --out DIR        where to write (created if missing)
  --run-index N    the run number of a single episode's folder (to export several lone runs of one setting)
  --json           one JSON object on stdout: {out, kind, workflowId, folders: [...], skipped: [...]}`;

/** `mlgym export mlgym <id> --out DIR`: finished episodes in MLGym's layout (see scripts/lib/mlgym-layout.ts). */
export async function exportCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    say(HELP);
    return 0;
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { out: { type: 'string' }, 'run-index': { type: 'string' }, json: { type: 'boolean' } },
  });
  const [format, id] = positionals;
  if (format !== 'mlgym' || !id || positionals.length > 2) throw new UsageError(USAGE);
  if (!values.out) throw new UsageError(`--out DIR is required; ${USAGE}`);
  const runFlag = values['run-index'];
  if (runFlag !== undefined && !/^\d+$/.test(runFlag)) throw new UsageError(`--run-index must be a run number (0, 1, ...), not "${runFlag}"`);

  let store;
  try {
    store = artifactStoreFromEnv();
  } catch (err) {
    if (err instanceof ArtifactStoreConfigError) throw new UsageError(err.message);
    throw err;
  }
  const { client, close } = await connectClient();
  try {
    const outcome = await exportMlgym(client, store, id, path.resolve(values.out), { ...(runFlag !== undefined && { runIndex: Number(runFlag) }) });
    for (const run of outcome.folders) say(`${run.episodeId} -> ${run.folder}`);
    for (const skipped of outcome.skipped) say(`skipped ${skipped.id}: ${skipped.reason}`);
    say(`${outcome.workflowId}: ${outcome.folders.length} run(s) exported to ${outcome.out}${outcome.skipped.length ? `, ${outcome.skipped.length} skipped` : ''}`);
    if (values.json) printJson(outcome);
    // Unfinished cells are expected; a finished episode that could not be exported is a failure.
    return outcome.skipped.some((s) => s.state === 'completed') ? 1 : 0;
  } finally {
    await close();
  }
}

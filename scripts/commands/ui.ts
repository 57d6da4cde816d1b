import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { temporalTarget } from '../../config/temporal';
import { artifactStoreFromEnv } from '../../activities/artifacts';
import { BindError, checkBind, startUiServer } from '../../ui/server/serve';
import { MlgymRuns } from '../../ui/server/mlgym-runs';
import { viewerClient } from '../../ui/server/temporal-client';
import { usage } from '../lib/help';
import { flagError, printJson, say, UsageError } from '../lib/output';
import { withClient } from '../lib/temporal-client';
import { exportSweep } from '../../ui/server/export';
import { NotFoundError } from '../../ui/server/errors';
import { REPO_ROOT } from '../lib/settings';

export const UI_DIST = path.join(REPO_ROOT, 'ui', 'dist');

const checkBuilt = () => {
  if (!existsSync(path.join(UI_DIST, 'index.html'))) throw new UsageError(`the viewer's browser app is not built (${UI_DIST}): run \`bash scripts/setup.sh\``);
};

const Flags = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8234),
  host: z.string().min(1).default('127.0.0.1'),
  token: z.string().min(16, 'a token needs at least 16 characters').optional(),
});

/** `mlgym ui`: the web viewer, until SIGINT/SIGTERM. It reads Temporal and the artifact store, nothing else. */
export async function uiCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'export') return exportCommand(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { port: { type: 'string' }, host: { type: 'string' }, token: { type: 'string' }, 'mlgym-dir': { type: 'string' } },
  });
  if (positionals.length) throw new UsageError(usage('ui'));
  const parsed = Flags.safeParse({ ...values, token: values.token ?? process.env.MLGYM_UI_TOKEN });
  if (!parsed.success) throw flagError(parsed.error);
  const flags = parsed.data;
  try {
    checkBind(flags.host, flags.token);
  } catch (err) {
    if (err instanceof BindError) throw new UsageError(err.message);
    throw err;
  }
  const mlgymDir = values['mlgym-dir'] && path.resolve(values['mlgym-dir']);
  if (mlgymDir && !statSync(mlgymDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(`--mlgym-dir: ${mlgymDir} is not a folder (give a folder of MLGym run folders, e.g. an MLGym checkout's trajectories/)`);
  }
  checkBuilt();
  const target = temporalTarget();
  const { client, close } = viewerClient(target.connection, target.namespace);
  let server;
  try {
    server = await startUiServer({
      client,
      store: artifactStoreFromEnv(),
      staticRoot: UI_DIST,
      temporalAddress: target.description,
      host: flags.host,
      port: flags.port,
      ...(flags.token && { token: flags.token }),
      ...(mlgymDir && { mlgymRuns: new MlgymRuns(mlgymDir) }),
    });
  } catch (err) {
    if (err instanceof BindError) throw new UsageError(err.message);
    throw err;
  }
  // The token goes on the URL once: the browser keeps it in a cookie.
  say(`mlgym ui: serving ${server.url}${flags.token ? '?token=<your token>' : ''} (Temporal at ${target.description}); Ctrl-C stops it`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  await close();
  return 0;
}

/** `mlgym ui export <sweepId> --out DIR`: the sweep's pages as one file that opens from disk. */
async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string' }, json: { type: 'boolean' } } });
  const [sweepId] = positionals;
  if (!sweepId || positionals.length > 1 || !values.out) throw new UsageError(usage('ui', 'export'));
  checkBuilt();
  const outDir = path.resolve(values.out);
  return withClient(async (client) => {
    let exported;
    try {
      exported = await exportSweep(client, artifactStoreFromEnv(), sweepId, outDir, UI_DIST);
    } catch (err) {
      if (err instanceof NotFoundError) throw new UsageError(err.message);
      throw err;
    }
    say(`exported sweep ${sweepId}: ${exported.episodes} episode(s) -> ${exported.file} (${(exported.bytes / 1e6).toFixed(1)} MB); open it in a browser`);
    for (const skip of exported.skipped) say(`  skipped ${skip.episodeId}: ${skip.reason}`);
    if (values.json) printJson(exported);
    return exported.skipped.length ? 1 : 0;
  });
}

import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { z } from 'zod';
import { temporalTarget } from '../../config/temporal';
import { artifactStoreFromEnv } from '../../activities/artifacts';
import { BindError, checkBind, startUiServer } from '../../ui/server/serve';
import { usage } from '../lib/help';
import { flagError, say, UsageError } from '../lib/output';
import { REPO_ROOT } from '../lib/settings';

export const UI_DIST = path.join(REPO_ROOT, 'ui', 'dist');

const Flags = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8234),
  host: z.string().min(1).default('127.0.0.1'),
  token: z.string().min(16, 'a token needs at least 16 characters').optional(),
});

/** `mlgym ui`: the web viewer, until SIGINT/SIGTERM. It reads Temporal and the artifact store, nothing else. */
export async function uiCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { port: { type: 'string' }, host: { type: 'string' }, token: { type: 'string' } },
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
  if (!existsSync(path.join(UI_DIST, 'index.html'))) throw new UsageError(`the viewer's browser app is not built (${UI_DIST}): run \`bash scripts/setup.sh\``);
  const target = temporalTarget();
  // Lazy: the viewer starts and keeps serving while Temporal is down, and says so on each page.
  // Two attempts, not the SDK's ten: a person is waiting for the page.
  const connection = Connection.lazy({
    ...target.connection,
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 2 }))],
  });
  const client = new Client({ connection, namespace: target.namespace });
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
  await connection.close();
  return 0;
}

import { timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Client } from '@temporalio/client';
import { ZodError } from 'zod';
import { RunListQuery, SweepListQuery } from '../shared/api';
import type { ArtifactStore } from '../../activities/artifacts/store';
import { loadEpisode } from './episode-view';
import { BadRequestError, NotFoundError, UnavailableError } from './errors';
import { followEpisode } from './live';
import { listRuns } from './runs';
import { listSweeps, loadSweep, sweepReportHtml } from './sweeps';
import type { MlgymRuns } from './mlgym-runs';
import { stepActivityLink } from './step-link';
import { readStepOutput } from './steps';

export interface UiDeps {
  client: Client;
  store: ArtifactStore;
  /** The built browser app (ui/dist). */
  staticRoot: string;
  /** Required on every request when set: `?token=` once (then a cookie), or `Authorization: Bearer`. */
  token?: string;
  /** Where Temporal is, for the message when it is not answering. */
  temporalAddress: string;
  /** MLGym's own runs to show next to ours (`--mlgym-dir`). */
  mlgymRuns?: MlgymRuns;
}

const TOKEN_COOKIE = 'mlgym_ui_token';
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

const sameSecret = (given: string | undefined, token: string) =>
  given !== undefined && given.length === token.length && timingSafeEqual(Buffer.from(given), Buffer.from(token));

const stepNumber = (c: Context) => {
  const step = Number(c.req.param('step'));
  if (!Number.isInteger(step) || step < 1) throw new BadRequestError(`step must be a step number (1, 2, ...), not "${c.req.param('step')}"`);
  return step;
};

/** What went wrong, said for a person: the status and one line naming the cause and the way out. */
function failure(err: unknown, temporalAddress: string): { status: 400 | 404 | 503 | 500; error: string } {
  if (err instanceof NotFoundError) return { status: 404, error: err.message };
  if (err instanceof BadRequestError) return { status: 400, error: err.message };
  if (err instanceof UnavailableError) return { status: 503, error: err.message };
  if (err instanceof ZodError) return { status: 400, error: err.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ') };
  // The SDK's calls wrap the gRPC error (a ServiceError with the gRPC one as its cause); raw service calls do not.
  const code = (err as { code?: number }).code ?? (err as { cause?: { code?: number } }).cause?.code;
  if (code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED) {
    return {
      status: 503,
      error: `Temporal is not answering at ${temporalAddress}: start it (\`npx mlgym server\`) or set TEMPORAL_ADDRESS; this page works again once it answers`,
    };
  }
  return { status: 500, error: (err as Error).message?.split('\n')[0] || String(err) };
}

/** The viewer's HTTP app: a JSON API over Temporal and the artifact store, and the browser app. */
export function createUiApp(deps: UiDeps): Hono {
  const { client, store, token } = deps;
  const app = new Hono();

  if (token !== undefined) {
    app.use('*', async (c, next) => {
      const offered = c.req.query('token');
      const bearer = c.req.header('authorization')?.replace(/^Bearer\s+/i, '');
      if (sameSecret(offered, token)) {
        setCookie(c, TOKEN_COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/' });
        return next();
      }
      if (sameSecret(bearer, token) || sameSecret(getCookie(c, TOKEN_COOKIE), token)) return next();
      return c.text('This viewer needs its token: open the URL `mlgym ui` printed (it ends in ?token=...).', 401);
    });
  }

  app.onError((err, c) => {
    const { status, error } = failure(err, deps.temporalAddress);
    if (status === 500) console.error(`mlgym ui: ${c.req.method} ${c.req.path}: ${(err as Error).stack ?? err}`);
    return c.json({ error }, status);
  });

  // The token, when given on the URL, is the guard's, not a filter.
  const queryOf = (c: Context) => {
    const { token: _guard, ...query } = c.req.query();
    return query;
  };

  app.get('/api/runs', async (c) => c.json(await listRuns(client, store, RunListQuery.parse(queryOf(c)))));

  app.get('/api/sweeps', async (c) => c.json(await listSweeps(client, SweepListQuery.parse(queryOf(c)))));
  app.get('/api/sweeps/:id', async (c) => c.json(await loadSweep(client, c.req.param('id'))));
  app.get('/api/sweeps/:id/report.html', async (c) => c.html(await sweepReportHtml(client, c.req.param('id'))));

  app.get('/api/mlgym/runs', (c) => c.json(deps.mlgymRuns?.list() ?? { rows: [], skipped: [] }));
  app.get('/api/mlgym/runs/:folder', (c) => {
    if (!deps.mlgymRuns) throw new NotFoundError('this viewer shows no MLGym runs: start it with `mlgym ui --mlgym-dir <folder of MLGym runs>`');
    return c.json(deps.mlgymRuns.view(c.req.param('folder')));
  });

  app.get('/api/episodes/:id', async (c) => c.json(await loadEpisode(client, store, c.req.param('id'))));

  app.get('/api/episodes/:id/steps/:step/output', async (c) => {
    const step = stepNumber(c);
    const output = await readStepOutput(store, c.req.param('id'), step);
    if (output === undefined) throw new NotFoundError(`step ${step} of "${c.req.param('id')}" has no command output`);
    return c.body(new Uint8Array(output), 200, { 'content-type': 'text/plain; charset=utf-8' });
  });

  app.get('/api/episodes/:id/steps/:step/temporal', async (c) => c.redirect(await stepActivityLink(client, c.req.param('id'), stepNumber(c))));

  app.get('/api/episodes/:id/live', (c) => {
    const after = Number(c.req.query('after') ?? 0);
    if (!Number.isInteger(after) || after < 0) throw new BadRequestError(`after must be a step number, not "${c.req.query('after')}"`);
    return streamSSE(c, async (stream) => {
      try {
        await followEpisode(client, store, c.req.param('id'), after, {
          send: (event, data) => stream.writeSSE({ event, data }),
          sleep: async (ms) => {
            await stream.sleep(ms);
          },
          get aborted() {
            return stream.aborted || stream.closed;
          },
        });
      } catch (err) {
        // The page keeps what it has and says why it stopped following.
        await stream.writeSSE({ event: 'failure', data: JSON.stringify({ error: failure(err, deps.temporalAddress).error }) });
      }
    });
  });

  app.all('/api/*', (c) => c.json({ error: `no such API: ${c.req.method} ${c.req.path}` }, 404));

  app.use('/*', serveStatic({ root: deps.staticRoot }));
  app.get('*', serveStatic({ root: deps.staticRoot, path: 'index.html' }));
  return app;
}

import { serve, type ServerType } from '@hono/node-server';
import { createUiApp, type UiDeps } from './app';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export const isLoopback = (host: string) => LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);

/**
 * A bind the viewer refuses or cannot take. Transcripts hold what agents saw, keys included: no
 * open port without a token.
 */
export class BindError extends Error {}

export interface UiServer {
  url: string;
  close(): Promise<void>;
}

/** Refuses a bind beyond this machine without a token. */
export function checkBind(host: string, token: string | undefined): void {
  if (!isLoopback(host) && !token) {
    throw new BindError(
      `--host ${host} opens the viewer beyond this machine: set a token (MLGYM_UI_TOKEN=<secret> or --token) so only its holders read the transcripts, or bind 127.0.0.1`,
    );
  }
}

/** Starts the viewer on host:port; port 0 takes a free one. */
export async function startUiServer(deps: UiDeps & { host: string; port: number }): Promise<UiServer> {
  checkBind(deps.host, deps.token);
  const app = createUiApp(deps);
  const server = await new Promise<ServerType>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, hostname: deps.host, port: deps.port }, () => resolve(started));
    started.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new BindError(`port ${deps.port} on ${deps.host} is taken: choose another with --port`) : err),
    );
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : deps.port;
  const shownHost = deps.host.includes(':') ? `[${deps.host}]` : deps.host;
  return {
    url: `http://${shownHost}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Live pages hold their streams open: closing waits for no one.
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}

import { runWorker } from '../../workers/main';
import { withClient } from '../lib/temporal-client';

export async function workerCommand(): Promise<number> {
  // Unreachable server, bad TLS or API key: the client's one-line errors, before the worker starts.
  await withClient(async () => undefined);
  await runWorker();
  return 0;
}

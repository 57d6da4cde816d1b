import { runWorker } from '../../workers/main';

export async function workerCommand(): Promise<number> {
  await runWorker();
  return 0;
}

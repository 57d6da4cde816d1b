import path from 'node:path';

/** Where things are: one place for the addresses and paths the CLI, workers and tests share. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const STATE_DIR = path.join(REPO_ROOT, '.mlgym');
export const TEMPORAL_BIN = path.join(STATE_DIR, 'bin', 'temporal');

export const TASK_QUEUE = process.env.MLGYM_TASK_QUEUE ?? 'mlgym';
export const temporalAddress = () => process.env.TEMPORAL_ADDRESS ?? 'localhost:7233';
export const temporalNamespace = () => process.env.TEMPORAL_NAMESPACE ?? 'default';
export const uiBaseUrl = () => process.env.MLGYM_UI_URL ?? 'http://localhost:8233';

export function workflowUiLink(workflowId: string): string {
  return `${uiBaseUrl()}/namespaces/${encodeURIComponent(temporalNamespace())}/workflows/${encodeURIComponent(workflowId)}`;
}

import path from 'node:path';
import { temporalNamespace } from '../../config/temporal';

/** Where things are: the paths the CLI and tests share, and the UI's address. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const STATE_DIR = path.join(REPO_ROOT, '.mlgym');
export const TEMPORAL_BIN = path.join(STATE_DIR, 'bin', 'temporal');

// The Temporal address, namespace and task queue are shared with the workers: config/temporal.ts.
export const uiBaseUrl = () => process.env.MLGYM_UI_URL ?? 'http://localhost:8233';

export function workflowUiLink(workflowId: string): string {
  return `${uiBaseUrl()}/namespaces/${encodeURIComponent(temporalNamespace())}/workflows/${encodeURIComponent(workflowId)}`;
}

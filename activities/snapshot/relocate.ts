import type { SandboxHandle } from '../../lib/episode';
import { hostId } from '../sandbox/host-ledger';
import { runtimeFor } from '../sandbox/runtimes';
import { type RestoreReport, restoreSandbox, type RestoreSandboxInput } from './restore';

export interface RelocateSandboxInput extends RestoreSandboxInput {
  /** The sandbox whose host stopped answering. */
  previous: SandboxHandle;
}

export interface RelocateSandboxResult {
  handle: SandboxHandle;
  /** False: the silent host came back with the sandbox intact, and the episode goes on in it. */
  moved: boolean;
  report?: RestoreReport;
}

/**
 * Run from the shared provisioning queue after the sandbox's host went silent. The host that takes
 * it keeps the sandbox if it is that host and the sandbox is still there (a worker restarted after
 * a long outage: its running command is re-attached, nothing is lost); any other host makes a new
 * sandbox and restores the workspace from the episode's last snapshot in the shared artifact store.
 */
export async function relocateSandbox(input: RelocateSandboxInput): Promise<RelocateSandboxResult> {
  const { previous, ...restore } = input;
  if (previous.host === hostId() && (await runtimeFor(previous).exists(previous))) return { handle: previous, moved: false };
  const restored = await restoreSandbox(restore);
  return { handle: restored.handle, moved: true, report: restored.report };
}

import type { SandboxHandle } from '../../lib/episode';
import { episodeKeys } from '../../lib/artifact-keys';
import type { SnapshotManifest, SnapshotSettings } from '../../lib/snapshot';
import { tryGetJson } from '../artifacts/store';
import { artifacts } from '../context';
import { killDetached, type ScriptCall } from '../sandbox/detached';
import type { SandboxRuntime } from '../sandbox/runtime';
import { type Beat, type RestoreReport, restoreWorkspace } from './restore';

// Exits 3 when it lists any: the gate of a quick start (startAndWait) then starts nothing.
const EARLIER_RUNS = `n=$1 own=$2
cd "$HOME/.mlgym/exec" 2>/dev/null || exit 0
[ -e "$own/started" ] && { echo own; exit 0; }
found=0
# Runs before every command, over every command so far: the name is checked first (no file access).
for d in step-*; do
  m=\${d#step-}; m=\${m%%-*}
  case $m in '' | *[!0-9]*) continue ;; esac
  (( 10#$m >= n )) || continue
  [ -e "$d/started" ] || continue
  found=3
  if [ -e "$d/exit" ]; then echo "done $d"; else echo "running $d"; fi
done
exit $found`;

/** The check that no earlier run's command at `step` or later is in the sandbox, as a gate for startAndWait. */
export const earlierRunsGate = (step: number, execId: string): ScriptCall => ({ script: EARLIER_RUNS, args: [String(step), execId] });

/** What execCommand found and did about commands an earlier run of the episode ran at this step or later. */
export interface SupersededRuns {
  /** Exec ids of those commands (a reset or resumed episode is running these steps again). */
  commands: string[];
  /** Those still running, stopped first. */
  stopped: string[];
  /** The workspace brought back to the snapshot the step starts from, when there is one. */
  restore?: Omit<RestoreReport, 'stoppedCommands'>;
  error?: string;
}

/**
 * Before a step's command starts for the first time in this run: when the sandbox holds commands
 * that an earlier run of this episode ran at this step or later (after `temporal workflow reset`,
 * or a resume that re-used the sandbox), those are stopped and the workspace is brought back to
 * the snapshot the step starts from, so the step sees the workspace its transcript describes.
 * `listing` is what the gate (earlierRunsGate) printed when it stopped a quick start. Returns
 * `legacyExecId` when the step's command was started under the exec id of older versions.
 */
export async function supersedeListed(
  runtime: SandboxRuntime,
  handle: SandboxHandle,
  episodeId: string,
  step: number,
  listing: string,
  snapshot: SnapshotSettings | undefined,
  beat: Beat = () => undefined,
): Promise<{ legacyExecId?: string; superseded?: SupersededRuns }> {
  const lines = listing.split('\n').filter(Boolean);
  if (lines.includes('own')) return {};
  const found = lines.map((line) => ({ running: line.startsWith('running '), execId: line.slice(line.indexOf(' ') + 1) }));
  // Versions before per-run exec ids named a step's command `step-<n>`: re-attach to it.
  if (found.some((f) => f.execId === `step-${step}`)) return { legacyExecId: `step-${step}` };
  if (!found.length) return {};
  const superseded: SupersededRuns = { commands: found.map((f) => f.execId), stopped: [] };
  try {
    for (const f of found.filter((f) => f.running)) {
      await killDetached(runtime, handle, f.execId, 2);
      superseded.stopped.push(f.execId);
    }
    if (snapshot?.previousStep !== undefined) {
      const store = artifacts();
      const manifest = await tryGetJson<SnapshotManifest>(store, episodeKeys(episodeId).snapshotManifest(snapshot.previousStep));
      if (manifest) superseded.restore = await restoreWorkspace(runtime, handle, store, manifest, snapshot.exclude, beat);
    }
  } catch (err) {
    superseded.error = (err as Error).message.slice(0, 1000);
  }
  return { superseded };
}

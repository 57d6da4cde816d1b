import type { SandboxHandle } from '../../lib/episode';
import { parseScan, type ScanEntry } from '../../lib/snapshot';
import type { ScriptCall } from '../sandbox/detached';
import type { SandboxRuntime } from '../sandbox/runtime';

/**
 * Lists a folder's entries (metadata only) with one `find`, pruning the excluded paths (given as
 * `find -path` patterns). Exit 1 with output means some entries could not be read: reported.
 */
export const SCAN_SCRIPT = `root=$1; shift
prune=()
for pattern in "$@"; do prune+=(-o -path "$pattern"); done
if [ \${#prune[@]} -gt 0 ]; then
  exec find "$root" -mindepth 1 \\( "\${prune[@]:1}" \\) -prune -o -printf '%y\\t%s\\t%T@\\t%m\\t%U\\t%P\\0%l\\0'
fi
exec find "$root" -mindepth 1 -printf '%y\\t%s\\t%T@\\t%m\\t%U\\t%P\\0%l\\0'`;

/** The listing of `root` minus the relative paths in `exclude`, as a script call. */
export function scanCall(root: string, exclude: string[]): ScriptCall {
  const glob = (s: string) => s.replace(/[*?[\]\\]/g, '\\$&');
  return { script: SCAN_SCRIPT, args: [root, ...exclude.map((p) => `${glob(root)}/${glob(p)}`)] };
}

/** The argv that lists `root` minus the relative paths in `exclude`. */
export function scanArgv(root: string, exclude: string[]): string[] {
  const { script, args } = scanCall(root, exclude);
  return ['bash', '-c', script, 'mlgym-scan', ...args];
}

export type WorkspaceScan = { entries: ScanEntry[]; errors: string[] };

/**
 * Lists the workspace inside the sandbox: metadata only, one `find`, so it stays cheap when
 * nothing changed. In a container everything root-owned (the evaluator copies, the data) is left
 * out; the local runtime has one owner for all, so the task's read-only paths are excluded by name.
 */
export async function scanWorkspace(runtime: SandboxRuntime, handle: SandboxHandle, exclude: string[]): Promise<WorkspaceScan> {
  return workspaceScanOf(runtime, await runtime.exec(handle, scanArgv(handle.workspace, exclude), { env: { HOME: handle.home } }));
}

/** The workspace listing from the output of SCAN_SCRIPT (run alone or after a quick command). */
export function workspaceScanOf(runtime: SandboxRuntime, result: { stdout: string; stderr: string; exitCode: number }): WorkspaceScan {
  if (result.exitCode !== 0 && (result.exitCode !== 1 || result.stdout === '')) {
    throw new Error(`listing the workspace failed (exit ${result.exitCode}): ${result.stderr.trim().slice(-500)}`);
  }
  const scan = parseScan(result.stdout, runtime.harnessUid);
  scan.errors.push(...result.stderr.split('\n').filter(Boolean).slice(0, 20));
  return scan;
}

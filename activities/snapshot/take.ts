import { createHash } from 'node:crypto';
import path from 'node:path';
import { episodeKeys } from '../../lib/artifact-keys';
import type { SandboxHandle } from '../../lib/episode';
import {
  changedContent,
  diffManifest,
  isUnchanged,
  type ManifestEntry,
  type SnapshotManifest,
  type SnapshotReport,
  type SnapshotSettings,
} from '../../lib/snapshot';
import { tryGetJson } from '../artifacts/store';
import { artifacts } from '../context';
import type { SandboxRuntime } from '../sandbox/runtime';
import type { Beat } from './restore';
import { scanWorkspace, type WorkspaceScan } from './scan';

/**
 * Stores the workspace after `step` incrementally: files new or changed since the previous
 * manifest (size, mtime or mode differ) are copied out and stored by their sha256, unless larger
 * than the cap (then listed as omitted and reported); a new manifest is written only when
 * something changed. Best effort: a failure is reported, never fails the step, and the next
 * snapshot diffs against the last stored manifest, so the changes are caught up then.
 */
export async function takeSnapshot(
  runtime: SandboxRuntime,
  handle: SandboxHandle,
  episodeId: string,
  step: number,
  settings: SnapshotSettings,
  beat: Beat = () => undefined,
  /** The workspace listing when it was already taken (right after the command ended). */
  listed?: WorkspaceScan,
): Promise<SnapshotReport> {
  const started = Date.now();
  const maxFileMb = settings.maxFileBytes / (1024 * 1024);
  const report: SnapshotReport = {
    manifestStep: settings.previousStep,
    changed: 0,
    deleted: 0,
    storedFiles: 0,
    storedBytes: 0,
    omitted: [],
    maxFileMb,
    durationMs: 0,
  };
  try {
    const store = artifacts();
    const keys = episodeKeys(episodeId);
    const previous = settings.previousStep === undefined ? undefined : await tryGetJson<SnapshotManifest>(store, keys.snapshotManifest(settings.previousStep));
    const scan = listed ?? (await scanWorkspace(runtime, handle, settings.exclude));
    if (scan.errors.length) report.warnings = scan.errors.slice(0, 20);
    const diff = diffManifest(previous?.entries, scan.entries);
    report.changed = changedContent(diff);
    report.deleted = diff.deleted.length;
    if (previous && isUnchanged(diff)) return report;

    const entries: ManifestEntry[] = [...diff.unchanged];
    for (const entry of diff.changed) {
      if (entry.t !== 'f') {
        entries.push(entry);
        continue;
      }
      if (entry.s > settings.maxFileBytes) {
        report.omitted.push({ path: entry.p, bytes: entry.s });
        entries.push({ ...entry, omitted: 'over_cap' });
        continue;
      }
      beat({ snapshot: entry.p, step });
      const content = await runtime.copyOut(handle, path.posix.join(handle.workspace, entry.p));
      if (content === undefined) continue; // removed since the listing: as if deleted
      if (content.length > settings.maxFileBytes) {
        report.omitted.push({ path: entry.p, bytes: content.length });
        entries.push({ ...entry, s: content.length, omitted: 'over_cap' });
        continue;
      }
      const h = createHash('sha256').update(content).digest('hex');
      if (!(await store.exists(keys.snapshotBlob(h)))) {
        await store.put(keys.snapshotBlob(h), content);
        report.storedFiles += 1;
        report.storedBytes += content.length;
      }
      // The listed size and mtime stay: they are what the next listing is compared with.
      entries.push({ ...entry, h });
    }
    entries.sort((a, b) => (a.p < b.p ? -1 : a.p > b.p ? 1 : 0));
    const manifest: SnapshotManifest = {
      version: 1,
      episodeId,
      step,
      ...(settings.previousStep !== undefined && previous && { baseStep: settings.previousStep }),
      entries,
    };
    await store.put(keys.snapshotManifest(step), JSON.stringify(manifest));
    report.manifestStep = step;
    return report;
  } catch (err) {
    report.error = (err as Error).message.slice(0, 1000);
    return report;
  } finally {
    report.durationMs = Date.now() - started;
  }
}

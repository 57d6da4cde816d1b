import type { EpisodeLimits } from './episode';
import type { TaskConfig } from './task-config';

/**
 * Workspace snapshots: after every step that ran a command, the files of the agent's workspace
 * that changed since the last snapshot are stored in the artifact store (content-addressed, so an
 * unchanged file is never stored twice), together with a manifest of the whole workspace. A failed
 * episode resumed on a new sandbox gets its workspace back from the manifest of the resume step.
 * This module is the pure part: what counts as changed, and what a restore has to do.
 */

/**
 * One entry of the workspace as listed inside the sandbox: directories (mode), regular files
 * (size, mtime in ns as a decimal string, mode) and symlinks (target). Paths are relative.
 */
export type ScanEntry = { p: string; t: 'd'; x: number } | { p: string; t: 'f'; s: number; m: string; x: number } | { p: string; t: 'l'; l: string };

/**
 * A stored entry: files carry the sha256 of their content (`h`, the blob key), or `omitted` when
 * the file was larger than the cap and its content was not stored.
 */
export type ManifestEntry = Exclude<ScanEntry, { t: 'f' }> | (Extract<ScanEntry, { t: 'f' }> & { h?: string; omitted?: 'over_cap' });

/** `episodes/<id>/snapshots/<step>/manifest.json`: the whole workspace as it was after `step`. */
export interface SnapshotManifest {
  version: 1;
  episodeId: string;
  step: number;
  /** The snapshot this one was diffed against. */
  baseStep?: number;
  entries: ManifestEntry[];
}

/** What execCommand is told to snapshot (undefined: snapshots are off). */
export interface SnapshotSettings {
  /** The step whose manifest describes the workspace before this command; absent for the first. */
  previousStep?: number;
  /** Files larger than this are listed but their content is not stored (reported when hit). */
  maxFileBytes: number;
  /** Workspace-relative paths never snapshotted: the read-only data and the evaluator copies. */
  exclude: string[];
}

/** A file over the per-file cap, listed in the snapshot but not stored. */
export interface OmittedFile {
  path: string;
  bytes: number;
}

/** What one snapshot did; in the step's exec record and the activity result (shown in the UI). */
export interface SnapshotReport {
  /** The step whose manifest now describes the workspace: this step, or the previous snapshot when nothing changed (or the snapshot failed). */
  manifestStep?: number;
  /** Files and links new or changed since the previous snapshot (directories not counted). */
  changed: number;
  /** Paths gone since the previous snapshot. */
  deleted: number;
  /** Files whose content was stored (new blobs) and their bytes. */
  storedFiles: number;
  storedBytes: number;
  /** Changed files larger than the cap: listed, content not stored. */
  omitted: OmittedFile[];
  maxFileMb: number;
  /** Paths the scanner could not read (permissions, non-UTF-8 names). */
  warnings?: string[];
  /** Why the snapshot failed; the next one diffs against the last stored manifest, so nothing is lost for good. */
  error?: string;
  durationMs: number;
}

export const DEFAULT_SNAPSHOT_MAX_FILE_MB = 100;

/**
 * The snapshot settings of an episode, or undefined when `snapshot_max_file_mb` is 0 (off).
 * Histories recorded before the limit existed lack it: they get the default.
 */
export function snapshotSettings(task: TaskConfig, limits: EpisodeLimits, previousStep: number | undefined): SnapshotSettings | undefined {
  const mb = (limits as Partial<EpisodeLimits>).snapshot_max_file_mb ?? DEFAULT_SNAPSHOT_MAX_FILE_MB;
  if (mb <= 0) return undefined;
  return {
    ...(previousStep !== undefined && { previousStep }),
    maxFileBytes: Math.floor(mb * 1024 * 1024),
    exclude: snapshotExcludes(task),
  };
}

/**
 * The read-only, root-owned parts of the workspace (see activities/sandbox/layout.ts): the data
 * folder and the copies of the evaluator and its support files. They are the task's, not the
 * agent's work, and a new sandbox gets them from the task again.
 */
export function snapshotExcludes(task: TaskConfig): string[] {
  const paths = ['data', ...task.evaluation_paths, ...task.evaluator_support_paths].map((p) =>
    p
      .replace(/\\/g, '/')
      .replace(/^(\.\/)+/, '')
      .replace(/\/+$/, ''),
  );
  return [...new Set(paths.filter((p) => p !== '' && p !== '.'))].sort();
}

/**
 * Parses what `find -printf '%y\t%s\t%T@\t%m\t%U\t%P\0%l\0'` printed: two NUL-terminated fields
 * per entry (type, size, mtime, mode, owner uid and path; then the link target). Entries owned by
 * `skipUid` are left out (root-owned evaluator copies in a container), so are sockets and fifos,
 * and names that are not UTF-8 (they could not be copied back by name), which are reported.
 */
export function parseScan(output: string, skipUid?: number): { entries: ScanEntry[]; errors: string[] } {
  const fields = output.split('\0');
  const entries: ScanEntry[] = [];
  const errors: string[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const meta = fields[i];
    const parts = meta.split('\t');
    if (parts.length < 6) continue;
    const [type, size, mtime, mode, uid] = parts;
    const p = parts.slice(5).join('\t');
    if (p === '' || (skipUid !== undefined && Number(uid) === skipUid)) continue;
    if (p.includes('\uFFFD')) {
      errors.push(`${p}: name is not UTF-8, not snapshotted`);
      continue;
    }
    if (type === 'd') entries.push({ p, t: 'd', x: parseInt(mode, 8) });
    else if (type === 'f') entries.push({ p, t: 'f', s: Number(size), m: nanoseconds(mtime), x: parseInt(mode, 8) });
    else if (type === 'l') entries.push({ p, t: 'l', l: fields[i + 1] });
  }
  entries.sort((a, b) => (a.p < b.p ? -1 : a.p > b.p ? 1 : 0));
  return { entries, errors };
}

/** `1700000000.123456789` (find's %T@) as whole nanoseconds, the unit `os.utime(ns=...)` takes back. */
function nanoseconds(seconds: string): string {
  const negative = seconds.startsWith('-');
  const [whole, fraction = ''] = seconds.replace(/^-/, '').split('.');
  const ns = BigInt(whole || '0') * 1_000_000_000n + BigInt((fraction + '000000000').slice(0, 9));
  return (negative ? -ns : ns).toString();
}

/** Whether two entries describe the same thing (for files: same size, mtime and mode). */
export function sameEntry(a: ScanEntry | ManifestEntry, b: ScanEntry | ManifestEntry): boolean {
  if (a.t !== b.t || a.p !== b.p) return false;
  if (a.t === 'f' && b.t === 'f') return a.s === b.s && a.m === b.m && a.x === b.x;
  if (a.t === 'l' && b.t === 'l') return a.l === b.l;
  if (a.t === 'd' && b.t === 'd') return a.x === b.x;
  return false;
}

export interface ManifestDiff {
  /** Entries new or different since the previous manifest (files among them need their content). */
  changed: ScanEntry[];
  /** Entries of the previous manifest still valid as they are (their blobs are reused). */
  unchanged: ManifestEntry[];
  /** Paths in the previous manifest that are gone. */
  deleted: string[];
}

/** Compares the workspace as listed now with the previous manifest (none: everything is new). */
export function diffManifest(previous: readonly ManifestEntry[] | undefined, current: readonly ScanEntry[]): ManifestDiff {
  const before = new Map((previous ?? []).map((e) => [e.p, e]));
  const diff: ManifestDiff = { changed: [], unchanged: [], deleted: [] };
  const seen = new Set<string>();
  for (const entry of current) {
    seen.add(entry.p);
    const old = before.get(entry.p);
    if (old && sameEntry(old, entry)) diff.unchanged.push(old);
    else diff.changed.push(entry);
  }
  for (const path of before.keys()) if (!seen.has(path)) diff.deleted.push(path);
  diff.deleted.sort();
  return diff;
}

export const isUnchanged = (diff: ManifestDiff) => diff.changed.length === 0 && diff.deleted.length === 0;

/** How many changed entries are files or links (what a report calls "changed"). */
export const changedContent = (diff: ManifestDiff) => diff.changed.filter((e) => e.t !== 'd').length;

export interface RestorePlan {
  /** Paths to remove first (not in the snapshot, or of another kind there), deepest first. */
  delete: string[];
  /** Directories to create. */
  mkdir: string[];
  links: { p: string; l: string }[];
  /** Files whose content is copied in from their blobs. */
  write: Extract<ManifestEntry, { t: 'f' }>[];
  /** Modes and mtimes to set once the files are in (so the next snapshot sees them as unchanged). */
  files: { p: string; m: string; x: number }[];
  dirs: { p: string; x: number }[];
  /** Files of the snapshot whose content was never stored (over the cap) and differ from what is there. */
  notRestorable: OmittedFile[];
}

/** What turns the workspace as listed now into the workspace of a stored manifest. */
export function restorePlan(target: readonly ManifestEntry[], current: readonly ScanEntry[]): RestorePlan {
  const wanted = new Map(target.map((e) => [e.p, e]));
  const present = new Map(current.map((e) => [e.p, e]));
  const plan: RestorePlan = { delete: [], mkdir: [], links: [], write: [], files: [], dirs: [], notRestorable: [] };
  const depth = (p: string) => p.split('/').length;

  for (const entry of current) {
    const want = wanted.get(entry.p);
    if (!want || want.t !== entry.t || (entry.t === 'l' && !sameEntry(want, entry))) plan.delete.push(entry.p);
  }
  const deleted = new Set(plan.delete);
  // A path under a deleted directory is gone too, whatever the listing said.
  const survives = (p: string) => {
    if (deleted.has(p)) return false;
    for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) if (deleted.has(p.slice(0, i))) return false;
    return true;
  };
  for (const want of target) {
    const have = survives(want.p) ? present.get(want.p) : undefined;
    if (want.t === 'd') {
      if (!have) plan.mkdir.push(want.p);
      if (!have || !sameEntry(want, have)) plan.dirs.push({ p: want.p, x: want.x });
    } else if (want.t === 'l') {
      if (!have) plan.links.push({ p: want.p, l: want.l });
    } else if (!have || !sameEntry(want, have)) {
      if (want.h === undefined) plan.notRestorable.push({ path: want.p, bytes: want.s });
      else {
        plan.write.push(want);
        plan.files.push({ p: want.p, m: want.m, x: want.x });
      }
    }
  }
  // Copying a file in may reset the modes of the folders above it: they get theirs back at the end.
  const planned = new Set(plan.dirs.map((d) => d.p));
  for (const written of plan.write) {
    for (let i = written.p.indexOf('/'); i > 0; i = written.p.indexOf('/', i + 1)) {
      const parent = wanted.get(written.p.slice(0, i));
      if (parent?.t === 'd' && !planned.has(parent.p)) {
        planned.add(parent.p);
        plan.dirs.push({ p: parent.p, x: parent.x });
      }
    }
  }
  plan.delete.sort((a, b) => depth(b) - depth(a) || a.localeCompare(b));
  plan.mkdir.sort((a, b) => depth(a) - depth(b) || a.localeCompare(b));
  return plan;
}

export const isEmptyPlan = (plan: RestorePlan) => plan.delete.length + plan.mkdir.length + plan.links.length + plan.write.length + plan.dirs.length === 0;

/**
 * `mlgym ui export <sweep> --out DIR`: the app opened from disk (file://, offline) with its data
 * inlined before it as `window.__MLGYM_STATIC__`, a StaticExport. api.ts then answers every call
 * from that object, the way the server would, so the pages do not know the difference.
 */
import { z } from 'zod';
import {
  StaticExport,
  type EpisodeView,
  type MlgymRunList,
  type RunFilters,
  type RunList,
  type RunRow,
  type SweepList,
  type SweepRow,
  type SweepView,
} from '../../shared/api';
import { ApiFailure } from './failure';

declare global {
  interface Window {
    __MLGYM_STATIC__?: unknown;
  }
}

type Loaded = { data: StaticExport; error?: undefined } | { data?: undefined; error: string };

/** Read and checked once, at load; undefined in server mode. */
const loaded: Loaded | undefined = (() => {
  const raw = window.__MLGYM_STATIC__;
  if (raw === undefined) return undefined;
  const parsed = StaticExport.safeParse(raw);
  return parsed.success ? { data: parsed.data } : { error: z.prettifyError(parsed.error) };
})();

/** The page is a static export (whether or not its data reads). */
export const isStatic = loaded !== undefined;
/** The export's data, when it reads. */
export const staticExport: StaticExport | undefined = loaded?.data;
/** Why the export's data does not read (the page shows this instead of the app). */
export const staticExportError: string | undefined = loaded?.error;

function data(signal: AbortSignal | undefined): StaticExport {
  signal?.throwIfAborted();
  if (!staticExport) throw new ApiFailure(`this export's data does not read:\n${staticExportError ?? 'none given'}`);
  return staticExport;
}

/** An export opens on its sweep: an empty route goes there, replacing the entry (call before the router reads the hash). */
export function openOnStaticSweep(): void {
  if (!staticExport) return;
  const hash = window.location.hash;
  if (hash === '' || hash === '#' || hash === '#/') {
    window.history.replaceState(window.history.state, '', `#/sweeps/${encodeURIComponent(staticExport.sweep.sweepId)}`);
  }
}

const EQUALS = ['task', 'model', 'sweep', 'status', 'host'] as const;
const SEARCHED = ['episodeId', 'task', 'model', 'sweep', 'host'] as const;

/** The server's semantics: exact filters, free text on the start of the id, task, model, sweep or host. */
function matches(row: RunRow, filters: RunFilters): boolean {
  for (const key of EQUALS) if (filters[key] !== undefined && row[key] !== filters[key]) return false;
  const q = filters.q;
  return q === undefined || SEARCHED.some((key) => row[key]?.startsWith(q));
}

const startMs = (row: RunRow) => Date.parse(row.startedAt) || 0;

/** Every match in one page, newest first (the export holds one sweep's episodes: no paging needed). */
export async function staticRuns(filters: RunFilters, signal?: AbortSignal): Promise<RunList> {
  const rows = data(signal)
    .runs.filter((r) => matches(r, filters))
    .sort((a, b) => startMs(b) - startMs(a));
  return { rows, total: rows.length };
}

export async function staticEpisode(id: string, signal?: AbortSignal): Promise<EpisodeView> {
  const { episodes } = data(signal);
  if (!Object.hasOwn(episodes, id)) throw new ApiFailure(`no episode "${id}" in this export`, 404);
  return episodes[id];
}

/**
 * The sweep list's one row. A SweepView has no start or close time: the sweep started no later than
 * its first episode (else when the export was made), and its close time is left out.
 */
function sweepRowOf(x: StaticExport): SweepRow {
  const starts = x.runs.map((r) => r.startedAt).filter((t) => !Number.isNaN(Date.parse(t)));
  const first = starts.sort((a, b) => Date.parse(a) - Date.parse(b))[0];
  return {
    sweepId: x.sweep.sweepId,
    workflowId: x.sweep.workflowId,
    status: x.sweep.workflowStatus,
    running: x.sweep.running,
    startedAt: first ?? x.generatedAt,
  };
}

/** `sweep-<name>` (the workflow id) and `<name>` name the same sweep, as on the server. */
const sweepNameOf = (idOrName: string) => idOrName.replace(/^sweep-/, '');

export async function staticSweeps(q: string | undefined, signal?: AbortSignal): Promise<SweepList> {
  const x = data(signal);
  const { sweepId, workflowId } = x.sweep;
  const rows = q === undefined || workflowId.startsWith(q) || workflowId.startsWith(`sweep-${q}`) || sweepId.startsWith(q) ? [sweepRowOf(x)] : [];
  return { rows, total: rows.length };
}

export async function staticSweep(id: string, signal?: AbortSignal): Promise<SweepView> {
  const { sweep } = data(signal);
  if (id !== sweep.workflowId && sweepNameOf(id) !== sweep.sweepId) throw new ApiFailure(`no sweep "${sweepNameOf(id)}" in this export`, 404);
  return sweep;
}

/** An export holds no MLGym runs (and no folder they were read from). */
export async function staticMlgymRuns(signal?: AbortSignal): Promise<MlgymRunList> {
  data(signal);
  return { rows: [], skipped: [] };
}

export async function staticMlgymRun(folder: string, signal?: AbortSignal): Promise<EpisodeView> {
  data(signal);
  throw new ApiFailure(`no MLGym run "${folder}" in this export`, 404);
}

/** Steps in an export carry no `outputUrl`; a call for one answers this. */
export async function staticText(signal?: AbortSignal): Promise<string> {
  data(signal);
  throw new ApiFailure('the full outputs of the steps are not in this export', 404);
}

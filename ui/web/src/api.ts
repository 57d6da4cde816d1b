/**
 * The viewer's server, seen from the page: relative URLs (the viewer may live under a path prefix),
 * the access token passed on to every call, and every JSON answer checked against the shared
 * contract so a server of another version fails with a named field instead of a blank page.
 * In a static export (`mlgym ui export`, static-data.ts) there is no server: every call is answered
 * from the data inlined in the page instead.
 */
import { z } from 'zod';
import { ApiError, EpisodeView, LiveUpdate, MlgymRunList, RunList, SweepList, SweepView, type RunFilters } from '../../shared/api';
import { parseRef } from './episodeRef';
import { ApiFailure } from './failure';
import { isStatic, staticEpisode, staticMlgymRun, staticMlgymRuns, staticRuns, staticSweep, staticSweeps, staticText } from './static-data';

export { ApiFailure };
export { isStatic };

export const UNREACHABLE = "cannot reach the viewer's server";

/**
 * Read once at load: the token normally sits before the hash (`/?token=x#/episodes/1`), but a link
 * may carry it in the hash's query, which the first in-app navigation drops.
 */
const token: string | undefined = (() => {
  const fromSearch = new URLSearchParams(window.location.search).get('token');
  if (fromSearch) return fromSearch;
  const hashQuery = window.location.hash.split('?')[1];
  return new URLSearchParams(hashQuery ?? '').get('token') ?? undefined;
})();

/** `path` (relative, may already hold a query) with `params` and the token added. */
export function apiUrl(path: string, params: Record<string, string | number | undefined> = {}): string {
  const [base, query] = path.split('?', 2) as [string, string | undefined];
  const search = new URLSearchParams(query ?? '');
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, String(value));
  if (token) search.set('token', token);
  const qs = search.toString();
  return qs ? `${base}?${qs}` : base;
}

async function request(url: string, signal?: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { signal });
  } catch (e) {
    // An abort is the caller's own doing: let it through untouched so it can be told apart.
    if (signal?.aborted) throw e;
    throw new ApiFailure(UNREACHABLE);
  }
  if (!res.ok) {
    // Usually `{error}`; a proxy or the token check may answer plain text instead.
    const text = await res.text().catch(() => '');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const err = ApiError.safeParse(body);
    const plain = body === undefined && text.trim() && text.length < 500 && !text.trimStart().startsWith('<') ? text.trim() : undefined;
    throw new ApiFailure(err.success ? err.data.error : (plain ?? `the viewer's server answered ${res.status} ${res.statusText}`.trim()), res.status);
  }
  return res;
}

async function getJson<T>(url: string, schema: z.ZodType<T>, signal?: AbortSignal): Promise<T> {
  const res = await request(url, signal);
  const body: unknown = await res.json().catch(() => {
    throw new ApiFailure(`the viewer's server answered something that is not JSON (${url.split('?')[0]})`);
  });
  return parseAnswer(schema, body);
}

/** The contract's check, with the failing fields named in the message. */
export function parseAnswer<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ApiFailure(`the viewer's server answered a payload this page does not understand:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

const isAbsolute = (url: string) => /^[a-z][a-z0-9+.-]*:|^\/\//i.test(url);

/**
 * A link the server gave (a step's `temporalUrl`, the sweep's report): a relative one is the server's
 * own API, which wants the token too; an absolute one (the Temporal UI) is left alone. A static
 * export's relative links are files beside it, used as they are.
 */
export function serverLink(url: string): string {
  return isAbsolute(url) || isStatic ? url : apiUrl(url);
}

/**
 * A server link to render as a link (`<a href>`), or undefined when nothing could follow it: a
 * static export has no server behind its relative (`api/...`) links. The absolute ones stay.
 */
export function linkHref(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  if (isStatic && !isAbsolute(url)) return undefined;
  return serverLink(url);
}

export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}

export function fetchRuns(filters: RunFilters, pageSize: number, page: string | undefined, signal?: AbortSignal): Promise<RunList> {
  if (isStatic) return staticRuns(filters, signal);
  return getJson(apiUrl('api/runs', { ...filters, pageSize, page }), RunList, signal);
}

export function episodePath(id: string): string {
  return `api/episodes/${encodeURIComponent(id)}`;
}

export function fetchEpisode(id: string, signal?: AbortSignal): Promise<EpisodeView> {
  if (isStatic) return staticEpisode(id, signal);
  return getJson(apiUrl(episodePath(id)), EpisodeView, signal);
}

/** One of our episodes or, for a `mlgym:<folder>` reference, a published MLGym run: both answer an EpisodeView. */
export function fetchEpisodeRef(ref: string, signal?: AbortSignal): Promise<EpisodeView> {
  const r = parseRef(ref);
  return r.source === 'mlgym' ? fetchMlgymRun(r.folder, signal) : fetchEpisode(r.id, signal);
}

export function fetchSweeps(q: string | undefined, pageSize: number, page: string | undefined, signal?: AbortSignal): Promise<SweepList> {
  if (isStatic) return staticSweeps(q, signal);
  return getJson(apiUrl('api/sweeps', { q, pageSize, page }), SweepList, signal);
}

export function fetchSweep(id: string, signal?: AbortSignal): Promise<SweepView> {
  if (isStatic) return staticSweep(id, signal);
  return getJson(apiUrl(`api/sweeps/${encodeURIComponent(id)}`), SweepView, signal);
}

export function fetchMlgymRuns(signal?: AbortSignal): Promise<MlgymRunList> {
  if (isStatic) return staticMlgymRuns(signal);
  return getJson(apiUrl('api/mlgym/runs'), MlgymRunList, signal);
}

export function fetchMlgymRun(folder: string, signal?: AbortSignal): Promise<EpisodeView> {
  if (isStatic) return staticMlgymRun(folder, signal);
  return getJson(apiUrl(`api/mlgym/runs/${encodeURIComponent(folder)}`), EpisodeView, signal);
}

/** A step's full command output (`StepView.outputUrl`), as plain text. */
export async function fetchText(url: string, signal?: AbortSignal): Promise<string> {
  if (isStatic) return staticText(signal);
  const res = await request(apiUrl(url), signal);
  return res.text();
}

/** The live stream of a running episode: the steps after `after`, then every change of its state (none in a static export). */
export function liveUrl(id: string, after: number): string {
  return apiUrl(`${episodePath(id)}/live`, { after });
}

export function parseLiveUpdate(data: string): LiveUpdate {
  let body: unknown;
  try {
    body = JSON.parse(data);
  } catch {
    throw new ApiFailure('the live stream sent an update that is not JSON');
  }
  return parseAnswer(LiveUpdate, body);
}

export function errorText(e: unknown): string {
  if (e instanceof ApiFailure) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

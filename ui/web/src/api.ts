/**
 * The viewer's server, seen from the page: relative URLs (the viewer may live under a path prefix),
 * the access token passed on to every call, and every JSON answer checked against the shared
 * contract so a server of another version fails with a named field instead of a blank page.
 */
import { z } from 'zod';
import { ApiError, EpisodeView, LiveUpdate, RunList, type RunFilters } from '../../shared/api';

/** A failed call, with the text the page shows. `status` is absent when the server was not reached. */
export class ApiFailure extends Error {
  readonly status?: number;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'ApiFailure';
    this.status = status;
  }
}

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

/**
 * A link the server gave (a step's `temporalUrl`): a relative one is the server's own API, which
 * wants the token too; an absolute one (the Temporal UI) is left alone.
 */
export function serverLink(url: string): string {
  return /^[a-z][a-z0-9+.-]*:|^\/\//i.test(url) ? url : apiUrl(url);
}

export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}

export function fetchRuns(filters: RunFilters, pageSize: number, page: string | undefined, signal?: AbortSignal): Promise<RunList> {
  return getJson(apiUrl('api/runs', { ...filters, pageSize, page }), RunList, signal);
}

export function episodePath(id: string): string {
  return `api/episodes/${encodeURIComponent(id)}`;
}

export function fetchEpisode(id: string, signal?: AbortSignal): Promise<EpisodeView> {
  return getJson(apiUrl(episodePath(id)), EpisodeView, signal);
}

/** A step's full command output (`StepView.outputUrl`), as plain text. */
export async function fetchText(url: string, signal?: AbortSignal): Promise<string> {
  const res = await request(apiUrl(url), signal);
  return res.text();
}

/** The live stream of a running episode: the steps after `after`, then every change of its state. */
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

/**
 * Which episode a page or a comparison shows, as one string: our episodes by their id, a published
 * MLGym run as `mlgym:<folder>`. One string fits a URL's query (`#/compare?a=…&b=…`) and a text box;
 * our episode ids never start with `mlgym:` (they start with a task id, `baseline--` or `bench-`).
 */

export const MLGYM_PREFIX = 'mlgym:';

export type EpisodeRef = { source: 'temporal'; id: string } | { source: 'mlgym'; folder: string };

export function parseRef(ref: string): EpisodeRef {
  return ref.startsWith(MLGYM_PREFIX) ? { source: 'mlgym', folder: ref.slice(MLGYM_PREFIX.length) } : { source: 'temporal', id: ref };
}

export function mlgymRef(folder: string): string {
  return `${MLGYM_PREFIX}${folder}`;
}

/** The page of an episode or MLGym run, as a hash href (plain anchors cost nothing over 1,000 rows). */
export function refHref(ref: string): string {
  const r = parseRef(ref);
  return r.source === 'mlgym' ? mlgymHref(r.folder) : `#/episodes/${encodeURIComponent(r.id)}`;
}

export function mlgymHref(folder: string): string {
  return `#/mlgym/${encodeURIComponent(folder)}`;
}

/** `#/compare?a=…&b=…` for two references. */
export function compareHref(a: string, b: string): string {
  return `#/compare?${new URLSearchParams({ a, b }).toString()}`;
}

/**
 * What a user typed to name an episode: an id, `mlgym:<folder>`, or a pasted link to either page
 * (`…#/episodes/<id>?step=3`, `…#/mlgym/<folder>`), which is read back into a reference.
 */
export function refFromInput(text: string): string | undefined {
  const t = text.trim();
  if (!t) return undefined;
  const link = /#\/(episodes|mlgym)\/([^?#]+)/.exec(t);
  if (!link) return t;
  let name: string;
  try {
    name = decodeURIComponent(link[2]);
  } catch {
    name = link[2];
  }
  return link[1] === 'mlgym' ? mlgymRef(name) : name;
}

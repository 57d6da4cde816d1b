/** How numbers and times read on every page, so the run list and the episode page agree. */

export const DASH = '—';

export function formatCost(usd: number | undefined): string {
  return usd === undefined ? DASH : `$${usd.toFixed(4)}`;
}

/** Scores span accuracies (0.8123), losses (3.2e-5) and rewards (1234.5): four significant digits read well for all. */
export function formatScore(n: number | undefined): string {
  if (n === undefined) return DASH;
  if (Number.isInteger(n)) return String(n);
  const abs = Math.abs(n);
  if (abs >= 1e5 || abs < 1e-3) return n.toPrecision(4);
  return String(Number(n.toPrecision(abs >= 1 ? 6 : 4)));
}

export function formatDuration(sec: number | undefined): string {
  if (sec === undefined || !Number.isFinite(sec)) return DASH;
  const s = Math.max(0, Math.round(sec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h}h ${pad(m)}m ${pad(rest)}s`;
  if (m > 0) return `${m}m ${pad(rest)}s`;
  return `${rest}s`;
}

/** Wall times of one step are often under a second: keep a decimal there. */
export function formatSeconds(sec: number | undefined): string {
  if (sec === undefined) return DASH;
  return sec < 10 ? `${sec.toFixed(1)}s` : formatDuration(sec);
}

/** Local time, sortable at a glance (`2025-01-31 14:05`); a hand-written format is much cheaper than toLocaleString over 1,000 rows. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function formatInt(n: number | undefined): string {
  return n === undefined ? DASH : n.toLocaleString('en-US');
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return DASH;
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

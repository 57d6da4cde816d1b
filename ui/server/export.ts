import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { EpisodeView, StaticExport } from '../shared/api';
import { renderReportHtml } from '../../lib/report/render';
import type { ArtifactStore } from '../../activities/artifacts/store';
import { mapLimited } from '../../activities/async';
import { loadEpisode } from './episode-view';
import { sweepPage } from './sweeps';

const REPORT_FILE = 'sweep-report.html';
const SCRIPT_TAG = /<script type="module" crossorigin src="\.\/(assets\/[^"]+\.js)"><\/script>/;
const STYLE_TAG = /<link rel="stylesheet" crossorigin href="\.\/(assets\/[^"]+\.css)">/;

export interface ExportedSweep {
  file: string;
  reportFile: string;
  episodes: number;
  /** Cells whose episode could not be read, and why. */
  skipped: { episodeId: string; reason: string }[];
  bytes: number;
}

/** An exported step has no server behind it: no full output to fetch, no redirect to follow. */
function withoutServerLinks(view: EpisodeView): EpisodeView {
  return {
    ...view,
    steps: view.steps.map(({ outputUrl: _output, temporalUrl, ...step }) => ({
      ...step,
      ...(temporalUrl && !temporalUrl.startsWith('api/') && { temporalUrl }),
    })),
  };
}

/** JSON inside a <script>: nothing in it may close the tag or end the line for JavaScript. */
const scriptJson = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/** The built app as one file: its script and style inlined (Chromium runs no module script from file://), the data before them. */
export function staticPage(distDir: string, data: StaticExport): string {
  const index = readFileSync(path.join(distDir, 'index.html'), 'utf8');
  const script = SCRIPT_TAG.exec(index);
  const style = STYLE_TAG.exec(index);
  if (!script || !style)
    throw new Error(
      `${path.join(distDir, 'index.html')} does not load one script and one style as the build writes them: rebuild it (bash scripts/provision/ui.sh)`,
    );
  const js = readFileSync(path.join(distDir, script[1]), 'utf8').replace(/<\/script/gi, '<\\/script');
  const css = readFileSync(path.join(distDir, style[1]), 'utf8').replace(/<\/style/gi, '<\\/style');
  return index
    .replace(style[0], () => `<style>${css}</style>`)
    .replace(script[0], () => `<script>window.__MLGYM_STATIC__ = ${scriptJson(data)};</script>\n<script type="module">${js}</script>`);
}

/**
 * `mlgym ui export`: the sweep page, the run list of its episodes, each episode's page and the
 * comparisons, as one self-contained index.html (plus the report it frames) that opens from disk.
 */
export async function exportSweep(client: Client, store: ArtifactStore, sweepId: string, outDir: string, distDir: string): Promise<ExportedSweep> {
  const { view, report } = await sweepPage(client, sweepId);
  const ids = [...new Set(view.cells.flatMap((c) => (c.episodeId ? [c.episodeId] : [])))];
  const skipped: ExportedSweep['skipped'] = [];
  const loaded = await mapLimited(ids, 4, async (episodeId) => {
    try {
      return withoutServerLinks(await loadEpisode(client, store, episodeId));
    } catch (err) {
      skipped.push({ episodeId, reason: (err as Error).message.split('\n')[0] });
      return undefined;
    }
  });
  const episodes = Object.fromEntries(loaded.flatMap((e) => (e ? [[e.summary.episodeId, e]] : [])));
  const data: StaticExport = {
    kind: 'sweep-export',
    generatedAt: new Date().toISOString(),
    sweep: { ...view, reportUrl: REPORT_FILE },
    episodes,
    runs: Object.values(episodes).map((e) => e.summary),
  };
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'index.html');
  const page = staticPage(distDir, data);
  writeFileSync(file, page);
  const reportFile = path.join(outDir, REPORT_FILE);
  writeFileSync(reportFile, renderReportHtml(report));
  return { file, reportFile, episodes: Object.keys(episodes).length, skipped, bytes: Buffer.byteLength(page) };
}

import { buildSweepReport, reportInputOf, sweepReportKeys, type SweepReportSource } from '../lib/report/sweep-report';
import { renderReportHtml, renderReportJson, renderReportMarkdown } from '../lib/report/render';
import { artifactStoreFromEnv } from './artifacts';

export interface WrittenReport {
  keys: { json: string; markdown: string; html: string };
  /** Where the HTML report is (a file path or an s3:// URI). */
  htmlLocation: string;
}

/**
 * Builds a sweep's report (scores per task, AUP, performance profiles, cost, exit statuses) and
 * stores report.json, report.md and report.html under sweeps/<id>/ in the artifact store. Called
 * by the sweep workflow when it ends; idempotent (a retry overwrites the same keys).
 */
export async function writeSweepReport(source: SweepReportSource): Promise<WrittenReport> {
  const store = artifactStoreFromEnv();
  const report = buildSweepReport(reportInputOf(source, new Date().toISOString()));
  const keys = sweepReportKeys(source.sweepId);
  await store.put(keys.json, renderReportJson(report));
  await store.put(keys.markdown, renderReportMarkdown(report));
  await store.put(keys.html, renderReportHtml(report));
  return { keys: { json: keys.json, markdown: keys.markdown, html: keys.html }, htmlLocation: store.locate(keys.html) };
}

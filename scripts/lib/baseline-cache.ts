import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { COMPLETE_MARKER, dataLocation, dataRoot } from '../../activities/sandbox/task-data';
import type { Scale, TaskConfig } from '../../lib/task-config';
import { dataVariantOf, type MeasuredBaseline } from '../../lib/task-scale';
import { contentHash } from './content-hash';
import { imageId } from './docker-cli';

/**
 * Baselines measured by `mlgym tasks baseline`, one file per (task, scale) under the data root.
 * A measurement is the starter's score on one setup, so it is used only while that setup stands:
 * the same image, the same prepared data and the same task files (starter, evaluator, scale files).
 */

const CachedBaseline = z.object({
  task: z.string(),
  scale: z.enum(['small', 'paper']),
  scores: z.record(z.string(), z.number()),
  setup: z.object({ image: z.string(), data: z.string(), taskFiles: z.string() }),
  measuredAt: z.string(),
  host: z.string(),
  seconds: z.number(),
  episodeId: z.string(),
});
export type CachedBaseline = z.infer<typeof CachedBaseline>;

export const baselineFile = (taskId: string, scale: Scale): string => path.join(dataRoot(), '_baselines', `${taskId}--${scale}.json`);

/** What a measurement depends on, as hashes; `image` is absent when the image is not on this machine. */
export function currentSetup(task: TaskConfig, taskDir: string): CachedBaseline['setup'] {
  const marker = path.join(dataLocation(task.id, dataVariantOf(task.scale ?? 'small')).dir, COMPLETE_MARKER);
  return {
    image: imageId(task.image) ?? 'absent',
    data: task.data ? (existsSync(marker) ? contentHash([readFileSync(marker, 'utf8')]) : 'unprepared') : 'none',
    taskFiles: contentHash([{ tree: taskDir }]),
  };
}

/** The cached measurement of a task at a scale, when its setup is still this machine's. */
export function readBaseline(task: TaskConfig, taskDir: string, scale: Scale): MeasuredBaseline | undefined {
  const file = baselineFile(task.id, scale);
  if (!existsSync(file)) return undefined;
  // A file cut short or edited by hand is no measurement: the declared baseline stands.
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const parsed = CachedBaseline.safeParse(raw);
  if (!parsed.success) return undefined;
  const cached = parsed.data;
  const now = currentSetup({ ...task, scale }, taskDir);
  if (cached.setup.image !== now.image || cached.setup.data !== now.data || cached.setup.taskFiles !== now.taskFiles) return undefined;
  return { scores: cached.scores, source: describeMeasurement(cached) };
}

export function writeBaseline(entry: CachedBaseline): string {
  const file = baselineFile(entry.task, entry.scale);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(entry, null, 2));
  renameSync(`${file}.tmp`, file);
  return file;
}

export const describeMeasurement = (cached: CachedBaseline): string =>
  `measured by \`mlgym tasks baseline\` on ${cached.measuredAt.slice(0, 10)} on host ${cached.host} (${Math.round(cached.seconds)} s, ` +
  `episode ${cached.episodeId}, image ${cached.setup.image.replace(/^sha256:/, '').slice(0, 12)}, data ${cached.setup.data})`;

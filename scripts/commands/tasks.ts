import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { RuntimeKind } from '../../lib/episode';
import { describeIssues } from '../../lib/task-config';
import { TaskDataError } from '../../activities/sandbox/errors';
import { DATA_VARIANTS, type DataVariant, findPreparedData, prepareTaskData } from '../../activities/sandbox/task-data';
import { loadTask, listTaskIds, TaskError } from '../lib/tasks';
import { baselineOrigin, Conditions, DEFAULT_CONDITIONS, DEFAULT_SCALE, Scale, scaleDifferences } from '../../lib/task-scale';
import { loadTaskAt } from '../lib/task-at-scale';
import { measureBaseline } from './tasks-baseline';
import { usage } from '../lib/help';
import { printJson, say, flagError, UsageError } from '../lib/output';

export async function tasksCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'list') return listTasks(rest);
  if (sub === 'validate') return validateTask(rest);
  if (sub === 'prepare') return prepareTasks(rest);
  if (sub === 'baseline') return measureBaseline(rest);
  throw new UsageError(usage('tasks'));
}

const ListFlags = z.object({
  scale: Scale.default(DEFAULT_SCALE),
  conditions: Conditions.default(DEFAULT_CONDITIONS),
  json: z.boolean().default(false),
});

async function listTasks(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: { scale: { type: 'string' }, conditions: { type: 'string' }, json: { type: 'boolean' } },
  });
  const parsed = ListFlags.safeParse(values);
  if (!parsed.success) throw flagError(parsed.error, 1);
  const { scale, conditions, json } = parsed.data;
  const rows = await Promise.all(
    listTaskIds().map(async (id) => {
      try {
        const { config, measured } = loadTaskAt(id, { scale, conditions });
        const differences = scaleDifferences(config, scale);
        return {
          id,
          name: config.name,
          domain: config.domain,
          metric: config.metric.name,
          direction: config.metric.direction,
          scale,
          conditions,
          gpus: config.resources.gpus,
          network: config.network,
          baseline: config.baseline_scores[0]?.[config.metric.name] ?? null,
          baselineOrigin: baselineOrigin(config, scale, measured),
          baselineSource: config.baseline_source,
          ...(differences && { differences }),
          image: config.image,
          /** Which data variants are prepared on this machine; null for tasks without data. */
          data: config.data ? await preparedVariants(id) : null,
        };
      } catch (err) {
        return { id, error: (err as Error).message };
      }
    }),
  );
  if (json) printJson({ scale, conditions, tasks: rows });
  else {
    say(`scale ${scale}, conditions ${conditions} (baseline: the starter's score at this scale; see --json for its source)`);
    const table = [['ID', 'METRIC', 'GPUS', 'NETWORK', 'BASELINE', 'BASELINE FROM', 'IMAGE', 'DATA']];
    for (const r of rows) {
      if ('error' in r) {
        table.push([r.id, `INVALID: ${r.error}`]);
        continue;
      }
      const data = r.data === null ? '-' : r.data.length ? r.data.join(',') : 'not prepared';
      table.push([
        r.id,
        `${r.metric} ${r.direction === 'max' ? '↑' : '↓'}`,
        String(r.gpus),
        r.network ? 'on' : 'off',
        r.baseline === null ? '-' : String(r.baseline),
        r.baselineOrigin,
        r.image,
        data,
      ]);
    }
    const full = table.filter((row) => row.length === table[0].length);
    const widths = table[0].map((_, i) => Math.max(...full.map((row) => row[i].length)));
    for (const row of table) say(row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i]) : cell)).join('  '));
  }
  return rows.some((r) => 'error' in r) ? 1 : 0;
}

async function preparedVariants(taskId: string): Promise<DataVariant[]> {
  const found = await Promise.all(DATA_VARIANTS.map(async (variant) => ((await findPreparedData(taskId, variant)) ? variant : undefined)));
  return found.filter((v): v is DataVariant => v !== undefined);
}

function validateTask(argv: string[]): number {
  const [target, ...extra] = argv;
  if (!target || extra.length) throw new UsageError(usage('tasks', 'validate'));
  try {
    const { config, file } = loadTask(target);
    say(`${file}: valid task "${config.id}" (${config.metric.name}, ${config.metric.direction})`);
    return 0;
  } catch (err) {
    if (err instanceof TaskError) {
      say(err.message);
      return 1;
    }
    throw err;
  }
}

const PrepareFlags = z.object({
  small: z.boolean().default(false),
  /** `--scale paper` is the full data, `--scale small` the same as --small. */
  scale: Scale.optional(),
  source: z.string().min(1).optional(),
  force: z.boolean().default(false),
  runtime: RuntimeKind.default('docker'),
  json: z.boolean().default(false),
});

/** Fetches (or, with --small, generates) the data of one task or of every task that has data. */
async function prepareTasks(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      small: { type: 'boolean' },
      scale: { type: 'string' },
      source: { type: 'string' },
      force: { type: 'boolean' },
      runtime: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const parsed = PrepareFlags.safeParse(values);
  if (!parsed.success) throw new UsageError(`${describeIssues(parsed.error)}\n${usage('tasks', 'prepare')}`);
  const flags = parsed.data;
  if (positionals.length !== 1) throw new UsageError(usage('tasks', 'prepare'));
  const [target] = positionals;
  if (flags.source && !existsSync(flags.source))
    throw new UsageError(`--source ${flags.source} does not exist: it should be the folder holding the downloaded files`);
  if (target === 'all' && flags.source) throw new UsageError("--source names one task's downloaded files: use it with a single task id");
  const tasks =
    target === 'all'
      ? listTaskIds()
          .map((id) => loadTask(id))
          .filter((t) => t.config.data)
      : [loadTask(target)];
  if (tasks.length === 1 && !tasks[0].config.data) {
    say(`task ${tasks[0].config.id} has no data to prepare (its files ship with the task)`);
    return 0;
  }
  if (flags.small && flags.scale === 'paper') throw new UsageError('--small and --scale paper contradict each other: the paper scale runs on the full data');
  const variant = flags.small || flags.scale === 'small' ? 'small' : 'full';
  const results: { id: string; status: 'prepared' | 'already prepared' | 'failed'; dir?: string; error?: string; seconds?: number }[] = [];
  for (const { config, dir } of tasks) {
    const existing = flags.force ? undefined : await findPreparedData(config.id, variant);
    if (existing) {
      say(`${config.id}: ${variant} data already prepared in ${existing.dir} (--force prepares it again)`);
      results.push({ id: config.id, status: 'already prepared', dir: existing.dir });
      continue;
    }
    say(`${config.id}: preparing the ${variant} data${config.data?.source && variant === 'full' ? ` from ${config.data.source}` : ''}...`);
    const started = Date.now();
    try {
      const prepared = await prepareTaskData(config, dir, {
        variant,
        runtime: flags.runtime,
        sourceDir: flags.source,
        force: flags.force,
        onOutput: (line) => say(`  ${config.id}| ${line}`),
      });
      const seconds = Math.round((Date.now() - started) / 100) / 10;
      say(`${config.id}: ${variant} data ready in ${prepared.dir} (${seconds} s)`);
      results.push({ id: config.id, status: 'prepared', dir: prepared.dir, seconds });
    } catch (err) {
      if (!(err instanceof TaskDataError)) throw err;
      say(`${config.id}: ${err.message}`);
      results.push({ id: config.id, status: 'failed', error: err.message });
    }
  }
  if (flags.json) printJson({ variant, tasks: results });
  return results.some((r) => r.status === 'failed') ? 1 : 0;
}

import { loadTask, listTaskIds, TaskError } from '../lib/tasks';
import { printJson, say, UsageError } from '../lib/output';

export async function tasksCommand(argv: string[]): Promise<number> {
  const [sub, target, ...rest] = argv;
  if (sub === 'list') {
    const rows = listTaskIds().map((id) => {
      try {
        const { config } = loadTask(id);
        return { id, name: config.name, domain: config.domain, metric: config.metric.name, direction: config.metric.direction, baseline: config.baseline_scores[0]?.[config.metric.name] ?? null, image: config.image };
      } catch (err) {
        return { id, error: (err as Error).message };
      }
    });
    if (argv.includes('--json')) printJson({ tasks: rows });
    else for (const r of rows) say('error' in r ? `${r.id}\tINVALID: ${r.error}` : `${r.id}\t${r.domain}\t${r.metric} (${r.direction})\tbaseline ${r.baseline}\t${r.image}`);
    return rows.some((r) => 'error' in r) ? 1 : 0;
  }
  if (sub === 'validate') {
    if (!target || rest.length) throw new UsageError('usage: mlgym tasks validate <path/to/task.yaml>');
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
  throw new UsageError('usage: mlgym tasks list [--json] | mlgym tasks validate <path>');
}

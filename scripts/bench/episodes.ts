import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { REPO_ROOT } from '../lib/settings';

/** What the bench scripts share: the task they run, replayed replies, and how a step is timed. */
export const GUESS_TASK = path.join(REPO_ROOT, 'tests/fixtures/tasks/guess/task.yaml');

export const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const reply = (command: string) => `DISCUSSION\nNext.\n\n\`\`\`\n${command}\n\`\`\`\n`;

/** A replay trajectory that runs these commands, then submits. */
export function writeReplay(file: string, commands: string[]): string {
  writeFileSync(file, JSON.stringify({ trajectory: [...commands, 'submit'].map((command) => ({ response: reply(command) })) }));
  return file;
}

/** Intervals between successive model calls, steady state (the first two steps start the sandbox and warm caches). */
export function stepIntervalsMs(events: temporal.api.history.v1.IHistoryEvent[]): number[] {
  const calls = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'callModel').map((e) => tsToMs(e.eventTime));
  return calls.slice(3).map((at, i) => at - calls[i + 2]);
}

import type { z } from 'zod';
import { describeIssues } from '../../lib/task-config';

/** Human progress goes to stderr; stdout is reserved for --json output. */
export const say = (message: string) => process.stderr.write(`${message}\n`);

export class UsageError extends Error {}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A zod error about CLI flags as a usage error naming each flag (`--scale: Invalid option ...`). */
export const flagError = (error: z.ZodError, limit = Infinity): UsageError => new UsageError(describeIssues(error, limit).replace(/^(\S+):/gm, '--$1:'));

/** Human progress goes to stderr; stdout is reserved for --json output. */
export const say = (message: string) => process.stderr.write(`${message}\n`);

export class UsageError extends Error {}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

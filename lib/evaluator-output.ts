/**
 * Finds the metrics in an evaluator's stdout: the LAST JSON object printed, so stray prints before
 * it (progress, warnings, a debugging line in the agent's strategy) are not format errors.
 */
export type ParsedMetrics = { ok: true; metrics: Record<string, number> } | { ok: false; error: string };

export function parseEvaluatorOutput(stdout: string): ParsedMetrics {
  const end = stdout.lastIndexOf('}');
  if (end < 0) return { ok: false, error: 'the evaluator printed no JSON object' };
  // Try each '{' before the last '}' from the nearest backwards: the first that parses is the object.
  for (let start = stdout.lastIndexOf('{', end); start >= 0; start = stdout.lastIndexOf('{', start - 1)) {
    let value: unknown;
    try {
      value = JSON.parse(stdout.slice(start, end + 1));
    } catch {
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    const metrics: Record<string, number> = {};
    for (const [name, raw] of Object.entries(value)) {
      if (typeof raw === 'number' && Number.isFinite(raw)) metrics[name] = raw;
    }
    if (Object.keys(metrics).length === 0)
      return { ok: false, error: `the evaluator's JSON has no numeric metric: ${stdout.slice(start, end + 1).slice(0, 200)}` };
    return { ok: true, metrics };
  }
  return { ok: false, error: 'the evaluator output has no parsable JSON object' };
}

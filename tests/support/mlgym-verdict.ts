import type { Evaluation } from '../../lib/episode';
import type { PublishedRun, StarterFile } from './mlgym-runs';

/**
 * Judging one replayed run against what MLGym recorded (issue 9, acceptance 1): the same exit
 * status and a final score (`agent[-1]`, the priority metric) within the bar's tolerance; and,
 * to say why a run misses, where our observations left MLGym's. Pure: no I/O.
 */

/** The bar's tolerance per priority metric: games' Score 0.03, House Price's r2 0.02; others 0.02. */
const SCORE_TOLERANCE: Record<string, number> = { Score: 0.03, r2: 0.02 };
export const toleranceFor = (metric: string): number => SCORE_TOLERANCE[metric] ?? 0.02;

/** How our episode ended: with an exit status, or without one (and then `failure` says why). */
export type OurOutcome =
  | { ended: 'finished'; exitStatus: string; score?: number; steps: number }
  | { ended: 'import failed' | 'episode failed' | 'timed out'; failure: string; steps?: number };

/** One evaluateSubmission activity of our episode, as its workflow history tells it. */
export interface EvaluationRecord {
  seconds: number;
  status: string;
  /** The evaluation's message (the validate observation, or why it failed). */
  message: string;
}

/** A step whose observation differs from MLGym's: the first line where they part. */
export interface Divergence {
  step: number;
  action: string;
  recorded: string;
  ours: string;
}

export interface RunVerdict {
  folder: string;
  /** Our episode (its artifacts are under the report's artifactsDir); none when the import failed. */
  episodeId?: string;
  label: string;
  task: string;
  metric: string;
  tolerance: number;
  recorded: { exitStatus: string; score?: number; steps: number };
  ours: OurOutcome;
  delta?: number;
  match: boolean;
  /** Why it does not match (empty when it does). */
  why: string[];
  seconds: number;
  /** Wall time of each evaluation (validate or submit) of our episode, in seconds. */
  evaluationSeconds: number[];
  /** Starter files rebuilt from the run's own view because it differs from the checkout's. */
  rebuilt: Pick<StarterFile, 'name' | 'reason'>[];
  /** Steps whose observation differs from MLGym's (validate: scored or not; submit: not compared). */
  divergences: Divergence[];
}

/** `gpt4o2 blotto #0` for `metagen-gpt4o2__blotto__..._run_0`. */
export const runLabel = (run: Pick<PublishedRun, 'model' | 'task' | 'runIndex'>): string =>
  `${run.model.replace(/^metagen-/, '')} ${run.task} #${run.runIndex}`;

export interface JudgeInput {
  run: PublishedRun;
  episodeId?: string;
  metric: string;
  ours: OurOutcome;
  evaluations: EvaluationRecord[];
  divergences: Divergence[];
  rebuilt: StarterFile[];
  seconds: number;
}

export function judge({ run, episodeId, metric, ours, evaluations, divergences, rebuilt, seconds }: JudgeInput): RunVerdict {
  const tolerance = toleranceFor(metric);
  const recorded = { exitStatus: run.exitStatus, score: run.scores.at(-1)?.[metric], steps: run.steps.length };
  const why: string[] = [];
  let delta: number | undefined;
  if (ours.ended !== 'finished') {
    why.push(ours.failure);
  } else {
    if (ours.exitStatus !== recorded.exitStatus) why.push(`exit status ${JSON.stringify(ours.exitStatus)}, recorded ${JSON.stringify(recorded.exitStatus)}`);
    if (ours.score !== undefined && recorded.score !== undefined) {
      delta = ours.score - recorded.score;
      if (Math.abs(delta) > tolerance) why.push(`score off by ${delta.toFixed(4)} (tolerance ${tolerance})`);
    } else if (ours.score !== recorded.score) {
      why.push(ours.score === undefined ? 'no final score, MLGym has one' : 'a final score, MLGym has none');
    }
    // Why our final submission was not scored, in the evaluator's own words.
    const final = evaluations.at(-1);
    if (why.length && final && final.status !== 'scored') why.push(`our final evaluation: ${final.status}: ${gist(final.message)}`);
  }
  if (recorded.exitStatus === '') why.push('MLGym recorded no exit status for this run');
  return {
    folder: run.folder,
    episodeId,
    label: runLabel(run),
    task: run.task,
    metric,
    tolerance,
    recorded,
    ours,
    delta,
    match: why.length === 0,
    why,
    seconds,
    evaluationSeconds: evaluations.map((e) => e.seconds),
    rebuilt: rebuilt.filter((f) => f.differsFromCheckout).map(({ name, reason }) => ({ name, reason })),
    divergences,
  };
}

/** A step of our trajectory file (see activities/finish.ts). */
export interface OurStep {
  step: number;
  action: string;
  observation: string;
}

/** Lines without trailing blanks, blank lines dropped: the same output printed by two terminals. */
const normalise = (text: string): string[] =>
  text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '');

/**
 * Steps where our observation differs from MLGym's. Validate steps compare only whether both were
 * scored (the scores themselves come from simulations); submit and MLGym's exit_* steps are not
 * compared. A step we never reached ends the comparison.
 */
export function observationDivergences(run: PublishedRun, ourSteps: OurStep[], ourEvaluations: Pick<Evaluation, 'kind' | 'step'>[]): Divergence[] {
  const ours = new Map(ourSteps.map((s) => [s.step, s]));
  const scoredSteps = new Set(ourEvaluations.filter((e) => e.kind === 'validate').map((e) => e.step));
  const divergences: Divergence[] = [];
  for (const [index, recorded] of run.steps.entries()) {
    const step = index + 1;
    const action = recorded.action.trim();
    if (action === 'submit' || action.startsWith('exit_')) continue;
    const mine = ours.get(step);
    const firstLine = action.split('\n')[0];
    if (!mine) {
      divergences.push({ step, action: firstLine, recorded: preview(recorded.observation), ours: '(our episode has no such step)' });
      break;
    }
    if (action === 'validate') {
      const recordedScored = recorded.observation.includes('Evaluation Score:');
      if (recordedScored !== scoredSteps.has(step))
        divergences.push({ step, action: firstLine, recorded: preview(recorded.observation), ours: preview(mine.observation) });
      continue;
    }
    const [theirs, mineLines] = [normalise(recorded.observation), normalise(mine.observation)];
    const at = theirs.findIndex((line, i) => line !== mineLines[i]);
    const partsAt = at >= 0 ? at : theirs.length !== mineLines.length ? theirs.length : -1;
    if (partsAt >= 0) {
      divergences.push({ step, action: firstLine, recorded: clip(theirs[partsAt] ?? '(end of output)'), ours: clip(mineLines[partsAt] ?? '(end of output)') });
    }
  }
  return divergences;
}

const clip = (line: string): string => (line.length > 160 ? `${line.slice(0, 160)}…` : line);
const preview = (text: string): string => clip(normalise(text)[0] ?? '(no output)');

/** The first and last lines of a message: what failed, and (of a traceback) the error itself. */
function gist(message: string): string {
  const lines = normalise(message);
  return clip(lines.length > 1 ? `${lines[0]} … ${lines.at(-1)?.trim()}` : (lines[0] ?? ''));
}

/**
 * What MLGym's environment does with an action and its output, as pure functions: which timeout a
 * command gets, the malformed-edit check, the validate/submit markers its tools print, how raw
 * output becomes an observation, and the messages the model sees. Shared by the workflow (which
 * decides) and the activities (which run and record).
 */

/** MLGym gives a command the task's training timeout when any of these occurs anywhere in it. */
export const TRAINING_COMMANDS = ['torchrun', 'python', 'python3', 'accelerate', 'deepspeed'] as const;
/** MLGym's timeout for every other command (its AGENT_SHORT_ACTION_TIMEOUT). */
export const SHORT_COMMAND_TIMEOUT_SEC = 25;
/** MLGym's no-output timeout: by default equal to its long timeout, 3600 s. */
export const NO_OUTPUT_TIMEOUT_SEC = 3600;

/** MLGym matches substrings, so `cat python_notes.txt` gets the training timeout too. */
export function isTrainingCommand(action: string): boolean {
  return TRAINING_COMMANDS.some((name) => action.includes(name));
}

/** `edit s:e` at the very start of the action without any `end_of_edit`: MLGym refuses it, using a step. */
export function isMalformedEdit(action: string): boolean {
  return /^edit\s+(\d+):(\d+)(?:\n|$|\s)/.test(action) && !action.includes('end_of_edit');
}

export const MALFORMED_EDIT_OBSERVATION = 'Malformed edit command. Please ensure you use the `end_of_edit` keyword to mark the end of your edit.';

/**
 * The tools `validate` and `submit` print markers that the environment looks for in a command's
 * output, so `python train.py && validate` trains, then validates. Validation wins when both appear.
 */
export function evaluationMarker(output: string): 'validate' | 'submit' | undefined {
  if (/<<VALIDATION\|\|[\s\S]*\|\|VALIDATION>>/.test(output)) return 'validate';
  if (/<<SUBMISSION\|\|[\s\S]*\|\|SUBMISSION>>/.test(output)) return 'submit';
  return undefined;
}

/** A tqdm progress bar (`45%|████      | 45/100 [00:01<00:02, ...]`), optionally after a label. */
const TQDM = /(?:.*?:\s*)?(\d+%\|.*?\|.*\[.*?\])/;
/** Python's str.splitlines boundaries: progress bars redrawn with \r become lines of their own. */
// eslint-disable-next-line no-control-regex -- Python also splits at the file, group and record separators.
const LINE_BOUNDARY = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

/** The output as MLGym shows it: CRLF normalised, tqdm progress lines and empty lines dropped. */
export function observationFromOutput(output: string): string {
  return output
    .replace(/\r\n/g, '\n')
    .split(LINE_BOUNDARY)
    .filter((line) => line !== '' && !TQDM.test(line))
    .join('\n');
}

export function timeoutObservation(output: string, timeoutSec: number, noOutput: boolean): string {
  return noOutput
    ? `${output}\nEXECUTION TIMED OUT BECAUSE NO OUTPUT WAS PRODUCED FOR MORE THAN ${timeoutSec} SECONDS.\nPLEASE REFINE YOUR RUNNING COMMAND SO IT WILL PRODUCE OUTPUT IN THE SPECIFIED TIME FRAME.`
    : `${output}\nEXECUTION TIMED OUT BECAUSE THE COMMAND WAS RUNNING FOR MORE THAN ${timeoutSec} SECONDS.`;
}

/** Python's repr of a float, as MLGym's f-strings print metrics (`2.0`, `1e-05`, `0.1234`). */
export function pythonFloat(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const exponent = Math.floor(Math.log10(Math.abs(value)));
  if (exponent < -4 || exponent >= 16) {
    const [mantissa, exp] = value.toExponential().split('e');
    const sign = exp.startsWith('-') ? '-' : '+';
    return `${mantissa}e${sign}${exp.replace(/^[-+]/, '').padStart(2, '0')}`;
  }
  const text = String(value);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/** Python's repr of a metrics dict: `{'Score': 1.25, 'rmse': 30340.1}`. */
export function pythonDict(metrics: Record<string, number>): string {
  return `{${Object.entries(metrics)
    .map(([key, value]) => `'${key}': ${pythonFloat(value)}`)
    .join(', ')}}`;
}

/** What MLGym tells the agent after a successful `validate`. */
export function validationObservation(submissionPath: string, metrics: Record<string, number>, baseline: Record<string, number> | undefined): string {
  const baselineText = baseline ? pythonDict(baseline) : 'NA (no baseline was there)';
  return `Your code produced a valid submission artefact at ${submissionPath}.\nBaseline Score: ${baselineText}\nEvaluation Score: ${pythonDict(metrics)}`;
}

export const SUBMISSION_NOT_FOUND_OBSERVATION =
  'Submission artefact not found. You have to produce a valid submission artefact as described in the task description to validate your results.';

/** The observation of the step that ended the episode, as MLGym records it. */
export function exitObservation(reason: string): string {
  return `Exited (${reason})`;
}

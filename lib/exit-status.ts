import type { ExitReason } from './episode';

/** MLGym's exit statuses: what ended the episode, and what became of its final submission. */
export type SubmissionOutcome = 'scored' | 'not_found' | 'evaluation_error';

export function exitStatus(reason: ExitReason, outcome: SubmissionOutcome): string {
  if (outcome === 'not_found') return `submission_not_found (${reason})`;
  if (outcome === 'evaluation_error') return `evaluation_format_error (${reason})`;
  return reason === 'submit' ? 'submitted' : `autosubmission (${reason})`;
}

/** The exit reason inside an exit status, the inverse of exitStatus: `submitted` is a submit. */
export function exitReasonOf(status: string): string | undefined {
  if (status === 'submitted') return 'submit';
  return /^(?:autosubmission|submission_not_found|evaluation_format_error) \((.+)\)$/.exec(status)?.[1];
}

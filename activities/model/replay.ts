import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { estimateTextTokens, estimateTokens } from '../../lib/pricing';
import { costLimitExceeded, replayedContextExceeded, replayExhausted, replayUnreadable } from './errors';
import type { Completion, CompletionRequest, ModelProvider } from './provider';
import { describeIssues } from '../../lib/task-config';

/**
 * MLGym's `.traj`: one entry per step, holding the step's last reply (`response`) and what MLGym
 * made of it (`action`: the command, or `exit_format` / `exit_context` / `exit_cost` for a step that
 * ended the run). Our own demo trajectories carry only `response`.
 */
const RecordedStep = z.looseObject({ response: z.string(), action: z.string().default('') });
type RecordedStep = z.infer<typeof RecordedStep>;
const MlgymTrajectory = z.looseObject({ trajectory: z.array(RecordedStep).min(1) });
/** A hand-written script of replies, in YAML or JSON. */
const ReplyList = z.looseObject({ replies: z.array(z.string()).min(1) });

/**
 * What a replay answers from. An MLGym trajectory answers by step: it keeps only the last reply of
 * each step, so every attempt of a step (MLGym re-asks after a malformed reply) gets that reply. A
 * reply list answers by call, in order, re-asks included.
 */
export type ReplayScript = { by: 'step'; steps: RecordedStep[] } | { by: 'call'; replies: string[] };

function scriptOf(document: unknown): ReplayScript {
  const has = (key: string) => typeof document === 'object' && document !== null && key in document;
  if (has('trajectory')) {
    const traj = MlgymTrajectory.safeParse(document);
    if (!traj.success) throw new Error(describeIssues(traj.error, 1));
    return { by: 'step', steps: traj.data.trajectory };
  }
  if (has('replies')) {
    const list = ReplyList.safeParse(document);
    if (!list.success) throw new Error(describeIssues(list.error, 1));
    return { by: 'call', replies: list.data.replies };
  }
  throw new Error('expected an MLGym trajectory {"trajectory": [{"response": ...}]} or {replies: [text, ...]}');
}

function parseDocument(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // YAML is a superset of JSON, so its error is the informative one; its first line says where.
    try {
      return YAML.parse(text);
    } catch (err) {
      throw new Error(`neither JSON nor YAML: ${String((err as Error).message).split('\n')[0]}`, { cause: err });
    }
  }
}

function describeReadError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return "no such file (relative paths resolve from the worker's working directory)";
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EACCES') return 'permission denied';
  return (err as Error).message;
}

/** Parsed once per process; a changed mtime (a re-recorded file) is read again. */
const cache = new Map<string, { mtimeMs: number; script: ReplayScript }>();

/** The recorded replies of a trajectory file or reply list; throws a non-retryable ReplayUnreadable. */
export async function loadReplies(file: string): Promise<ReplayScript> {
  const resolved = path.resolve(file);
  let mtimeMs: number;
  let text: string;
  try {
    mtimeMs = (await stat(resolved)).mtimeMs;
    const cached = cache.get(resolved);
    if (cached?.mtimeMs === mtimeMs) return cached.script;
    text = await readFile(resolved, 'utf8');
  } catch (err) {
    throw replayUnreadable(resolved, describeReadError(err));
  }
  let script: ReplayScript;
  try {
    script = scriptOf(parseDocument(text));
  } catch (err) {
    throw replayUnreadable(resolved, (err as Error).message);
  }
  cache.set(resolved, { mtimeMs, script });
  return script;
}

/**
 * The recorded reply of `request.step`, whatever the attempt. A step that ended the recorded run on
 * its context window or budget fails as a provider would, so the episode ends the same way.
 */
function replyOfStep(file: string, steps: RecordedStep[], request: CompletionRequest): string {
  const recorded = steps[request.step - 1];
  if (recorded === undefined) throw replayExhausted(file, steps.length, 'step', request.step);
  const action = recorded.action.trim();
  if (action === 'exit_context') throw replayedContextExceeded(file, request.step);
  if (action === 'exit_cost') throw costLimitExceeded(`replay:${file}`, `the recorded run ran out of budget at step ${request.step}`);
  return recorded.response;
}

function replyOfCall(file: string, replies: string[], request: CompletionRequest): string {
  const text = replies[request.callIndex];
  if (text === undefined) throw replayExhausted(file, replies.length, 'call', request.callIndex + 1);
  return text;
}

/** Answers from a recorded script (see ReplayScript). No network, no cost. */
export class ReplayProvider implements ModelProvider {
  async complete(request: CompletionRequest): Promise<Completion> {
    const script = await loadReplies(request.model);
    const text = script.by === 'step' ? replyOfStep(request.model, script.steps, request) : replyOfCall(request.model, script.replies, request);
    return {
      text,
      usage: { inputTokens: estimateTokens(request.messages), outputTokens: estimateTextTokens(text) },
    };
  }
}

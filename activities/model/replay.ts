import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { estimateTextTokens, estimateTokens } from '../../lib/pricing';
import { describeZodError, replayExhausted, replayUnreadable } from './errors';
import type { Completion, CompletionRequest, ModelProvider } from './provider';

/** MLGym's `.traj`: each step's `response` is the model's full reply (thought and command). */
const MlgymTrajectory = z.looseObject({ trajectory: z.array(z.looseObject({ response: z.string() })).min(1) });
/** A hand-written script of replies, in YAML or JSON. */
const ReplyList = z.looseObject({ replies: z.array(z.string()).min(1) });

function repliesOf(document: unknown): string[] {
  const has = (key: string) => typeof document === 'object' && document !== null && key in document;
  if (has('trajectory')) {
    const traj = MlgymTrajectory.safeParse(document);
    if (!traj.success) throw new Error(describeZodError(traj.error));
    return traj.data.trajectory.map((step) => step.response);
  }
  if (has('replies')) {
    const list = ReplyList.safeParse(document);
    if (!list.success) throw new Error(describeZodError(list.error));
    return list.data.replies;
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
  if (code === 'ENOENT') return 'no such file (relative paths resolve from the worker\'s working directory)';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EACCES') return 'permission denied';
  return (err as Error).message;
}

/** Parsed once per process; a changed mtime (a re-recorded file) is read again. */
const cache = new Map<string, { mtimeMs: number; replies: string[] }>();

/** The recorded replies of a trajectory file; throws a non-retryable ReplayUnreadable. */
export async function loadReplies(file: string): Promise<string[]> {
  const resolved = path.resolve(file);
  let mtimeMs: number;
  let text: string;
  try {
    mtimeMs = (await stat(resolved)).mtimeMs;
    const cached = cache.get(resolved);
    if (cached?.mtimeMs === mtimeMs) return cached.replies;
    text = await readFile(resolved, 'utf8');
  } catch (err) {
    throw replayUnreadable(resolved, describeReadError(err));
  }
  let replies: string[];
  try {
    replies = repliesOf(parseDocument(text));
  } catch (err) {
    throw replayUnreadable(resolved, (err as Error).message);
  }
  cache.set(resolved, { mtimeMs, replies });
  return replies;
}

/** Answers call number `callIndex` with the reply recorded at that position. No network, no cost. */
export class ReplayProvider implements ModelProvider {
  async complete(request: CompletionRequest): Promise<Completion> {
    const replies = await loadReplies(request.model);
    const text = replies[request.callIndex];
    if (text === undefined) throw replayExhausted(request.model, replies.length, request.callIndex);
    return {
      text,
      usage: { inputTokens: estimateTokens(request.messages), outputTokens: estimateTextTokens(text) },
    };
  }
}

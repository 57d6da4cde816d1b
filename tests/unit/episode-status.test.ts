import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EpisodeLimits, type EpisodeProgress } from '../../lib/episode';
import { billModelCall, limitReached, recordEvaluation, startingProgress } from '../../lib/episode-progress';
import { episodeResult } from '../../lib/episode-result';
import { episodeSearchAttributes, episodeStatus, type EpisodeFlags } from '../../lib/episode-status';
import { SA } from '../../lib/search-attributes';
import type { TaskConfig } from '../../lib/task-config';

const task = { id: 'guess', metric: { name: 'Score', direction: 'max' } } as TaskConfig;
const input = { episodeId: 'ep', task, model: 'openai:m', sweepId: undefined };
const sandbox = { runtime: 'local' as const, episodeId: 'ep', workspace: '/w', home: '/h', host: 'host-1' };

/** Three steps in: a validate on the test split, one on the validation split, a submit. */
function progressAt3(): EpisodeProgress {
  const progress = startingProgress(EpisodeLimits.parse({ max_steps: 5, cost_limit_usd: 1 }));
  progress.step = 1;
  recordEvaluation(progress, 'validate', { metrics: { Score: 3 }, split: 'test' });
  progress.step = 2;
  recordEvaluation(progress, 'validate', { metrics: { Score: 9 }, split: 'validation' });
  progress.step = 3;
  recordEvaluation(progress, 'submit', { metrics: { Score: 2 }, split: 'test' });
  return Object.assign(progress, { costUsd: 0.5, lastAction: 'submit', sandbox });
}

test('model calls are billed whatever their reply; evaluations are kept with their step and split', () => {
  const progress = startingProgress(EpisodeLimits.parse({}));
  assert.deepEqual(progress, {
    step: 0,
    transcriptLength: 0,
    modelCalls: 0,
    costUsd: 0,
    usage: { inputTokens: 0, outputTokens: 0 },
    evaluations: [],
    limits: EpisodeLimits.parse({}),
  });
  billModelCall(progress, { costUsd: 0.25, usage: { inputTokens: 10, outputTokens: 2 } });
  billModelCall(progress, { costUsd: 0.5, usage: { inputTokens: 5, outputTokens: 1 } });
  assert.deepEqual([progress.modelCalls, progress.costUsd, progress.usage], [2, 0.75, { inputTokens: 15, outputTokens: 3 }]);
  assert.deepEqual(progressAt3().evaluations[1], { kind: 'validate', step: 2, metrics: { Score: 9 }, split: 'validation' });
  recordEvaluation(progress, 'submit', { metrics: { Score: 1 } });
  assert.deepEqual(progress.evaluations, [{ kind: 'submit', step: 0, metrics: { Score: 1 } }], 'no split recorded when none was said');
});

test('limits: the cost limit ends the episode before a step; the step limit only without MLGym accounting', () => {
  const progress = startingProgress(EpisodeLimits.parse({ max_steps: 2, cost_limit_usd: 1 }));
  assert.equal(limitReached(progress, true), undefined);
  progress.step = 2;
  assert.equal(limitReached(progress, true), undefined, 'MLGym asks the model once more after the last step');
  assert.equal(limitReached(progress, false), 'max_steps');
  progress.step = 1;
  progress.costUsd = 1;
  assert.equal(limitReached(progress, true), 'exit_cost');
  progress.limits = { ...progress.limits, cost_limit_usd: 0 };
  assert.equal(limitReached(progress, true), undefined, 'a cost limit of 0 is none');
});

test('the status query: counters, limits, best test-split score, and the phase a person sees', () => {
  const flags: EpisodeFlags = { phase: 'running', paused: false };
  assert.deepEqual(episodeStatus(input, progressAt3(), flags), {
    episodeId: 'ep',
    phase: 'running',
    paused: false,
    step: 3,
    maxSteps: 5,
    costUsd: 0.5,
    costLimitUsd: 1,
    bestScore: 3,
    lastAction: 'submit',
    sandbox,
    exitStatus: undefined,
    blockedReason: undefined,
  });
  const phase = (f: Partial<EpisodeFlags>) => episodeStatus(input, progressAt3(), { ...flags, ...f }).phase;
  assert.equal(phase({ paused: true }), 'paused');
  assert.equal(phase({ paused: true, phase: 'evaluating' }), 'evaluating', 'a pause takes effect after the running activity');
  assert.equal(phase({ paused: true, blockedReason: 'the provider rejected the key' }), 'blocked');
  assert.equal(episodeStatus(input, progressAt3(), { phase: 'done', paused: false, exitStatus: 'submitted' }).exitStatus, 'submitted');
});

test('search attributes: sweep only for sweep episodes, best score once there is one, blocked reason cleared with null', () => {
  const attributes = episodeSearchAttributes({ ...input, sweepId: 's' }, progressAt3(), 'blocked', 'x'.repeat(2000));
  assert.deepEqual(attributes, [
    { key: SA.task, value: 'guess' },
    { key: SA.model, value: 'openai:m' },
    { key: SA.sweep, value: 's' },
    { key: SA.status, value: 'blocked' },
    { key: SA.step, value: 3 },
    { key: SA.cost, value: 0.5 },
    { key: SA.blockedReason, value: 'x'.repeat(1000) },
    { key: SA.bestScore, value: 3 },
  ]);
  const fresh = episodeSearchAttributes(input, startingProgress(EpisodeLimits.parse({})), 'starting', undefined);
  assert.deepEqual(
    fresh.map((a) => [a.key.name, a.value]),
    [
      ['MlgymTask', 'guess'],
      ['MlgymModel', 'openai:m'],
      ['MlgymStatus', 'starting'],
      ['MlgymStep', 0],
      ['MlgymCost', 0],
      ['MlgymBlockedReason', null],
    ],
  );
});

test('the result: the last test-split evaluation is the score, the best over test-split evaluations the best score', () => {
  const paths = { resultsPath: 'r.json', trajectoryPath: 't.traj' };
  const progress = progressAt3();
  assert.deepEqual(episodeResult(input, progress, 'submitted', paths), {
    episodeId: 'ep',
    task: 'guess',
    model: 'openai:m',
    exitStatus: 'submitted',
    steps: 3,
    costUsd: 0.5,
    usage: { inputTokens: 0, outputTokens: 0 },
    score: { Score: 2 },
    bestScore: 3,
    evaluations: progress.evaluations,
    resultsPath: 'r.json',
    trajectoryPath: 't.traj',
  });
  // A final evaluation without a score (submission not found): MLGym's last score is the last validate.
  progress.evaluations.pop();
  assert.deepEqual(episodeResult(input, progress, 'submission_not_found (max_steps)', paths).score, { Score: 3 });
  assert.equal(episodeResult(input, startingProgress(EpisodeLimits.parse({})), 'submission_not_found (submit)', paths).score, undefined);
});

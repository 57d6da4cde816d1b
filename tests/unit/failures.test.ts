import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { mapLimited, settleWithin } from '../../activities/async';
import * as sandboxErrors from '../../activities/sandbox/errors';
import { FailureType, hasFailureType, NON_RETRYABLE_TYPES, rootCause } from '../../lib/failures';

test('every sandbox error is reported under a failure type of lib/failures', () => {
  const types = new Set<string>(Object.values(FailureType));
  for (const [name, ErrorClass] of Object.entries(sandboxErrors)) {
    const instance = new (ErrorClass as new (...args: string[]) => Error)('episode-1', 'detail');
    assert.ok(types.has(instance.name), `${name} is thrown as "${instance.name}", which lib/failures does not know`);
  }
});

test('permanent failures are non-retryable; the ones that may pass are not', () => {
  for (const permanent of [
    FailureType.SandboxImageMissing,
    FailureType.TaskLayout,
    FailureType.TaskData,
    FailureType.MissingApiKey,
    FailureType.ResumePointInvalid,
    FailureType.SandboxDiskUnavailable,
  ]) {
    assert.ok(NON_RETRYABLE_TYPES.includes(permanent), permanent);
  }
  for (const passing of [
    FailureType.DockerUnreachable,
    FailureType.ProviderUnavailable,
    FailureType.SandboxGone,
    FailureType.DetachedStart,
    FailureType.SandboxDisk,
  ]) {
    assert.ok(!NON_RETRYABLE_TYPES.includes(passing), passing);
  }
});

test('hasFailureType looks through the activity failure; rootCause gives the innermost first line', () => {
  const cause = ApplicationFailure.create({ type: FailureType.ContextWindowExceeded, message: 'too long\nsecond line' });
  const wrapped = new ActivityFailure('Activity task failed', 'callModel', '1', RetryState.NON_RETRYABLE_FAILURE, 'identity', cause);
  assert.ok(hasFailureType(wrapped, FailureType.ContextWindowExceeded));
  assert.ok(hasFailureType(cause, FailureType.ContextWindowExceeded));
  assert.ok(!hasFailureType(wrapped, FailureType.CostLimitExceeded));
  assert.ok(!hasFailureType(new Error('plain'), FailureType.ContextWindowExceeded));
  assert.equal(rootCause(wrapped), 'too long');
});

test('settleWithin: the value when in time, done: false when not', async () => {
  assert.deepEqual(await settleWithin(Promise.resolve(7), 1000), { done: true, value: 7 });
  const never = new Promise<number>(() => undefined);
  assert.deepEqual(await settleWithin(never, 20), { done: false });
  await assert.rejects(settleWithin(Promise.reject(new Error('boom')), 1000), /boom/);
});

test('mapLimited: keeps order and never exceeds its limit', async () => {
  let inFlight = 0;
  let most = 0;
  const results = await mapLimited([5, 1, 4, 2, 3, 0], 2, async (n) => {
    inFlight += 1;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setTimeout(resolve, n * 3));
    inFlight -= 1;
    return n * 10;
  });
  assert.deepEqual(results, [50, 10, 40, 20, 30, 0]);
  assert.equal(most, 2);
  assert.deepEqual(await mapLimited([], 4, async () => 1), []);
});

import {
  type ActivityOptions,
  ActivityCancellationType,
  type RetryPolicy,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type * as activities from '../activities';
import type { CallModelInput, CallModelResult } from '../activities/call-model';
import {
  DEFAULT_HOST_LOST_AFTER_SEC,
  type EpisodeInput,
  type EpisodePhase,
  type EpisodeProgress,
  type EpisodeResult,
  type Evaluation,
  type ExitReason,
  type HostLoss,
  type ResumeRequest,
  type SandboxHandle,
} from '../lib/episode';
import { exitStatus, type SubmissionOutcome } from '../lib/exit-status';
import { preview } from '../lib/truncate';
import { parseAgentCommand } from '../lib/agent-commands';
import { blockingReason, isHostSilent, NON_RETRYABLE_TYPES } from '../lib/failures';
import { snapshotExcludes, snapshotSettings } from '../lib/snapshot';
import { hostQueue, provisioningQueue } from '../lib/task-queues';
import { hostLoss, hostLossObservation } from '../lib/host-loss';
import { isTrainingCommand, NO_OUTPUT_TIMEOUT_SEC } from '../lib/mlgym-env';
import { cancelSignal, pauseSignal, raiseLimitsSignal, resumeSignal, statusQuery } from '../lib/episode-messages';
import { billModelCall, limitReached, recordEvaluation, startingProgress } from '../lib/episode-progress';
import { episodeResult } from '../lib/episode-result';
import { episodeSearchAttributes, episodeStatus } from '../lib/episode-status';

const RETRY: RetryPolicy = { initialInterval: '2s', maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE_TYPES };

const SHORT: ActivityOptions = { startToCloseTimeout: '5 minutes', retry: RETRY };

/**
 * How long a silent long activity waits before it is retried elsewhere: what a SIGKILLed worker costs.
 * They beat every few seconds (commands at least every 5 s, provisioning every 20 s); a retry that
 * was not needed re-attaches, so a short timeout costs little.
 */
const HEARTBEAT_SEC = 60;

/** A sandbox may wait hours for its host's GPUs (or, in a fleet, for a host with room): it heartbeats while it waits. */
const PROVISION: ActivityOptions = { startToCloseTimeout: '1 day', heartbeatTimeout: HEARTBEAT_SEC * 1000, retry: RETRY };

const COMMAND: ActivityOptions = {
  startToCloseTimeout: '3 hours',
  // On a cancel, wait until the command's process tree is killed before autosubmitting.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  heartbeatTimeout: HEARTBEAT_SEC * 1000,
  retry: { ...RETRY, maximumAttempts: 20 },
};

/** Restoring a workspace copies its files back in: it may take a while, so it heartbeats. */
const RESTORE: ActivityOptions = { startToCloseTimeout: '1 hour', heartbeatTimeout: HEARTBEAT_SEC * 1000, retry: RETRY };

const { startTranscript, finishEpisode, loadResumePoint } = proxyActivities<typeof activities>(SHORT);

const { callModel } = proxyActivities<typeof activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '30 seconds',
  // Provider outages are waited out; a rejected request fails fast (non-retryable types).
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

/** Making, restoring and moving a sandbox: on the shared provisioning queue where episodes route by host. */
function provisioningCalls(taskQueue?: string) {
  const { prepareSandbox } = proxyActivities<typeof activities>({ ...PROVISION, taskQueue });
  const { restoreSandbox, relocateSandbox } = proxyActivities<typeof activities>({ ...RESTORE, taskQueue });
  return { prepareSandbox, restoreSandbox, relocateSandbox };
}

/**
 * What an episode does to an existing sandbox. Routed by host, on the host's own queue: a host that
 * picks nothing up within `lostAfterSec` (nor heartbeats a running command) is silent, the call
 * fails with a schedule-to-start timeout, and the episode relocates (see relocateSandbox).
 */
function sandboxCalls(host?: { taskQueue: string; lostAfterSec: number }) {
  // Durations in ms.
  const route = host && { taskQueue: host.taskQueue, scheduleToStartTimeout: host.lostAfterSec * 1000 };
  const beating = host && { ...route, heartbeatTimeout: Math.min(host.lostAfterSec, HEARTBEAT_SEC) * 1000 };
  const { execCommand, evaluateSubmission } = proxyActivities<typeof activities>({ ...COMMAND, ...beating });
  const { recordObservation, teardownSandbox } = proxyActivities<typeof activities>({ ...SHORT, ...route });
  return { execCommand, evaluateSubmission, recordObservation, teardownSandbox };
}

/**
 * One agent episode: prepare a sandbox, then loop model call -> command -> observation until the
 * agent submits or a limit is hit; autosubmit the current artefact on every other exit; write the
 * trajectory and results; tear the sandbox down. The transcript lives in the artifact store: the
 * workflow carries only counters, references and short previews, and continues-as-new every
 * `steps_per_run` steps so each run's history stays small.
 */
export async function episodeWorkflow(input: EpisodeInput, carried?: EpisodeProgress, resume?: ResumeRequest): Promise<EpisodeResult> {
  const progress: EpisodeProgress = carried ?? startingProgress(input.limits);
  let phase: EpisodePhase = carried ? 'running' : 'starting';
  let paused = false;
  let cancelReason: string | undefined;
  let finalStatus: string | undefined;
  let blockedReason: string | undefined;
  const stepScope = new CancellationScope();
  // Episodes started before the agent interface followed MLGym's step and billing rules keep theirs.
  const mlgymAccounting = patched('mlgym-step-accounting');
  // What an MLGym agent YAML (--agent-config) changes in the activities; nothing without one.
  const agent = input.agent;
  const stepTemplates = agent && { nextStepTemplate: agent.nextStepTemplate, nextStepNoOutputTemplate: agent.nextStepNoOutputTemplate, env: agent.env };
  const modelSettings = agent && { historyProcessor: agent.historyProcessor, formatError: agent.formatError, outputParser: agent.outputParser };
  const toolEnv = agent && { WINDOW: String(agent.window), OVERLAP: String(agent.overlap) };
  // Episodes started before fleets ran every sandbox activity on their own task queue.
  const routed = patched('host-routing');
  const baseQueue = workflowInfo().taskQueue;
  const provisioning = provisioningCalls(routed ? provisioningQueue(baseQueue, input.task.resources.gpus) : undefined);
  const onSandbox = (handle: SandboxHandle) =>
    sandboxCalls(
      routed ? { taskQueue: hostQueue(baseQueue, handle.host), lostAfterSec: progress.limits.host_lost_after_sec ?? DEFAULT_HOST_LOST_AFTER_SEC } : undefined,
    );

  setHandler(statusQuery, () => episodeStatus(input, progress, { phase, paused, blockedReason, exitStatus: finalStatus }));
  setHandler(pauseSignal, () => void (paused = true));
  setHandler(resumeSignal, () => {
    paused = false;
    blockedReason = undefined;
  });
  setHandler(cancelSignal, (reason) => {
    cancelReason = reason ?? 'cancelled by user';
    stepScope.cancel();
  });
  setHandler(raiseLimitsSignal, (raise) => {
    progress.limits = { ...progress.limits, ...raise };
  });

  const publish = (status: string) =>
    upsertSearchAttributes(episodeSearchAttributes(input, progress, status, blockedReason, routed ? progress.sandbox?.host : undefined));

  if (resume && !carried) {
    // `mlgym episode resume`: a new run of an episode that failed or was terminated. Its progress
    // at the resume step comes from the stored artifacts; its transcript is already stored.
    const point = await loadResumePoint.executeWithOptions({ summary: `resume: progress at step ${resume.fromStep}` }, [
      { episodeId: input.episodeId, fromStep: resume.fromStep },
    ]);
    Object.assign(progress, point, { limits: resume.limits ?? input.limits });
    publish('starting');
    const restored = await provisioning.restoreSandbox.executeWithOptions({ summary: `resume: workspace of step ${resume.fromStep}` }, [
      {
        episodeId: input.episodeId,
        taskDir: input.taskDir,
        task: input.task,
        runtime: input.runtime,
        snapshotStep: point.snapshotStep,
        exclude: snapshotExcludes(input.task),
      },
    ]);
    progress.sandbox = restored.handle;
  } else if (!progress.sandbox) {
    publish('starting');
    progress.sandbox = await provisioning.prepareSandbox.executeWithOptions({ summary: `sandbox: ${input.runtime} for ${input.task.id}` }, [
      { episodeId: input.episodeId, taskDir: input.taskDir, task: input.task, runtime: input.runtime },
    ]);
    progress.transcriptLength = await startTranscript({
      episodeId: input.episodeId,
      task: input.task,
      workspace: progress.sandbox.workspace,
      maxSteps: progress.limits.max_steps,
      ...(agent && { agent }),
    });
  }
  phase = 'running';
  publish('running');

  /**
   * Runs `call` on the sandbox. When its host goes silent, the sandbox is relocated: if it stayed
   * where it was (the host came back), the call is made again and re-attaches; if it moved, the
   * loss is returned for the caller to tell the agent.
   */
  const onHost = async <T>(
    step: number,
    call: (calls: ReturnType<typeof onSandbox>, handle: SandboxHandle) => Promise<T>,
  ): Promise<{ done: T } | { lost: HostLoss }> => {
    for (;;) {
      const handle = progress.sandbox!;
      try {
        return { done: await call(onSandbox(handle), handle) };
      } catch (err) {
        if (!routed || !isHostSilent(err)) throw err;
        const relocated = await provisioning.relocateSandbox.executeWithOptions({ summary: `host ${handle.host} silent: relocating the sandbox` }, [
          {
            episodeId: input.episodeId,
            taskDir: input.taskDir,
            task: input.task,
            runtime: input.runtime,
            snapshotStep: progress.snapshotStep,
            exclude: snapshotExcludes(input.task),
            previous: handle,
          },
        ]);
        progress.sandbox = relocated.handle;
        publish('running');
        if (relocated.moved) {
          const lost = hostLoss(handle.host, step, relocated.report?.snapshotStep, relocated.handle.host);
          (progress.hostLosses ??= []).push(lost);
          return { lost };
        }
      }
    }
  };

  /** Answers a step without running anything (a refused action, a lost host); the step still counts. */
  const observe = async (step: number, observation: string): Promise<void> => {
    for (;;) {
      const recorded = await onHost(step, (calls, handle) =>
        calls.recordObservation({
          episodeId: input.episodeId,
          step,
          handle,
          observation,
          transcriptLength: progress.transcriptLength,
          maxSteps: progress.limits.max_steps,
          ...(stepTemplates && { stepTemplates }),
        }),
      );
      if ('done' in recorded) {
        progress.transcriptLength = recorded.done.transcriptLength;
        return;
      }
      observation = hostLossObservation(recorded.lost);
    }
  };

  /**
   * A validate (a step: a lost host is told as its observation) or the final submit (made again on
   * the relocated sandbox, whose workspace came back from the last snapshot).
   */
  const evaluate = async (kind: Evaluation['kind'], asStep: boolean): Promise<SubmissionOutcome | undefined> => {
    phase = 'evaluating';
    for (;;) {
      const evaluated = await onHost(progress.step, (calls, handle) =>
        calls.evaluateSubmission.executeWithOptions({ summary: `${kind}: ${input.task.submission_path}` }, [
          {
            episodeId: input.episodeId,
            step: progress.step,
            kind,
            asStep,
            handle,
            taskDir: input.taskDir,
            task: input.task,
            transcriptLength: progress.transcriptLength,
            maxSteps: progress.limits.max_steps,
            validateSplit: progress.limits.validate_split,
            ...(stepTemplates && { stepTemplates }),
          },
        ]),
      );
      if ('lost' in evaluated) {
        if (kind === 'submit') continue;
        await observe(progress.step, hostLossObservation(evaluated.lost));
        phase = 'running';
        return undefined;
      }
      const outcome = evaluated.done;
      progress.transcriptLength = outcome.transcriptLength;
      if (outcome.status === 'scored') recordEvaluation(progress, kind, outcome);
      phase = 'running';
      return outcome.status;
    }
  };

  /**
   * A model call. A request the provider rejects (bad key, no access, unknown model) is not retried:
   * the episode waits in a visible `blocked` state until someone fixes the cause and resumes it.
   */
  const askModel = async (step: number, args: CallModelInput): Promise<CallModelResult> => {
    for (;;) {
      try {
        return await callModel.executeWithOptions({ summary: `model: ${input.model} step ${step}` }, [args]);
      } catch (err) {
        const reason = blockingReason(err);
        if (reason === undefined || !patched('block-on-rejected-provider')) throw err;
        blockedReason = reason;
        publish('blocked');
        await condition(() => blockedReason === undefined);
        publish('running');
      }
    }
  };

  /** Runs one step; returns why the episode must end, or undefined to go on. */
  const runStep = async (): Promise<ExitReason | undefined> => (mlgymAccounting ? runMlgymStep() : runLegacyStep());

  /**
   * One step as MLGym's agent and environment take it: the model is asked (re-asked up to
   * max_format_retries times after a malformed reply, the last re-query paid for but not read),
   * every call is billed and the one that reaches the cost limit ends the episode; the step counts
   * even when it ends the episode (a reply past the step limit is recorded, not run); a refused
   * action (a malformed edit) uses its step; a command's output may carry the validate or submit
   * marker of MLGym's tools.
   */
  const runMlgymStep = async (): Promise<ExitReason | undefined> => {
    const limits = progress.limits;
    const step = progress.step + 1;
    const formatErrors: { replyKey: string; error: string }[] = [];
    let action: string | undefined;
    let exit: ExitReason | undefined;
    // The activity appended the step's reply (or MLGym's exit record) to the transcript.
    let appended = false;
    for (let attempt = 0; action === undefined; attempt++) {
      const reply = await askModel(step, {
        episodeId: input.episodeId,
        model: input.model,
        modelParams: input.modelParams,
        costLimitUsd: limits.cost_limit_usd,
        costSoFarUsd: progress.costUsd,
        step,
        attempt,
        lastRequery: attempt > 0 && attempt === limits.max_format_retries,
        callIndex: progress.modelCalls,
        transcriptLength: progress.transcriptLength,
        historyObservations: limits.history_observations,
        formatErrors,
        ...modelSettings,
      });
      billModelCall(progress, reply);
      if (reply.kind === 'action') {
        action = reply.action;
        exit = reply.exit;
        appended = true;
      } else if (reply.kind === 'context_exceeded') {
        action = exit = 'exit_context';
      } else if (attempt >= limits.max_format_retries) {
        // Without re-queries (max_format_retries 0) the first malformed reply ends the episode.
        action = exit = 'exit_format';
      } else {
        formatErrors.push({ replyKey: reply.replyKey, error: reply.error });
      }
    }
    if (appended) progress.transcriptLength += 1;
    progress.step = step;
    progress.lastAction = preview(action, 200);
    if (step > limits.max_steps) return 'max_steps';
    if (exit) return exit;

    const command = parseAgentCommand(action);
    // A refused action (MLGym's malformed edit among them) is answered without running anything.
    if (command.kind === 'submit') {
      return 'submit';
    } else if (command.kind === 'validate') {
      await evaluate('validate', true);
    } else if (command.kind === 'invalid') {
      await observe(step, command.error);
    } else {
      const ran = await onHost(step, (calls, handle) =>
        calls.execCommand.executeWithOptions({ summary: `exec: ${preview(command.command, 80)}` }, [
          {
            episodeId: input.episodeId,
            step,
            handle,
            command: command.command,
            timeoutSec: command.long || isTrainingCommand(action) ? input.task.training_timeout : input.task.command_timeout,
            noOutputTimeoutSec: NO_OUTPUT_TIMEOUT_SEC,
            observationChars: limits.observation_chars,
            ...(stepTemplates && { stepTemplates }),
            ...(toolEnv && { toolEnv }),
            transcriptLength: progress.transcriptLength,
            maxSteps: limits.max_steps,
            snapshot: snapshotSettings(input.task, limits, progress.snapshotStep),
          },
        ]),
      );
      if ('lost' in ran) {
        await observe(step, hostLossObservation(ran.lost));
        publish('running');
        return undefined;
      }
      const result = ran.done;
      progress.transcriptLength = result.transcriptLength;
      if (result.snapshot?.manifestStep !== undefined) progress.snapshotStep = result.snapshot.manifestStep;
      if (result.marker === 'submit') return 'submit';
      if (result.marker === 'validate') await evaluate('validate', true);
    }
    publish('running');
    return undefined;
  };

  const runLegacyStep = async (): Promise<ExitReason | undefined> => {
    const limits = progress.limits;
    const step = progress.step + 1;
    const formatErrors: { replyKey: string; error: string }[] = [];
    let action: string | undefined;
    for (let attempt = 0; attempt <= limits.max_format_retries && action === undefined; attempt++) {
      const reply = await askModel(step, {
        episodeId: input.episodeId,
        model: input.model,
        modelParams: input.modelParams,
        costLimitUsd: limits.cost_limit_usd,
        step,
        attempt,
        callIndex: progress.modelCalls,
        transcriptLength: progress.transcriptLength,
        historyObservations: limits.history_observations,
        formatErrors,
      });
      billModelCall(progress, reply);
      if (reply.kind === 'context_exceeded') return 'exit_context';
      if (reply.kind === 'action' && reply.exit) return reply.exit;
      if (reply.kind === 'format_error') formatErrors.push({ replyKey: reply.replyKey, error: reply.error });
      else action = reply.action;
    }
    if (action === undefined) return 'exit_format';
    // MLGym semantics: the call that crosses the budget is paid for but its action is not run.
    if (limits.cost_limit_usd > 0 && progress.costUsd > limits.cost_limit_usd) return 'exit_cost';
    progress.transcriptLength += 1;
    progress.step = step;
    progress.lastAction = preview(action, 200);

    const command = parseAgentCommand(action);
    if (command.kind === 'submit') return 'submit';
    if (command.kind === 'validate') {
      await evaluate('validate', true);
    } else if (command.kind === 'shell') {
      const result = await onSandbox(progress.sandbox!).execCommand.executeWithOptions({ summary: `exec: ${preview(command.command, 80)}` }, [
        {
          episodeId: input.episodeId,
          step,
          handle: progress.sandbox!,
          command: command.command,
          timeoutSec: command.long ? input.task.training_timeout : input.task.command_timeout,
          observationChars: limits.observation_chars,
          transcriptLength: progress.transcriptLength,
          maxSteps: limits.max_steps,
          snapshot: snapshotSettings(input.task, limits, progress.snapshotStep),
        },
      ]);
      progress.transcriptLength = result.transcriptLength;
      if (result.snapshot?.manifestStep !== undefined) progress.snapshotStep = result.snapshot.manifestStep;
    }
    publish('running');
    return undefined;
  };

  let exitReason: ExitReason | undefined;
  let stepsThisRun = 0;
  try {
    while (exitReason === undefined) {
      if (cancelReason) {
        exitReason = 'exit_cancel';
        break;
      }
      if (paused) publish('paused');
      await condition(() => !paused || cancelReason !== undefined);
      if (cancelReason) continue;
      exitReason = limitReached(progress, mlgymAccounting);
      if (exitReason) break;
      // MLGym's reply past the step limit ends the episode: no new run just for it.
      const lastReply = mlgymAccounting && progress.step >= progress.limits.max_steps;
      if (!lastReply && (stepsThisRun >= progress.limits.steps_per_run || workflowInfo().continueAsNewSuggested)) {
        await continueAsNew<typeof episodeWorkflow>(input, progress);
      }
      exitReason = await stepScope.run(runStep);
      stepsThisRun += 1;
    }
  } catch (err) {
    // A cancel (our signal, or Temporal's own cancel request) interrupts the running activity (its
    // heartbeat sees the cancellation); the episode still autosubmits and tears down below.
    if (!isCancellation(err)) throw err;
    cancelReason ??= 'cancelled through Temporal';
    exitReason = 'exit_cancel';
  }

  phase = 'finishing';
  const reason: ExitReason = exitReason;
  /** A sandbox whose host went silent is left for that host's reaper (it cannot be reached). */
  const tearDown = async (handle: SandboxHandle): Promise<void> => {
    try {
      await onSandbox(handle).teardownSandbox(handle);
    } catch (err) {
      if (!routed || !isHostSilent(err)) throw err;
    }
  };

  return CancellationScope.nonCancellable(async () => {
    // A submit is evaluated again after a relocation, so it always has an outcome.
    const outcome = (await evaluate('submit', reason === 'submit'))!;
    finalStatus = exitStatus(reason, outcome);
    const sandbox = progress.sandbox!;
    phase = 'finishing';
    publish(finalStatus);
    const paths = await finishEpisode({
      episodeId: input.episodeId,
      model: input.model,
      task: input.task,
      exitStatus: finalStatus,
      evaluations: progress.evaluations,
      costUsd: progress.costUsd,
      usage: progress.usage,
      modelCalls: progress.modelCalls,
      steps: progress.step,
      transcriptLength: progress.transcriptLength,
      placement: { host: sandbox.host, gpus: sandbox.gpus ?? [], ...(progress.hostLosses && { hostLosses: progress.hostLosses }) },
      ...(input.conditions && { conditions: input.conditions }),
    });
    if (!input.keepSandbox) await tearDown(sandbox);
    phase = 'done';
    return episodeResult(input, progress, finalStatus, paths);
  });
}

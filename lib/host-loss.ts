import type { HostLoss } from './episode';

/** The record of a sandbox moved off a silent host at `step`, its workspace restored from `restoredFromStep`. */
export function hostLoss(host: string, step: number, restoredFromStep: number | undefined, newHost: string): HostLoss {
  const first = (restoredFromStep ?? 0) + 1;
  return {
    host,
    step,
    ...(restoredFromStep !== undefined && { restoredFromStep }),
    lostSteps: Array.from({ length: Math.max(0, step - first + 1) }, (_, i) => first + i),
    newHost,
  };
}

/** What the agent is told in place of the output of the step its host was lost in. */
export function hostLossObservation(loss: HostLoss): string {
  const restored =
    loss.restoredFromStep === undefined
      ? 'a fresh workspace with the starter files (no snapshot had been taken yet)'
      : `the workspace as it was after step ${loss.restoredFromStep}`;
  const lost = loss.lostSteps.length === 1 ? `step ${loss.lostSteps[0]}` : `steps ${loss.lostSteps[0]} to ${loss.lostSteps.at(-1)}`;
  return (
    `The machine running your sandbox (${loss.host}) was lost, and this command did not finish. ` +
    `Your session continues on ${loss.newHost} in ${restored}: changes made by ${lost} are gone, ` +
    `and shell state (variables, current directory, open files) is reset. Re-run what you still need.`
  );
}

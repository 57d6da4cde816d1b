// Every activity the worker registers. Workflows import this module as types only.
export { prepareSandbox, teardownSandbox } from './sandbox-lifecycle';
export { startTranscript } from './episode-start';
export { callModel } from './call-model';
export { execCommand } from './exec-command';
export { recordObservation } from './record-observation';
export { evaluateSubmission } from './evaluate';
export { finishEpisode } from './finish';
export { loadResumePoint } from './resume';
export { restoreSandbox } from './snapshot/restore';
// The sweep's activities need a Temporal Client: workers register createSweepActivities(client)
// from './sweep' next to these.
export { relocateSandbox } from './snapshot/relocate';

/**
 * Where the Temporal service and our task queue are, from the environment: the settings the CLI,
 * the workers, the sweep's activities and the tests share. Reading the environment is a side
 * effect, so this lives outside lib/ (pure) and workflow code never imports it; the task queue a
 * workflow's children and activities use is the one the workflow runs on.
 */
export const TASK_QUEUE = process.env.MLGYM_TASK_QUEUE ?? 'mlgym';
export const temporalAddress = () => process.env.TEMPORAL_ADDRESS ?? 'localhost:7233';
export const temporalNamespace = () => process.env.TEMPORAL_NAMESPACE ?? 'default';

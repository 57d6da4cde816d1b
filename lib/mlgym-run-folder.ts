/** What MLGym's run folder name says: `<model>__<task>__<config>__t-<T>__p-<P>__c-<C>__install-<I>__<suffix>_run_<i>`. */
export interface MlgymRunName {
  model: string;
  task: string;
  runIndex: number;
}

export function parseRunFolder(folder: string): MlgymRunName | undefined {
  const parts = folder.split('__');
  const run = /_run_(\d+)$/.exec(folder);
  if (parts.length < 8 || !run) return undefined;
  return { model: parts[0], task: parts[1], runIndex: Number(run[1]) };
}

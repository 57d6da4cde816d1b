/**
 * Where each piece of an episode lives in the artifact store. Keys are deterministic in
 * (episode id, step, attempt) so a retried activity overwrites its own earlier write instead of
 * adding a second copy.
 */
const pad = (n: number) => String(n).padStart(6, '0');

export const episodeKeys = (episodeId: string) => {
  const root = `episodes/${episodeId}`;
  return {
    root,
    transcriptPrefix: `${root}/transcript/`,
    transcriptMessage: (seq: number) => `${root}/transcript/${pad(seq)}.json`,
    modelCall: (step: number) => `${root}/steps/${pad(step)}/model.json`,
    reply: (step: number, attempt: number) => `${root}/steps/${pad(step)}/reply-${attempt}.txt`,
    execRecord: (step: number) => `${root}/steps/${pad(step)}/exec.json`,
    execOutput: (step: number) => `${root}/steps/${pad(step)}/output.txt`,
    stepsPrefix: `${root}/steps/`,
    results: `${root}/results.json`,
    trajectory: `${root}/${episodeId}.traj`,
  };
};

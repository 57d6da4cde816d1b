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
    /** Billing of one model call (every attempt, format errors included): what a resume sums up. */
    callRecord: (step: number, attempt: number) => `${root}/steps/${pad(step)}/call-${attempt}.json`,
    execRecord: (step: number) => `${root}/steps/${pad(step)}/exec.json`,
    execOutput: (step: number) => `${root}/steps/${pad(step)}/output.txt`,
    stepsPrefix: `${root}/steps/`,
    /** The whole workspace after a step that ran a command (see lib/snapshot.ts). */
    snapshotManifest: (step: number) => `${root}/snapshots/${pad(step)}/manifest.json`,
    /** File contents of all snapshots, content-addressed by sha256. */
    snapshotBlob: (sha256: string) => `${root}/snapshots/blobs/${sha256}`,
    results: `${root}/results.json`,
    trajectory: `${root}/${episodeId}.traj`,
  };
};

import { isTestScore, type EpisodeInput, type EpisodeProgress, type EpisodeResult } from './episode';
import { bestScoreOf } from './episode-progress';

/** What an episode returns once its final evaluation, results and trajectory are written. */
export function episodeResult(
  input: Pick<EpisodeInput, 'episodeId' | 'task' | 'model'>,
  progress: EpisodeProgress,
  exitStatus: string,
  paths: Pick<EpisodeResult, 'resultsPath' | 'trajectoryPath'>,
): EpisodeResult {
  // MLGym's "last" score is results["agent"][-1]: the final evaluation, or the last validate when
  // the final one produced no score.
  const finalEvaluation = progress.evaluations.filter(isTestScore).at(-1);
  return {
    episodeId: input.episodeId,
    task: input.task.id,
    model: input.model,
    exitStatus,
    steps: progress.step,
    costUsd: progress.costUsd,
    usage: progress.usage,
    score: finalEvaluation?.metrics,
    bestScore: bestScoreOf(input.task, progress),
    evaluations: progress.evaluations,
    ...paths,
  };
}

/**
 * `#/episodes/:id`: one episode, its score over time and its steps; kept live while it runs.
 * `#/mlgym/:folder`: the same page over a published MLGym run, read once from its folder.
 */
import { useCallback } from 'react';
import { useParams, useSearchParams } from 'react-router';
import { CompareWith } from '../components/CompareWith';
import { ErrorMessage } from '../components/ErrorMessage';
import { EpisodeHeader } from '../components/EpisodeHeader';
import { RunningCommandBox } from '../components/RunningCommandBox';
import { ScoreTimeline } from '../components/ScoreTimeline';
import { Transcript } from '../components/Transcript';
import { mlgymRef, parseRef } from '../episodeRef';
import { useEpisode } from '../hooks/useEpisode';
import { useTitle } from '../hooks/useTitle';

/** A new id is a new page: no state (expanded cards, search, stream) carries over from the last episode. */
export function EpisodeRoute() {
  const { id = '' } = useParams();
  return <EpisodePage key={id} id={id} />;
}

export function MlgymEpisodeRoute() {
  const { folder = '' } = useParams();
  const ref = mlgymRef(folder);
  return <EpisodePage key={ref} id={ref} />;
}

/** `id` is an episode reference (episodeRef.ts). */
function EpisodePage({ id }: { id: string }) {
  const { view, error, live, liveError, reload } = useEpisode(id);
  const [, setParams] = useSearchParams();
  const ref = parseRef(id);
  const name = ref.source === 'mlgym' ? `MLGym run ${ref.folder}` : `Episode ${ref.id}`;
  useTitle(view ? `${view.summary.task} · ${view.summary.model} · mlgym ui` : `${name} · mlgym ui`);

  // The link also scrolls by itself: choosing the step already in the URL changes nothing there.
  const selectStep = useCallback(
    (step: number) => {
      setParams({ step: String(step) });
      document.getElementById(`step-${step}`)?.scrollIntoView({ block: 'start' });
    },
    [setParams],
  );

  if (!view) {
    if (error) return <ErrorMessage title={`${name} could not be loaded`} message={error} onRetry={reload} />;
    return <p className="muted loading">Loading {ref.source === 'mlgym' ? name : `episode ${ref.id}`}…</p>;
  }

  const headline = view.metrics[0];
  return (
    <div className="episode-page">
      <EpisodeHeader view={view} live={live} />
      <CompareWith episodeRef={id} />
      {error && <ErrorMessage title="The episode could not be refreshed" message={error} onRetry={reload} />}
      {liveError && (
        <p className="notice">
          Live updates stopped: {liveError}.{' '}
          <button type="button" onClick={reload}>
            Reconnect
          </button>
        </p>
      )}
      {view.summary.running && view.runningCommand && <RunningCommandBox rc={view.runningCommand} />}
      <ScoreTimeline
        steps={view.steps}
        metrics={view.metrics}
        baseline={(headline && view.baseline?.[headline.name]) ?? view.summary.baseline}
        maxSteps={view.limits.maxSteps}
        onSelect={selectStep}
      />
      <Transcript view={view} episodeId={id} />
    </div>
  );
}

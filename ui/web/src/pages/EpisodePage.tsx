/** `#/episodes/:id`: one episode, its score over time and its steps; kept live while it runs. */
import { useCallback } from 'react';
import { useParams, useSearchParams } from 'react-router';
import { ErrorMessage } from '../components/ErrorMessage';
import { EpisodeHeader } from '../components/EpisodeHeader';
import { RunningCommandBox } from '../components/RunningCommandBox';
import { ScoreTimeline } from '../components/ScoreTimeline';
import { Transcript } from '../components/Transcript';
import { useEpisode } from '../hooks/useEpisode';
import { useTitle } from '../hooks/useTitle';

/** A new id is a new page: no state (expanded cards, search, stream) carries over from the last episode. */
export function EpisodeRoute() {
  const { id = '' } = useParams();
  return <EpisodePage key={id} id={id} />;
}

function EpisodePage({ id }: { id: string }) {
  const { view, error, live, liveError, reload } = useEpisode(id);
  const [, setParams] = useSearchParams();
  useTitle(view ? `${view.summary.task} · ${view.summary.model} · mlgym ui` : `Episode ${id} · mlgym ui`);

  // The link also scrolls by itself: choosing the step already in the URL changes nothing there.
  const selectStep = useCallback(
    (step: number) => {
      setParams({ step: String(step) });
      document.getElementById(`step-${step}`)?.scrollIntoView({ block: 'start' });
    },
    [setParams],
  );

  if (!view) {
    if (error) return <ErrorMessage title={`Episode ${id} could not be loaded`} message={error} onRetry={reload} />;
    return <p className="muted loading">Loading episode {id}…</p>;
  }

  const headline = view.metrics[0];
  return (
    <div className="episode-page">
      <EpisodeHeader view={view} live={live} />
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

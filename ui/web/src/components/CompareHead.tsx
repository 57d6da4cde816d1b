/** One side's header on the episode comparison: which episode, where it stands, its scores and cost. */
import { memo } from 'react';
import type { EpisodeView } from '../../../shared/api';
import { refHref } from '../episodeRef';
import { DASH, formatCost, formatScore } from '../format';
import { Fact } from './Fact';

interface Props {
  side: 'A' | 'B';
  episodeRef: string;
  view: EpisodeView;
  live: boolean;
}

export const CompareHead = memo(function CompareHead({ side, episodeRef, view, live }: Props) {
  const s = view.summary;
  const headline = view.metrics[0];
  return (
    <header className={`compare-head side-${side.toLowerCase()}`} data-testid="compare-head" data-side={side}>
      <div className="episode-title">
        <span className="side-tag">{side}</span>
        <h2>
          <a href={refHref(episodeRef)}>
            {s.task} <span className="muted">·</span> {s.model}
          </a>
        </h2>
        <span className={`badge${s.running ? ' badge-running' : ''}`}>{s.status}</span>
        {live && <span className="badge badge-live">● live</span>}
        {view.source === 'mlgym' && <span className="badge badge-mlgym">MLGym run</span>}
      </div>
      <p className="episode-id mono">{s.episodeId}</p>
      <dl className="facts">
        <Fact label={`Best${headline ? ` ${headline.name}` : ''}`}>{formatScore(s.bestScore)}</Fact>
        <Fact label="Last score">{formatScore(s.lastScore)}</Fact>
        <Fact label="Baseline">{formatScore(s.baseline ?? (headline ? view.baseline?.[headline.name] : undefined))}</Fact>
        {headline && <Fact label="Direction">{headline.higherIsBetter ? 'higher is better' : 'lower is better'}</Fact>}
        <Fact label="Steps">
          {s.steps}
          {view.limits.maxSteps !== undefined && <span className="muted"> / {view.limits.maxSteps}</span>}
        </Fact>
        <Fact label="Cost">{view.source === 'mlgym' && s.costUsd === 0 ? DASH : formatCost(s.costUsd)}</Fact>
        <Fact label="Exit status">{s.exitStatus ?? (s.running ? 'running' : DASH)}</Fact>
      </dl>
    </header>
  );
});

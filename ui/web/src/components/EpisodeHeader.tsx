/** What the episode is and where it stands: identity, state, cost against its limits, and its setup. */
import { memo } from 'react';
import type { EpisodeView } from '../../../shared/api';
import { linkHref } from '../api';
import { DASH, formatCost, formatDuration, formatInt, formatScore, formatTime } from '../format';
import { Fact } from './Fact';
import { TemporalLink } from './TemporalLink';

interface Props {
  view: EpisodeView;
  live: boolean;
}

// The setup fields worth a label of their own; any other field shows under its own name.
const SETUP_LABELS: Record<string, string> = {
  scale: 'Scale',
  conditions: 'Conditions',
  gpus: 'GPUs',
  network: 'Network',
  differences: 'Differences from MLGym',
};
const SETUP_ORDER = Object.keys(SETUP_LABELS);
const setupRank = (key: string) => (SETUP_ORDER.includes(key) ? SETUP_ORDER.indexOf(key) : SETUP_ORDER.length);

function setupValue(key: string, value: unknown): string {
  if (key === 'network' && typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export const EpisodeHeader = memo(function EpisodeHeader({ view, live }: Props) {
  const { summary: s, limits, setup } = view;
  const headline = view.metrics[0];
  const temporalHref = view.source === 'temporal' ? linkHref(view.temporalUrl) : undefined;
  const setupEntries = Object.entries(setup ?? {})
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .sort(([a], [b]) => setupRank(a) - setupRank(b));

  return (
    <header className="episode-header">
      <div className="episode-title">
        <h1>
          {s.task} <span className="muted">·</span> {s.model}
        </h1>
        <span className={`badge${s.running ? ' badge-running' : ''}`} data-testid="episode-status">
          {s.status}
        </span>
        {live && (
          <span className="badge badge-live" data-testid="live-badge" title="Updates arrive as the episode runs">
            ● live
          </span>
        )}
        {view.source === 'mlgym' && (
          <span className="badge badge-mlgym" data-testid="mlgym-badge" title="A published MLGym run, read from its folder: no workflow behind it">
            MLGym run
          </span>
        )}
        <TemporalLink href={temporalHref} />
      </div>
      <p className="episode-id mono">{s.episodeId}</p>
      {(view.phase || view.blockedReason) && (
        <p className={`episode-phase${view.blockedReason ? ' blocked' : ''}`}>
          {view.phase && (
            <>
              Phase: <b>{view.phase}</b>
            </>
          )}
          {view.blockedReason && <> — blocked: {view.blockedReason}</>}
        </p>
      )}
      <dl className="facts">
        <Fact label="Exit status">{s.exitStatus ?? (s.running ? 'running' : DASH)}</Fact>
        <Fact label="Steps" testId="episode-steps">
          {s.steps}
          {limits.maxSteps !== undefined && <span className="muted"> / {limits.maxSteps}</span>}
        </Fact>
        <Fact label="Cost" testId="episode-cost">
          {formatCost(s.costUsd)}
          {limits.costLimitUsd !== undefined && <span className="muted"> / {formatCost(limits.costLimitUsd)}</span>}
        </Fact>
        <Fact label="Duration">{formatDuration(s.durationSec)}</Fact>
        <Fact label={`Best${headline ? ` ${headline.name}` : ''}`}>{formatScore(s.bestScore)}</Fact>
        <Fact label="Last score">{formatScore(s.lastScore)}</Fact>
        <Fact label="Baseline">{formatScore(s.baseline ?? (headline ? view.baseline?.[headline.name] : undefined))}</Fact>
        {headline && <Fact label="Direction">{headline.higherIsBetter ? 'higher is better' : 'lower is better'}</Fact>}
        {s.sweep && <Fact label="Sweep">{s.sweep}</Fact>}
        <Fact label="Host">{s.host ?? DASH}</Fact>
        <Fact label="Started">{formatTime(s.startedAt)}</Fact>
        {s.closedAt && <Fact label="Closed">{formatTime(s.closedAt)}</Fact>}
        {limits.maxSteps !== undefined && <Fact label="Max steps">{limits.maxSteps}</Fact>}
        {limits.costLimitUsd !== undefined && <Fact label="Cost limit">{formatCost(limits.costLimitUsd)}</Fact>}
        {limits.contextTokens !== undefined && <Fact label="Context tokens">{formatInt(limits.contextTokens)}</Fact>}
        {setupEntries.map(([key, value]) => (
          <Fact key={key} label={SETUP_LABELS[key] ?? key}>
            {setupValue(key, value)}
          </Fact>
        ))}
      </dl>
    </header>
  );
});

/**
 * One step of the transcript: the model's thought, its command and what came back. Memoised, and
 * given only booleans and its own matches by the page, so focusing or toggling one card, or a
 * search that misses it, does not re-render the thousand others. `compact` is its form beside another
 * episode's step (the comparison page): a short head of each text until opened, and no element id,
 * since two cards of the same step number share that page.
 */
import { memo, useState } from 'react';
import type { StepView } from '../../../shared/api';
import { errorText, fetchText, linkHref } from '../api';
import { refHref } from '../episodeRef';
import { formatBytes, formatCost, formatInt, formatScore, formatSeconds } from '../format';
import type { StepMatches } from '../hooks/useTranscriptSearch';
import { Highlight } from './Highlight';

/** How much of an observation shows before "show all": enough to read an error, short enough for 1,000 cards. */
const COLLAPSED_LINES = 12;
const COLLAPSED_CHARS = 2000;
// Compact cards sit two to a row, a thousand rows deep: a glance at each text, the rest on demand.
const COMPACT_THOUGHT = { lines: 3, chars: 400 };
const COMPACT_OBSERVATION = { lines: 4, chars: 600 };

interface Props {
  step: StepView;
  /** An episode reference (episodeRef.ts): the step's link opens its page, ours or an MLGym run's. */
  episodeId: string;
  expanded: boolean;
  focused: boolean;
  /** Lower-case search text, only when this card has matches (else empty). */
  needle: string;
  matches?: StepMatches;
  /** The current match inside this card, -1 when it is in another. */
  activeMatch: number;
  onToggle: (step: number, open?: boolean) => void;
  onFocus: (step: number) => void;
  compact?: boolean;
}

type FullOutput = { state: 'idle' } | { state: 'loading' } | { state: 'shown' | 'hidden'; text: string } | { state: 'error'; message: string };

function lineCount(text: string): number {
  if (!text) return 0;
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return text.endsWith('\n') ? n - 1 : n;
}

/** The first lines of a long text (fewer if they are very long), and how many lines stay hidden. */
function collapse(text: string, maxLines = COLLAPSED_LINES, maxChars = COLLAPSED_CHARS): { shown: string; hiddenLines: number } {
  let end = 0;
  for (let line = 0; line < maxLines && end < text.length; line++) {
    const nl = text.indexOf('\n', end);
    end = nl === -1 ? text.length : nl + 1;
  }
  end = Math.min(end, maxChars);
  if (end >= text.length) return { shown: text, hiddenLines: 0 };
  const shown = text.slice(0, end);
  return { shown, hiddenLines: Math.max(1, lineCount(text) - lineCount(shown)) };
}

export const StepCard = memo(function StepCard({ step: s, episodeId, expanded, focused, needle, matches, activeMatch, onToggle, onFocus, compact }: Props) {
  const [full, setFull] = useState<FullOutput>({ state: 'idle' });
  const observation = s.observation ?? '';
  const { shown: head, hiddenLines } = compact ? collapse(observation, COMPACT_OBSERVATION.lines, COMPACT_OBSERVATION.chars) : collapse(observation);
  const shown = expanded ? observation : head;
  // Only a compact card shortens the thought (a full card shows it whole, as the model wrote it).
  const thoughtCut = compact && !expanded ? collapse(s.thought, COMPACT_THOUGHT.lines, COMPACT_THOUGHT.chars) : undefined;
  const thought = thoughtCut && thoughtCut.hiddenLines > 0 ? thoughtCut.shown.trimEnd() : s.thought;
  const compactToggle = compact && (hiddenLines > 0 || (thoughtCut?.hiddenLines ?? 0) > 0 || expanded);
  const c = matches?.counts;
  const n = c ? needle : '';

  const showFull = () => {
    if (!s.outputUrl) return;
    if (full.state === 'shown') return setFull({ state: 'hidden', text: full.text });
    if (full.state === 'hidden') return setFull({ state: 'shown', text: full.text });
    setFull({ state: 'loading' });
    fetchText(s.outputUrl).then(
      (text) => setFull({ state: 'shown', text }),
      (e: unknown) => setFull({ state: 'error', message: errorText(e) }),
    );
  };

  const stepHref = `${refHref(episodeId)}?step=${s.step}`;
  const temporalHref = linkHref(s.temporalUrl);
  const ev = s.evaluation;
  return (
    <article
      id={compact ? undefined : `step-${s.step}`}
      className={`step-card${compact ? ' compact' : ''}${focused ? ' focused' : ''}${ev ? ` has-eval eval-${ev.kind}` : ''}`}
      data-testid="step-card"
      data-step={s.step}
      aria-current={focused ? 'step' : undefined}
      onClick={() => onFocus(s.step)}
    >
      <header className="step-head">
        <a className="step-no" href={stepHref} title="Link to this step">
          Step {s.step}
        </a>
        {compactToggle && (
          <button type="button" className="link" data-testid="card-toggle" onClick={() => onToggle(s.step)}>
            {expanded ? 'Collapse' : 'Expand'}
          </button>
        )}
        <span className="step-facts">
          {s.executionSec !== undefined && <span title="Wall time of the command">ran {formatSeconds(s.executionSec)}</span>}
          {(s.inputTokens !== undefined || s.outputTokens !== undefined) && (
            <span title="Tokens in / out">
              {formatInt(s.inputTokens)} in / {formatInt(s.outputTokens)} out
            </span>
          )}
          {s.costUsd !== undefined && <span title="Cost of the model call">{formatCost(s.costUsd)}</span>}
          {!!s.formatErrors && (
            <span className="warn" title="Replies that failed to parse before this action">
              {s.formatErrors} format error{s.formatErrors > 1 ? 's' : ''}
            </span>
          )}
          {temporalHref && (
            <a href={temporalHref} target="_blank" rel="noreferrer">
              Temporal ↗
            </a>
          )}
        </span>
      </header>

      {ev && (
        <div className={`step-eval eval-${ev.kind}`}>
          <strong>{ev.kind === 'submit' ? 'Submitted' : 'Validated'}</strong>
          {ev.split && <span className="muted"> ({ev.split} split)</span>}
          {Object.entries(ev.metrics).map(([name, value]) => (
            <span key={name} className="metric">
              {name} <b>{formatScore(value)}</b>
            </span>
          ))}
        </div>
      )}

      {s.thought && (
        <div className="step-thought" data-testid="step-thought">
          <Highlight text={thought} needle={n} start={0} active={activeMatch} />
          {thoughtCut && thoughtCut.hiddenLines > 0 && <span className="more"> …</span>}
        </div>
      )}

      <pre className="step-action" data-testid="step-action">
        <Highlight text={s.action} needle={n} start={c?.thought ?? 0} active={activeMatch} />
      </pre>

      {(s.observation !== undefined || s.outputUrl) && (
        <div className="step-obs">
          <div className="step-obs-bar">
            <span className="label">{full.state === 'shown' ? `Full output (${formatBytes(s.outputBytes ?? full.text.length)})` : 'Observation'}</span>
            {hiddenLines > 0 && full.state !== 'shown' && !compact && (
              <button type="button" className="link" data-testid="observation-toggle" onClick={() => onToggle(s.step)}>
                {expanded ? 'Show less' : `Show all (${hiddenLines} more line${hiddenLines === 1 ? '' : 's'})`}
              </button>
            )}
            {s.outputUrl && (
              <button type="button" className="link" data-testid="full-output" onClick={showFull} disabled={full.state === 'loading'}>
                {full.state === 'loading'
                  ? 'Loading full output…'
                  : full.state === 'shown'
                    ? "Model's view"
                    : `Full output${s.outputBytes !== undefined ? ` (${formatBytes(s.outputBytes)})` : ''}`}
              </button>
            )}
          </div>
          {full.state === 'error' && <p className="inline-error">The full output could not be loaded: {full.message}</p>}
          <pre className={`step-observation${full.state === 'shown' ? ' full' : ''}`} data-testid="step-observation">
            {full.state === 'shown' ? full.text : <Highlight text={shown} needle={n} start={(c?.thought ?? 0) + (c?.action ?? 0)} active={activeMatch} />}
            {full.state !== 'shown' && !expanded && hiddenLines > 0 && <span className="more">{'\n'}…</span>}
          </pre>
        </div>
      )}
    </article>
  );
});

/**
 * An episode as the page shows it: fetched once, then kept current by the live stream while it runs.
 * The stream appends steps and replaces the state; its `end` means the episode closed, and one more
 * fetch brings the final state (the stream does not carry everything the full view has).
 * A published MLGym run (`mlgym:<folder>`) is read once: it has no workflow, hence no stream; nor
 * has a static export (`mlgym ui export`), whose episodes are never running.
 */
import { useCallback, useEffect, useState } from 'react';
import { ApiError, type EpisodeView, type LiveUpdate, type StepView } from '../../../shared/api';
import { errorText, fetchEpisodeRef, isAbort, isStatic, liveUrl, parseLiveUpdate } from '../api';

export interface EpisodeState {
  view?: EpisodeView;
  /** Why the episode could not be loaded (shown as the page when there is no view yet). */
  error?: string;
  /** The live stream is open. */
  live: boolean;
  /** Why the live stream stopped before the episode's end. */
  liveError?: string;
  reload: () => void;
}

function lastStepOf(steps: StepView[]): number {
  return steps.length ? steps[steps.length - 1].step : 0;
}

/** New steps are appended; a step sent again (a reconnect replays from the first `after`) replaces its copy. */
function mergeSteps(steps: StepView[], incoming: StepView[]): StepView[] {
  if (incoming.length === 0) return steps;
  const last = lastStepOf(steps);
  if (steps.length === 0 || incoming.every((s) => s.step > last)) return steps.concat(incoming);
  const byStep = new Map(steps.map((s) => [s.step, s]));
  for (const s of incoming) byStep.set(s.step, s);
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

function failureText(data: string): string {
  try {
    const parsed = ApiError.safeParse(JSON.parse(data));
    if (parsed.success) return parsed.data.error;
  } catch {
    // Not JSON: the text itself says it.
  }
  return data || 'the server stopped following the episode';
}

function applyUpdate(view: EpisodeView, u: LiveUpdate): EpisodeView {
  return {
    ...view,
    // The stream's summary may lack what only the full view knows (e.g. a baseline from the task):
    // keep those fields rather than blank them.
    summary: { ...view.summary, ...u.summary },
    steps: mergeSteps(view.steps, u.steps),
    phase: u.phase,
    blockedReason: u.blockedReason,
    runningCommand: u.runningCommand,
  };
}

/** `id` is an episode reference (see episodeRef.ts): our episode's id, or `mlgym:<folder>`. */
export function useEpisode(id: string): EpisodeState {
  const [view, setView] = useState<EpisodeView | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [live, setLive] = useState(false);
  const [liveError, setLiveError] = useState<string | undefined>(undefined);
  const [loads, setLoads] = useState(0);
  // Set (a new object) by each fetch that finds the episode running, which opens a new stream.
  // Live updates do not touch it, so the stream is not reopened with every step.
  const [stream, setStream] = useState<{ after: number } | undefined>(undefined);

  const reload = useCallback(() => setLoads((n) => n + 1), []);

  useEffect(() => {
    const ctrl = new AbortController();
    fetchEpisodeRef(id, ctrl.signal).then(
      (v) => {
        setView(v);
        setError(undefined);
        setLiveError(undefined);
        setStream(!isStatic && v.source === 'temporal' && v.summary.running ? { after: lastStepOf(v.steps) } : undefined);
      },
      (e: unknown) => {
        if (!isAbort(e)) setError(errorText(e));
      },
    );
    return () => ctrl.abort();
  }, [id, loads]);

  useEffect(() => {
    if (!stream) return;
    const es = new EventSource(liveUrl(id, stream.after));
    let ended = false;
    setLive(true);
    es.addEventListener('update', (ev) => {
      try {
        const update = parseLiveUpdate((ev as MessageEvent<string>).data);
        setView((v) => (v ? applyUpdate(v, update) : v));
      } catch (e) {
        setLiveError(errorText(e));
      }
    });
    es.addEventListener('end', () => {
      ended = true;
      es.close();
      setLive(false);
      setStream(undefined);
      setLoads((n) => n + 1);
    });
    // The server's own word that it stopped following (Temporal down, ...): retrying would only repeat it.
    es.addEventListener('failure', (ev) => {
      ended = true;
      es.close();
      setLive(false);
      setLiveError(failureText((ev as MessageEvent<string>).data));
    });
    es.onerror = () => {
      // While CONNECTING the browser retries by itself; CLOSED means it gave up (an error status or not a stream).
      if (ended || es.readyState !== EventSource.CLOSED) return;
      setLive(false);
      setLiveError('the live stream closed before the episode ended');
    };
    return () => {
      es.close();
      setLive(false);
    };
  }, [id, stream]);

  return { view, error, live, liveError, reload };
}

import type { Client } from '@temporalio/client';
import type { LiveUpdate } from '../shared/api';
import type { ArtifactStore } from '../../activities/artifacts/store';
import { describeEpisode, liveState, summaryOf } from './episode-view';
import { readSteps } from './steps';

/** How often a live page's episode is looked at: a step takes seconds at least. */
export const LIVE_POLL_MS = 1_000;

export interface LiveSink {
  send(event: 'update' | 'end', data: string): Promise<void>;
  sleep(ms: number): Promise<void>;
  readonly aborted: boolean;
}

/**
 * Follows a running episode for one page: sends the steps finished after `after` and the state
 * whenever either changed, and `end` once the episode closed. The episode is read, never
 * written: a page left open costs one describe, one query and one listing a second.
 */
export async function followEpisode(client: Client, store: ArtifactStore, episodeId: string, after: number, sink: LiveSink): Promise<void> {
  let lastStep = after;
  let lastState = '';
  while (!sink.aborted) {
    const description = await describeEpisode(client, episodeId);
    const [steps, live] = await Promise.all([readSteps(store, episodeId, { after: lastStep, finishedOnly: true }), liveState(client, description)]);
    const summary = summaryOf(description, undefined);
    // The duration moves every second; only a change of something else is news.
    const state = JSON.stringify({ ...summary, durationSec: 0, ...live });
    if (steps.length || state !== lastState) {
      const update: LiveUpdate = { steps, summary, ...live };
      await sink.send('update', JSON.stringify(update));
      lastStep = steps.at(-1)?.step ?? lastStep;
      lastState = state;
    }
    if (description.status.name !== 'RUNNING') {
      await sink.send('end', description.status.name);
      return;
    }
    await sink.sleep(LIVE_POLL_MS);
  }
}

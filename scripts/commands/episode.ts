import { parseArgs } from 'node:util';
import { cancelSignal, pauseSignal, resumeSignal, statusQuery } from '../../lib/episode-messages';
import { withClient } from '../lib/temporal-client';
import { usage } from '../lib/help';
import { printJson, say, UsageError } from '../lib/output';
import { workflowUiLink } from '../lib/settings';
import { followEpisode } from '../lib/follow';
import { resumeClosedEpisode } from '../lib/resume';

export async function episodeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, reason: { type: 'string' }, 'from-step': { type: 'string' }, wait: { type: 'boolean' } },
  });
  const [sub, episodeId] = positionals;
  if (!sub || !episodeId || positionals.length > 2) throw new UsageError(usage('episode', sub));
  return withClient(async (client) => {
    const handle = client.workflow.getHandle(episodeId);
    const description = await handle.describe().catch((err: Error) => {
      throw new UsageError(`no episode "${episodeId}" on this server (${err.message.split('\n')[0]})`);
    });
    const running = description.status.name === 'RUNNING';
    switch (sub) {
      case 'status': {
        const live = running ? await handle.query(statusQuery).catch(() => undefined) : undefined;
        const result = description.status.name === 'COMPLETED' ? await handle.result() : undefined;
        const report = {
          episodeId,
          workflowStatus: description.status.name,
          uiLink: workflowUiLink(episodeId),
          ...(live ?? {}),
          ...(result ? { result } : {}),
        };
        if (values.json) printJson(report);
        else say(JSON.stringify(report, null, 2));
        return 0;
      }
      case 'pause':
      case 'cancel': {
        if (!running) throw new UsageError(`episode ${episodeId} is ${description.status.name}, not running`);
        if (sub === 'pause') await handle.signal(pauseSignal);
        else await handle.signal(cancelSignal, values.reason ?? 'cancelled with mlgym episode cancel');
        say(`${sub} sent to ${episodeId}`);
        return 0;
      }
      case 'resume': {
        const fromFlag = values['from-step'];
        if (running) {
          // A running episode that is paused or blocked continues where it is.
          if (fromFlag !== undefined) throw new UsageError(`episode ${episodeId} is running: --from-step applies to a failed, terminated or timed-out episode`);
          await handle.signal(resumeSignal);
          say(`resume sent to ${episodeId}`);
          return 0;
        }
        if (fromFlag !== undefined && !/^\d+$/.test(fromFlag)) throw new UsageError(`--from-step must be a step number, not "${fromFlag}"`);
        const resumed = await resumeClosedEpisode(client, episodeId, { fromStep: fromFlag === undefined ? undefined : Number(fromFlag) });
        say(
          `resumed ${episodeId} (${resumed.previousStatus}) from step ${resumed.fromStep} of ${resumed.lastCompletedStep} completed, as run ${resumed.runId}\n  ${workflowUiLink(episodeId)}`,
        );
        if (!values.wait) {
          if (values.json) printJson({ ...resumed, uiLink: workflowUiLink(episodeId), status: 'RUNNING' });
          return 0;
        }
        const outcome = await followEpisode(client, episodeId);
        if (values.json) printJson({ ...resumed, ...outcome });
        else
          say(
            `${episodeId}: ${outcome.status}${outcome.exitStatus ? `, ${outcome.exitStatus}, score ${JSON.stringify(outcome.score ?? null)}` : ''}${outcome.error ? `: ${outcome.error}` : ''}`,
          );
        return outcome.status === 'COMPLETED' ? 0 : 1;
      }
      default:
        throw new UsageError(usage('episode'));
    }
  });
}

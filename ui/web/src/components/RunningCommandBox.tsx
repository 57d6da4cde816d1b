import { memo } from 'react';
import type { RunningCommand } from '../../../shared/api';
import { formatBytes, formatDuration } from '../format';

/** The command the sandbox is running now, from its last heartbeat: what a long step is doing. */
export const RunningCommandBox = memo(function RunningCommandBox({ rc }: { rc: RunningCommand }) {
  return (
    <section className="running-command" data-testid="running-command">
      <h2>
        Running{rc.step !== undefined && ` step ${rc.step}`}
        {rc.elapsedSec !== undefined && <span className="muted"> · for {formatDuration(rc.elapsedSec)}</span>}
        {rc.outputBytes !== undefined && <span className="muted"> · {formatBytes(rc.outputBytes)} of output</span>}
      </h2>
      {rc.command && <pre className="mono running-cmd">{rc.command}</pre>}
      {rc.lastLine && (
        <pre className="mono running-last" title="The last line of output so far">
          {rc.lastLine}
        </pre>
      )}
    </section>
  );
});

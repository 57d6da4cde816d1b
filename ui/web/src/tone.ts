/**
 * How a sweep cell or an exit status reads in colour, the same on the grid and on the status chips:
 * pending grey, running blue, submitted green, any other ending amber, failed red.
 */
import type { SweepCell } from '../../shared/api';

export type Tone = 'pending' | 'running' | 'submitted' | 'other' | 'failed';

export function cellTone(c: Pick<SweepCell, 'state' | 'exitStatus'>): Tone {
  if (c.state === 'running') return 'running';
  if (c.state === 'failed') return 'failed';
  if (c.state === 'completed') return c.exitStatus === 'submitted' ? 'submitted' : 'other';
  return 'pending';
}

/** An entry of `exitStatusCounts`: an exit status, or `running`, `failed`, `not_started`, `pending`. */
export function statusTone(status: string): Tone {
  switch (status) {
    case 'submitted':
      return 'submitted';
    case 'running':
      return 'running';
    case 'failed':
      return 'failed';
    case 'not_started':
    case 'pending':
      return 'pending';
    default:
      return 'other';
  }
}

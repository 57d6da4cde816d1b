/** Beside a list with compare checkboxes: what is checked, and the way to the comparison once exactly two are. */
import { memo } from 'react';
import { useNavigate } from 'react-router';

interface Props {
  /** The ids checked, in order (the first is A). */
  order: string[];
  clear: () => void;
  /** The episode reference of a row id (episodeRef.ts): itself for ours, `mlgym:<folder>` for MLGym's. */
  refOf?: (id: string) => string;
}

const same = (id: string) => id;

export const CompareBar = memo(function CompareBar({ order, clear, refOf = same }: Props) {
  const navigate = useNavigate();
  const ready = order.length === 2;
  return (
    <span className="compare-bar">
      <button
        type="button"
        data-testid="compare-selected"
        disabled={!ready}
        title={ready ? `Compare ${order[0]} (A) with ${order[1]} (B)` : 'Check exactly two episodes to compare them'}
        onClick={() => {
          if (ready) void navigate({ pathname: '/compare', search: `?${new URLSearchParams({ a: refOf(order[0]), b: refOf(order[1]) }).toString()}` });
        }}
      >
        Compare{order.length > 0 && ` (${order.length})`}
      </button>
      {order.length > 0 && (
        <button type="button" className="link" onClick={clear}>
          uncheck all
        </button>
      )}
    </span>
  );
});

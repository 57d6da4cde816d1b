/** "Compare with…" on an episode page: another episode's id, `mlgym:<folder>` or a pasted link, then the comparison. */
import { memo, useState } from 'react';
import { useNavigate } from 'react-router';
import { refFromInput } from '../episodeRef';

export const CompareWith = memo(function CompareWith({ episodeRef }: { episodeRef: string }) {
  const [text, setText] = useState('');
  const navigate = useNavigate();
  const other = refFromInput(text);
  return (
    <form
      className="compare-with"
      onSubmit={(e) => {
        e.preventDefault();
        if (other) void navigate({ pathname: '/compare', search: `?${new URLSearchParams({ a: episodeRef, b: other }).toString()}` });
      }}
    >
      <input
        type="text"
        data-testid="compare-with-input"
        placeholder="episode id, mlgym:<folder> or a link"
        value={text}
        onChange={(e) => setText(e.target.value)}
        aria-label="Episode to compare with"
      />
      <button type="submit" data-testid="compare-with" disabled={!other}>
        Compare with…
      </button>
    </form>
  );
});

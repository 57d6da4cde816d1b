import { memo, type KeyboardEvent, type RefObject } from 'react';

interface Props {
  search: string;
  onSearch: (text: string) => void;
  /** The current match, 0-based; -1 when there is none. */
  current: number;
  total: number;
  onNext: () => void;
  onPrev: () => void;
  onExpandAll: () => void;
  onCollapseAll: () => void;
  raw: boolean;
  onRaw: () => void;
  searchRef: RefObject<HTMLInputElement | null>;
}

/** Sticky above the transcript: what acts on all the cards at once, and the search through them. */
export const TranscriptToolbar = memo(function TranscriptToolbar({
  search,
  onSearch,
  current,
  total,
  onNext,
  onPrev,
  onExpandAll,
  onCollapseAll,
  raw,
  onRaw,
  searchRef,
}: Props) {
  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      if (e.shiftKey) onPrev();
      else onNext();
    } else if (e.key === 'Escape') {
      e.currentTarget.blur();
    }
  };
  return (
    <div className="transcript-toolbar" role="toolbar" aria-label="Transcript">
      <button type="button" data-testid="expand-all" onClick={onExpandAll} disabled={raw}>
        Expand all
      </button>
      <button type="button" data-testid="collapse-all" onClick={onCollapseAll} disabled={raw}>
        Collapse all
      </button>
      <button type="button" data-testid="raw-json" aria-pressed={raw} className={raw ? 'pressed' : undefined} onClick={onRaw}>
        Raw JSON
      </button>
      <span className="toolbar-search">
        <input
          ref={searchRef}
          type="search"
          data-testid="transcript-search"
          placeholder="Search the transcript  ( / )"
          value={search}
          onChange={(e) => onSearch(e.target.value)}
          onKeyDown={onKey}
          disabled={raw}
        />
        {search && (
          <span className="search-count" data-testid="search-count" aria-live="polite">
            {total === 0 ? 'no match' : `${current + 1} of ${total}`}
          </span>
        )}
        <button type="button" onClick={onPrev} disabled={total === 0} title="Previous match (Shift+Enter)" aria-label="Previous match">
          ↑
        </button>
        <button type="button" onClick={onNext} disabled={total === 0} title="Next match (Enter)" aria-label="Next match">
          ↓
        </button>
      </span>
      <span className="keys-help muted" title="Keyboard: j / k next and previous step, o open or close its observation, / search">
        j/k step · o observation · / search
      </span>
    </div>
  );
});

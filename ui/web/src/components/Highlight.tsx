import { memo, type ReactNode } from 'react';

interface Props {
  text: string;
  /** Lower-case needle; empty shows the text as is. */
  needle: string;
  /** The index of this text's first match among its card's matches. */
  start: number;
  /** The card's current match, -1 when it is elsewhere. */
  active: number;
}

/** The text with its matches marked, the current one apart (the page scrolls to `mark.current`). */
export const Highlight = memo(function Highlight({ text, needle, start, active }: Props) {
  if (!needle) return <>{text}</>;
  const lower = text.toLowerCase();
  const parts: ReactNode[] = [];
  let from = 0;
  let k = start;
  for (let i = lower.indexOf(needle); i !== -1; i = lower.indexOf(needle, i + needle.length)) {
    if (i > from) parts.push(text.slice(from, i));
    parts.push(
      <mark key={i} className={k === active ? 'current' : undefined}>
        {text.slice(i, i + needle.length)}
      </mark>,
    );
    from = i + needle.length;
    k++;
  }
  if (from < text.length) parts.push(text.slice(from));
  return <>{parts}</>;
});

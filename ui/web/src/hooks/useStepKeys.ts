/**
 * The transcript's keyboard: `j`/`k` move the focused card, `o` opens or closes its observation,
 * `/` jumps to the search. Keys typed into a field are the field's, not ours.
 */
import { useEffect, useRef, type RefObject } from 'react';

interface Options {
  enabled: boolean;
  stepNumbers: number[];
  focused: number | undefined;
  focus: (step: number) => void;
  toggle: (step: number) => void;
  searchRef: RefObject<HTMLInputElement | null>;
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT';
}

export function useStepKeys(options: Options): void {
  // One listener for the page's life, reading the latest options: no re-subscribing on every step.
  const latest = useRef(options);
  latest.current = options;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented || isTyping(e.target)) return;
      const { enabled, stepNumbers, focused, focus, toggle, searchRef } = latest.current;
      if (!enabled) return;
      if (e.key === '/') {
        e.preventDefault();
        searchRef.current?.focus();
        searchRef.current?.select();
        return;
      }
      if (e.key !== 'j' && e.key !== 'k' && e.key !== 'o') return;
      if (stepNumbers.length === 0) return;
      e.preventDefault();
      const at = focused === undefined ? -1 : stepNumbers.indexOf(focused);
      if (e.key === 'o') {
        if (focused !== undefined) toggle(focused);
        return;
      }
      const next = e.key === 'j' ? (at === -1 ? 0 : Math.min(at + 1, stepNumbers.length - 1)) : at === -1 ? 0 : Math.max(at - 1, 0);
      focus(stepNumbers[next]);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

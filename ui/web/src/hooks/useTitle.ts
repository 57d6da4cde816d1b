import { useEffect } from 'react';

/** The tab's title, so several open episodes can be told apart. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title;
  }, [title]);
}

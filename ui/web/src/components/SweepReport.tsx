/**
 * The sweep report the server renders (the AUP table and the performance-profile SVGs), in a frame
 * sized to its content. While the sweep runs the page asks it to reload when `version` moves (a cell
 * ended), in place: a new frame would blank and collapse the bottom of the page for a moment.
 */
import { memo, useEffect, useRef, useState } from 'react';
import { serverLink } from '../api';

interface Props {
  url: string;
  /** Changes when the report's content may have changed. */
  version: string;
}

export const SweepReport = memo(function SweepReport({ url, version }: Props) {
  const frame = useRef<HTMLIFrameElement>(null);
  const [height, setHeight] = useState<number | undefined>(undefined);
  const loaded = useRef(version);

  useEffect(() => {
    if (version === loaded.current) return;
    loaded.current = version;
    try {
      frame.current?.contentWindow?.location.reload();
    } catch {
      // Another origin: the frame keeps the report it has until the page is opened again.
    }
  }, [version]);

  // The report is the viewer's own page (same origin), so its height can be read; else the CSS height stays.
  const fit = () => {
    try {
      const doc = frame.current?.contentDocument;
      if (doc?.documentElement) setHeight(doc.documentElement.scrollHeight + 2);
    } catch {
      // Another origin: keep the default height.
    }
  };

  return (
    <section className="sweep-report-section">
      <h2>
        Report{' '}
        <a className="muted" href={serverLink(url)} target="_blank" rel="noreferrer">
          open alone ↗
        </a>
      </h2>
      <iframe
        ref={frame}
        className="sweep-report"
        data-testid="sweep-report"
        title="Sweep report: AUP and performance profiles"
        src={serverLink(url)}
        style={height ? { height } : undefined}
        onLoad={fit}
      />
    </section>
  );
});

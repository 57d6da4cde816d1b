/** The page's workflow in the Temporal UI, in a new tab; nothing when there is no link (an MLGym run, an export). */
export function TemporalLink({ href }: { href: string | undefined }) {
  if (!href) return null;
  return (
    <a className="temporal-link" href={href} target="_blank" rel="noreferrer">
      Open in Temporal UI ↗
    </a>
  );
}

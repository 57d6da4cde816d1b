import { Link, NavLink, Outlet } from 'react-router';
import { formatTime } from '../format';
import { staticExport } from '../static-data';

export function Layout() {
  return (
    <div className="app">
      <header className="app-bar">
        <Link to="/" className="app-title">
          mlgym ui
        </Link>
        <nav>
          {/* `end`: "Runs" is `/`, which every other page's path starts with. */}
          <NavLink to="/" end>
            Runs
          </NavLink>
          <NavLink to="/sweeps">Sweeps</NavLink>
          {/* An export holds no MLGym runs. */}
          {!staticExport && <NavLink to="/mlgym">MLGym runs</NavLink>}
        </nav>
        {staticExport && (
          <span className="static-badge" data-testid="static-badge" title={`A static export of sweep ${staticExport.sweep.sweepId}: no server behind it`}>
            static export, generated <time dateTime={staticExport.generatedAt}>{formatTime(staticExport.generatedAt)}</time>
          </span>
        )}
      </header>
      <main className="app-main">
        <Outlet />
      </main>
    </div>
  );
}

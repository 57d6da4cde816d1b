import { Link, Outlet } from 'react-router';

export function Layout() {
  return (
    <div className="app">
      <header className="app-bar">
        <Link to="/" className="app-title">
          mlgym ui
        </Link>
        <nav>
          <Link to="/">Runs</Link>
        </nav>
      </header>
      <main className="app-main">
        <Outlet />
      </main>
    </div>
  );
}

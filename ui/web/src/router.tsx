/**
 * The viewer's pages. A hash router, because the same build is also opened from disk (file://),
 * where only the hash can carry a route. A new page is one more entry under the layout's children.
 */
import { createHashRouter, type RouteObject } from 'react-router';
import { Layout } from './components/Layout';
import { RouteError, NotFound } from './components/ErrorMessage';
import { RunListPage } from './pages/RunList';
import { EpisodeRoute, MlgymEpisodeRoute } from './pages/EpisodePage';
import { EpisodeComparePage } from './pages/EpisodeCompare';
import { MlgymListPage } from './pages/MlgymList';
import { ModelCompareRoute } from './pages/ModelCompare';
import { SweepListPage } from './pages/SweepList';
import { SweepRoute } from './pages/SweepPage';
import { openOnStaticSweep } from './static-data';

export const routes: RouteObject[] = [
  {
    path: '/',
    element: <Layout />,
    // A render error shows a message with a way back, never a blank page.
    errorElement: <RouteError />,
    children: [
      { index: true, element: <RunListPage /> },
      { path: 'episodes/:id', element: <EpisodeRoute /> },
      { path: 'compare', element: <EpisodeComparePage /> },
      { path: 'sweeps', element: <SweepListPage /> },
      { path: 'sweeps/:id', element: <SweepRoute /> },
      { path: 'sweeps/:id/compare', element: <ModelCompareRoute /> },
      { path: 'mlgym', element: <MlgymListPage /> },
      { path: 'mlgym/:folder', element: <MlgymEpisodeRoute /> },
      { path: '*', element: <NotFound /> },
    ],
  },
];

// A static export (`mlgym ui export`) opens on its sweep: set before the router reads the hash.
openOnStaticSweep();
export const router = createHashRouter(routes);

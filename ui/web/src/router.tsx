/**
 * The viewer's pages. A hash router, because the same build is also opened from disk (file://),
 * where only the hash can carry a route. New pages (a sweep, a comparison, a published MLGym run)
 * are one more entry under the layout's children.
 */
import { createHashRouter, type RouteObject } from 'react-router';
import { Layout } from './components/Layout';
import { RouteError, NotFound } from './components/ErrorMessage';
import { RunListPage } from './pages/RunList';
import { EpisodeRoute } from './pages/EpisodePage';

export const routes: RouteObject[] = [
  {
    path: '/',
    element: <Layout />,
    // A render error shows a message with a way back, never a blank page.
    errorElement: <RouteError />,
    children: [
      { index: true, element: <RunListPage /> },
      { path: 'episodes/:id', element: <EpisodeRoute /> },
      { path: '*', element: <NotFound /> },
    ],
  },
];

export const router = createHashRouter(routes);

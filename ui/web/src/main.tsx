import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from 'react-router';
import { StaticExportError } from './components/StaticExportError';
import { router } from './router';
import { staticExportError } from './static-data';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>{staticExportError !== undefined ? <StaticExportError message={staticExportError} /> : <RouterProvider router={router} />}</StrictMode>,
);

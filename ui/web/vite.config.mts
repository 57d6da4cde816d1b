import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Paths from this file, not the working directory: the build runs from the repository root.
const here = import.meta.dirname;

export default defineConfig({
  root: here,
  // Relative asset URLs: the server may mount the viewer under a path prefix, and the same build opens from file://.
  base: './',
  plugins: [react()],
  build: {
    outDir: `${here}/../dist`,
    emptyOutDir: true,
  },
});

import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The UI is served by dkron under /ui/ and talks to the same origin's /v1 API.
// During `npm run dev` the API calls are proxied to a local dkron server.
const devApiTarget = process.env.DKRON_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/ui/',
  plugins: [react()],
  server: {
    proxy: {
      '/v1': { target: devApiTarget, changeOrigin: false },
      '/health': { target: devApiTarget },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
});

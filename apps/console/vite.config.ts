import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Served by the API at /ui (apps/api): every asset is fetched from there, nothing from elsewhere.
export default defineConfig({
  base: '/ui/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1500 },
  // `npm run dev -w @signalbox/console` beside `npm start`: the API on its default port.
  server: { proxy: { '/api': 'http://127.0.0.1:3000', '/openapi.json': 'http://127.0.0.1:3000' } },
});

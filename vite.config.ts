import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

// The renderer: served by `serve` mode over http and by Electron's app:// protocol, so every
// asset path is relative and nothing is fetched from the network at runtime.
export default defineConfig({
  root: fileURLToPath(new URL('./src-renderer', import.meta.url)),
  base: './',
  plugins: [vue()],
  build: {
    outDir: fileURLToPath(new URL('./dist-renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Electron's strict CSP allows no inline scripts; the preload polyfill would be one.
    modulePreload: { polyfill: false },
    sourcemap: true,
  },
});

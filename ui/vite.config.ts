/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Tauri dev/build integration: https://v2.tauri.app/start/frontend/vite/
const host = process.env.TAURI_DEV_HOST;
const isWindows = process.env.TAURI_ENV_PLATFORM === 'windows';
const debug = !!process.env.TAURI_ENV_DEBUG;

export default defineConfig({
  base: './',
  plugins: [svelte()],
  clearScreen: false,
  envPrefix: ['VITE_', 'TAURI_ENV_*'],
  server: {
    port: 1420,
    strictPort: true,
    host: host || false,
    hmr: host ? { protocol: 'ws', host, port: 1421 } : undefined,
    watch: { ignored: ['**/src-tauri/**'] },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // WebView2 on Windows, WebKit(GTK) elsewhere.
    target: isWindows ? 'chrome105' : 'safari15',
    minify: debug ? false : 'oxc',
    sourcemap: debug,
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
  },
});

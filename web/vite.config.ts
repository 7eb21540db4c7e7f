// Builds the dashboard into dist/: index.html, assets/app.js and assets/app.css, fixed names the
// CMake build embeds in the qrscene binary (cmake/QrsceneWebAssets.cmake). Everything is in those
// three files: no code splitting, images and fonts inlined.
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// `QRSCENE_DEV_API=http://127.0.0.1:8080 npx vite` serves the dashboard with hot reload in front
// of a running qrscene (its /api calls go there).
const devApi = process.env.QRSCENE_DEV_API;

export default defineConfig({
  plugins: [vue()],
  server: devApi ? { proxy: { '/api': devApi } } : undefined,
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 100_000_000,
    cssCodeSplit: false,
    chunkSizeWarningLimit: 4000,
    reportCompressedSize: false,
    rolldownOptions: {
      output: {
        entryFileNames: 'assets/app.js',
        chunkFileNames: 'assets/app-[name].js',
        assetFileNames: 'assets/app[extname]',
        codeSplitting: false,
      },
    },
  },
});

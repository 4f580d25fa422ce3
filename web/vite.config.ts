// The dashboard is static files: relative asset paths (base "./") so the same build works from
// the binary, from `perfledger serve --web-root DIR` or from any static server, at any path.
// The output directory comes from the command line (`vite build --outDir DIR`, see
// CMakeLists.txt); `npm run build` alone writes web/dist.
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  build: {
    target: "es2020",
    emptyOutDir: true,
    chunkSizeWarningLimit: 200,
    reportCompressedSize: true,
  },
  server: {
    // `npm run dev` during development: API calls go to a running `perfledger serve`.
    proxy: { "/api": "http://127.0.0.1:8080", "/healthz": "http://127.0.0.1:8080" },
  },
});

import { defineConfig } from "vite";

/** The web app: built into hashed assets the server caches forever, with no source maps to serve. */
export default defineConfig({
  logLevel: "warn",
  // One bundle (React, viem, the Trails client, uPlot and the pages: 265 kB gzipped), cached for a year.
  build: { emptyOutDir: true, assetsDir: "assets", chunkSizeWarningLimit: 1_000 },
  oxc: { jsx: { runtime: "automatic" } },
});

import { defineConfig } from "vite";

/** The web app: built into hashed assets the server caches forever, with no source maps to serve. */
export default defineConfig({
  logLevel: "warn",
  // One bundle (React, viem and the pages, about 200 kB gzipped) is served once and cached for a year.
  build: { emptyOutDir: true, assetsDir: "assets", chunkSizeWarningLimit: 1_000 },
  oxc: { jsx: { runtime: "automatic" } },
});

import { defineConfig } from "vite";

/** The web app: built into hashed assets the server caches forever, with no source maps to serve. */
export default defineConfig({
  logLevel: "warn",
  build: { emptyOutDir: true, assetsDir: "assets" },
  oxc: { jsx: { runtime: "automatic" } },
});

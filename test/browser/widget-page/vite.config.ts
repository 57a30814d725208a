import { defineConfig } from "vite";

export default defineConfig({
  logLevel: "warn",
  build: {
    emptyOutDir: true,
    // One page for a test, not a site: its size does not matter.
    chunkSizeWarningLimit: 100_000,
    rollupOptions: {
      // The widget's dependencies mark React server-component boundaries that a client bundle drops.
      onwarn(warning, warn) {
        if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
      },
    },
  },
});

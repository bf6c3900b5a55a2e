import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The API server serves the built files at /required_actions (see airflow.hitl's plugin);
// `npm run dev` proxies the API to a running Airflow.
const airflowUrl = process.env.AIRFLOW_URL ?? "http://localhost:8080";

export default defineConfig({
  base: "/required_actions/",
  build: {
    emptyOutDir: true,
    outDir: "../airflow-core/src/airflow/hitl/ui_dist",
    rollupOptions: {
      output: {
        // Libraries change less often than the app: separate files stay cached across releases.
        manualChunks: (id) => {
          if (!id.includes("node_modules")) return undefined;
          if (/[\\/](@chakra-ui|@emotion|@ark-ui|@zag-js|@pandacss)[\\/]/u.test(id)) return "chakra";
          if (/[\\/](react-markdown|remark-[^\\/]+|micromark[^\\/]*|mdast-[^\\/]+|hast-[^\\/]+|unist-[^\\/]+|unified|vfile[^\\/]*)[\\/]/u.test(id)) {
            return "markdown";
          }
          return "vendor";
        },
      },
    },
  },
  plugins: [react()],
  server: {
    proxy: {
      "/api": { changeOrigin: true, target: airflowUrl },
      "/auth": { changeOrigin: true, target: airflowUrl },
    },
  },
  test: {
    css: false,
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    // Component tests render the whole app; shared CI machines can be slow.
    testTimeout: 30_000,
  },
});

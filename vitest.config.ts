import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // The default console report, plus a JSON summary that .ci/run turns into one closing line.
    reporters: ["default", ["json", { outputFile: ".test-results/vitest.json" }]],
  },
});

import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // The SDK's notice that its future releases need Node 22 is noise in test output (bin/upg silences it too).
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    // The default console report, plus a JSON summary that .ci/run turns into one closing line.
    reporters: ["default", ["json", { outputFile: ".test-results/vitest.json" }]],
  },
});

import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

// Tests import workspace packages from source, so `pnpm test` never depends on a stale dist/.
export default defineConfig({
  resolve: {
    alias: {
      "@bpfkit/elf": pkg("elf"),
      "@bpfkit/asm": pkg("asm"),
      "@bpfkit/btf": pkg("btf"),
      "@bpfkit/loader": pkg("loader"),
      "@bpfkit/kernel": pkg("kernel"),
    },
  },
  test: {
    include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts"],
    // The default output, then the skipped tests grouped by what they need and a plain count line.
    reporters: ["default", "./test/support/skip-reporter.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Kernel objects (maps, programs, pins) are global state: keep files from racing each other on 2 cores.
    fileParallelism: true,
    pool: "forks",
  },
});

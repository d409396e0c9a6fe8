import { delimiter, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));
const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));

// `pnpm test` puts node_modules/.bin first on PATH, and that holds our `bpftool`: the oracle tests must reach the
// system's bpftool 7.1.0, so the tests (and the workers they fork, which inherit this environment) run without it.
// Tests that mean to run our CLI use its absolute path (test/support/bpftool.ts).
process.env.PATH = (process.env.PATH ?? "")
  .split(delimiter)
  .filter((dir) => !dir.endsWith(`node_modules${sep}.bin`))
  .join(delimiter);

// Tests import workspace packages from source, so `pnpm test` never depends on a stale dist/.
export default defineConfig({
  resolve: {
    alias: {
      // Subpath exports (lean imports for one-shot CLI commands) before the packages they are part of.
      "@bpfkit/btf/btf": src("btf/src/btf.ts"),
      "@bpfkit/btf/dump-c": src("btf/src/dump-c/index.ts"),
      "@bpfkit/btf/dump-raw": src("btf/src/dump-raw.ts"),
      "@bpfkit/btf/dump-json": src("btf/src/dump-json.ts"),
      "@bpfkit/kernel/btf-file": src("kernel/src/btf-file.ts"),
      "@bpfkit/elf": pkg("elf"),
      "@bpfkit/asm": pkg("asm"),
      "@bpfkit/btf": pkg("btf"),
      "@bpfkit/linker": pkg("linker"),
      "@bpfkit/loader": pkg("loader"),
      "@bpfkit/vm": pkg("vm"),
      "@bpfkit/kernel": pkg("kernel"),
      "@bpfkit/bpftool": pkg("bpftool"),
    },
  },
  test: {
    include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts"],
    // The default output, then the skipped tests grouped by what they need and a plain count line.
    reporters: ["default", "./test/support/skip-reporter.ts"],
    // The links in the kernel after the suite are the links before it (test/support/links-unchanged.ts).
    globalSetup: ["./test/support/links-unchanged.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Kernel objects (maps, programs, pins) are global state: keep files from racing each other on 2 cores.
    fileParallelism: true,
    pool: "forks",
  },
});

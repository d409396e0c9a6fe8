// Bundles the one-shot command-line entries (examples/btf-dump-c.mjs) into one CommonJS file each, in
// examples/dist/. Run by `pnpm build` after tsc (it bundles the packages' dist output).
//
// Why a bundle: on Node 20 an ES module entry point costs ~3 MiB of peak RSS over a CommonJS one (the ESM loader's
// own modules, and its hot resolve functions get optimized, which pages in the optimizing compiler before any of
// our code runs) plus ~60 ms of start-up for resolving and linking ~35 modules; for `btf dump ... format c` that is
// the difference between meeting and missing the issue's memory target. Evidence: docs/decisions.md, "BTF C dump:
// a one-shot process". rolldown is the bundler vitest's vite already brings; koffi stays outside the bundle (it
// loads a native addon from its own package) and is required by a path relative to the bundle.
import { chmodSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const root = fileURLToPath(new URL("../", import.meta.url));
const outDir = `${root}examples/dist`;
const koffi = createRequire(`${root}packages/kernel/package.json`).resolve("koffi");

/** Entry files; rolldown keeps each one's `#!` line (with its node flags) as the bundle's first line. */
const ENTRIES = ["btf-dump-c"];

for (const name of ENTRIES) {
  const input = `${root}examples/${name}.mjs`;
  const file = `${outDir}/${name}.cjs`;
  await build({
    input,
    platform: "node",
    external: ["koffi"],
    logLevel: "warn",
    output: {
      format: "cjs",
      file,
      paths: { koffi: `./${relative(dirname(file), koffi)}` },
    },
  });
  chmodSync(file, 0o755);
}

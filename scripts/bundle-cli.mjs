// Bundles the command-line entries into CommonJS, run by `pnpm build` after tsc (it bundles the packages' dist
// output):
//   - packages/bpftool/dist/cli.js -> packages/bpftool/dist/bundle/bpftool.cjs, the `bpftool` bin
//     (packages/bpftool/bin/bpftool.cjs requires it), with each object's commands in a chunk of their own that is
//     read only when the command runs;
//   - examples/btf-dump-c.mjs -> examples/dist/btf-dump-c.cjs (until `bpftool btf dump ... format c` replaces it).
//
// Why a bundle: on Node 20 an ES module entry point costs ~3 MiB of peak RSS over a CommonJS one (the ESM loader's
// own modules, and its hot resolve functions get optimized, which pages in the optimizing compiler before any of
// our code runs) plus ~60 ms of start-up for resolving and linking ~35 modules. Evidence: docs/decisions.md, "BTF C
// dump: a one-shot process". rolldown is the bundler vitest's vite already brings; koffi stays outside the bundle
// (it loads a native addon from its own package) and is required by a path relative to the bundle.
import { chmodSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const root = fileURLToPath(new URL("../", import.meta.url));
const koffi = createRequire(`${root}packages/kernel/package.json`).resolve("koffi");

/** `input` bundled into `dir`/`name`.cjs (plus chunks for its dynamic imports); rolldown keeps a `#!` line. */
async function bundle(input, dir, name) {
  await build({
    input,
    platform: "node",
    external: ["koffi"],
    logLevel: "warn",
    output: {
      format: "cjs",
      dir,
      entryFileNames: `${name}.cjs`,
      chunkFileNames: "[name]-[hash].cjs",
      paths: { koffi: `./${relative(dir, koffi)}` },
    },
  });
  chmodSync(`${dir}/${name}.cjs`, 0o755);
}

const cliDir = `${root}packages/bpftool/dist/bundle`;
rmSync(cliDir, { recursive: true, force: true });
await bundle(`${root}packages/bpftool/dist/cli.js`, cliDir, "bpftool");
await bundle(`${root}examples/btf-dump-c.mjs`, `${root}examples/dist`, "btf-dump-c");

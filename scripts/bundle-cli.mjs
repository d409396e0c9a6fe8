// Bundles the command-line entry into CommonJS, run by `pnpm build` after tsc (it bundles the packages' dist
// output): packages/bpftool/dist/cli.js -> packages/bpftool/dist/bundle/bpftool.cjs, the `bpftool` bin
// (packages/bpftool/bin/bpftool.cjs requires it), with each object's commands in a chunk of their own that is read
// only when the command runs, and the fast paths of `btf dump file FILE format c` and `-j btf dump file FILE`
// (commands/btf/dump-fast.js) in one file of their own, dump-fast.cjs, that holds everything they run.
//
// Why a bundle: on Node 20 an ES module entry point costs ~3 MiB of peak RSS over a CommonJS one (the ESM loader's
// own modules, and its hot resolve functions get optimized, which pages in the optimizing compiler before any of
// our code runs) plus ~60 ms of start-up for resolving and linking ~35 modules. Evidence: docs/decisions.md, "BTF C
// dump: a one-shot process". rolldown is the bundler vitest's vite already brings; koffi stays outside the bundle
// (it loads a native addon from its own package) and is required by a path relative to the bundle.
//
// Why the C dump's fast path is one file: the whole-process vmlinux dump is held to its memory. Spread over the
// chunks it shares with other commands it was ~8 files: their sources are young-generation strings (a file over
// 128 KiB is a large object instead) and the loads allocate, which took the dump past its first 1 MiB semi-space,
// and the scavenge that followed committed the second one: ~1 MiB of peak RSS. Sharing modules with the other
// chunks is what code splitting is for, so it is a separate build of that one module, loaded by require().
import { chmodSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const root = fileURLToPath(new URL("../", import.meta.url));
const koffi = createRequire(`${root}packages/kernel/package.json`).resolve("koffi");
const dir = `${root}packages/bpftool/dist/bundle`;
const FAST_C_DUMP = "dump-fast";
const isFastCDump = (id) => id.endsWith(`/commands/btf/${FAST_C_DUMP}.js`);

/** What both builds share: CommonJS for node, koffi outside, the output in `dir`. */
function options(input, output, external) {
  return {
    input,
    platform: "node",
    external,
    logLevel: "warn",
    // yargs (shell completion only) reads import.meta for a config feature the CLI does not use.
    checks: { emptyImportMeta: false },
    output: {
      format: "cjs",
      dir,
      chunkFileNames: "[name]-[hash].cjs",
      // Node keeps each loaded file's source as a string, two bytes a character once one is not ASCII.
      charset: "ascii",
      ...output,
    },
  };
}

/**
 * koffi's own entry spends ~5 ms of every CLI start finding which native build fits (it reads node's ELF header to
 * tell glibc from musl); its native module alone loads in under 1 ms. The bundle's `koffi` is a shim that loads
 * this platform's glibc build directly and falls back to koffi's entry when that fails (musl), then to koffi by name
 * (an install laid out differently from this checkout's).
 * koffi's entry only adds deprecated aliases on top of the native module, which we do not use.
 */
function writeKoffiShim() {
  const entry = `./${relative(dir, koffi)}`;
  let native;
  try {
    const pkg = createRequire(koffi).resolve(`@koromix/koffi-${process.platform}-${process.arch}/package.json`);
    const file = `${dirname(pkg)}/${process.platform}_${process.arch}/koffi.node`;
    if (existsSync(file)) native = `./${relative(dir, file)}`;
  } catch {}
  writeFileSync(
    `${dir}/koffi.cjs`,
    [
      "// Written by scripts/bundle-cli.mjs: koffi's native module for this platform, else koffi's entry.",
      '"use strict";',
      "let native;",
      native === undefined ? "" : `try { native = require(${JSON.stringify(native)}); } catch {}`,
      'if (native === undefined || typeof native.load !== "function") {',
      // A package installed elsewhere (npm i -g) finds koffi by name.
      `  try { native = require(${JSON.stringify(entry)}); } catch { native = require("koffi"); }`,
      "}",
      "module.exports = native;",
      "",
    ].join("\n"),
  );
}

const koffiPath = "./koffi.cjs";
rmSync(dir, { recursive: true, force: true });
// The CLI: rolldown keeps the bin's `#!` line; the fast path is required from its own file.
await build(
  options(
    `${root}packages/bpftool/dist/cli.js`,
    {
      entryFileNames: "bpftool.cjs",
      dynamicImportInCjs: false,
      paths: (id) => (id === "koffi" ? koffiPath : isFastCDump(id) ? `./${FAST_C_DUMP}.cjs` : id),
    },
    (id) => id === "koffi" || isFastCDump(id),
  ),
);
chmodSync(`${dir}/bpftool.cjs`, 0o755);
await build(
  options(
    `${root}packages/bpftool/dist/commands/btf/${FAST_C_DUMP}.js`,
    {
      entryFileNames: `${FAST_C_DUMP}.cjs`,
      codeSplitting: false,
      paths: { koffi: koffiPath },
    },
    ["koffi"],
  ),
);
writeKoffiShim();

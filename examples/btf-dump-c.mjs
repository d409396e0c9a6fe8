#!/usr/bin/env -S node --single-threaded --no-opt --liftoff-only --no-sparkplug
// `examples/btf-dump-c.mjs [-d] [-B BASE] [--engine auto|js|wasm] [FILE] > vmlinux.h`: what `bpftool [-B BASE] btf
// dump file FILE format c` prints. FILE (default /sys/kernel/btf/vmlinux) is raw BTF or an ELF object's .BTF; split
// BTF needs its base: `-B` names it, and a module's file under /sys/kernel/btf gets vmlinux, as bpftool does. It is
// the template for a CLI entry point, and the whole-process rows of bench/btf-dump-c.bench.mjs run it the way a CLI
// would ship:
//   - `pnpm build` bundles it into one CommonJS file, examples/dist/btf-dump-c.cjs (scripts/bundle-cli.mjs): an
//     ES module entry costs Node 20 ~3 MiB of peak RSS and ~60 ms more;
//   - the library's defaults do the work: for vmlinux the scan, ordering and emission run in WebAssembly;
//     `--engine js` forces the TypeScript paths (for comparisons);
//   - the node flags on the first line (kept by the bundle) apply when the file is executed, as a package bin is;
//     the bench reads them from that line. With the work in WebAssembly, V8's optimizing compilers only cost
//     memory (their code pages and compile zones): JavaScript stays in the interpreter, WebAssembly in its baseline
//     compiler, one thread. Why: docs/decisions.md, "BTF C dump: a one-shot process";
//   - kernel BTF is mapped, not read (readKernelBtfFile; falls back to reading for other files);
//   - the text goes out in 64 KiB pieces of one reused buffer (dumpBtfAsCTo), so no dump-sized string or buffer.
import { writeSync } from "node:fs";
import { basename, dirname } from "node:path";
import { Btf } from "@bpfkit/btf/btf";
import { dumpBtfAsCTo } from "@bpfkit/btf/dump-c";
import { isElf, parseElf } from "@bpfkit/elf";
import { readKernelBtfFile } from "@bpfkit/kernel/btf-file";

const VMLINUX = "/sys/kernel/btf/vmlinux";
const args = process.argv.slice(2);
/** Removes `-x VALUE` (any of `names`) from args; returns VALUE, `fallback` when absent. */
function option(names, fallback) {
  const at = args.findIndex((a) => names.includes(a));
  return at >= 0 ? args.splice(at, 2)[1] : fallback;
}
const debug = args.includes("-d");
if (debug) args.splice(args.indexOf("-d"), 1);
const engine = option(["--engine"], "auto");
const baseOption = option(["-B", "--base-btf"], undefined);
const file = args[0] ?? VMLINUX;
// bpftool loads vmlinux as the base of the other kernel BTF files (modules) unless -B says otherwise.
const basePath = baseOption ?? (isModuleBtf(file) ? VMLINUX : undefined);

function isModuleBtf(path) {
  return dirname(path) === dirname(VMLINUX) && basename(path) !== basename(VMLINUX);
}

/** The BTF in `path`: raw BTF, or the .BTF section of an ELF object. */
function btfBytes(path) {
  const { bytes } = readKernelBtfFile(path);
  if (!isElf(bytes)) return bytes;
  const section = parseElf(bytes).sectionByName(".BTF");
  if (!section) throw new Error(`${path}: no .BTF section`);
  return section.data;
}

/** Writes all of `bytes` to stdout (a file, a pipe or a terminal), waiting out a full non-blocking pipe. */
function writeOut(bytes) {
  for (let done = 0; done < bytes.length; ) {
    try {
      done += writeSync(1, bytes, done);
    } catch (err) {
      if (err.code === "EPIPE") process.exit(0); // the reader is gone (`| head`): stop quietly
      if (err.code !== "EAGAIN") throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

try {
  const base = basePath === undefined ? undefined : Btf.parse(btfBytes(basePath), { scanner: engine });
  const btf = Btf.parse(btfBytes(file), { scanner: engine, base });
  dumpBtfAsCTo(btf, writeOut, { ordering: engine, emitter: engine });
} catch (err) {
  // One line, as bpftool prints its errors; the stack only with -d.
  process.stderr.write(debug ? `${err.stack}\n` : `Error: ${err.message}\n`);
  process.exitCode = 1;
}

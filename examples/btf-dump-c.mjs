#!/usr/bin/env -S node --v8-pool-size=1 --no-turbo-inlining
// `examples/btf-dump-c.mjs [FILE] > vmlinux.h`: what `bpftool btf dump file FILE format c` prints, for a raw BTF
// file (default /sys/kernel/btf/vmlinux). The whole-process rows of bench/btf-dump-c.bench.mjs run this file, so
// it is also the template for a CLI entry point:
//   - the node flags on the first line are applied when the file is executed (a package's bin runs the same way);
//     the bench reads them from that line. Why these two: docs/decisions.md, "BTF C dump: a one-shot process".
//   - kernel BTF is mapped, not read (readKernelBtfFile; falls back to reading for other files);
//   - the text goes out in 64 KiB pieces of one reused buffer (dumpBtfAsCTo), so no dump-sized string or buffer.
// `--ordering js|wasm|auto` picks the ordering implementation (for comparisons; the output is the same).
// Uses the built packages (`pnpm build`).
import { writeSync } from "node:fs";
import { Btf } from "@bpfkit/btf/btf";
import { dumpBtfAsCTo } from "@bpfkit/btf/dump-c";
import { readKernelBtfFile } from "@bpfkit/kernel/btf-file";

const args = process.argv.slice(2);
const at = args.indexOf("--ordering");
const ordering = at >= 0 ? args.splice(at, 2)[1] : "auto";
const file = args[0] ?? "/sys/kernel/btf/vmlinux";

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

const btf = Btf.parse(readKernelBtfFile(file).bytes);
dumpBtfAsCTo(btf, writeOut, { ordering });

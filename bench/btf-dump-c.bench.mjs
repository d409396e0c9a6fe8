// C dump of vmlinux BTF: bpfkit's dumpBtfCChunks vs libbpf 1.1's btf_dump (bench/c/btf_dump_bench.c) and vs the
// whole `bpftool btf dump file /sys/kernel/btf/vmlinux format c` process. Needs `pnpm build`, libbpf-dev, bpftool.
//   - in-process, warm: parse + dump of vmlinux repeated in one process (libbpf: the same loop in C);
//   - in-process, cold: the first parse + dump of a fresh process (JIT warm-up included for us);
//   - whole process: our `bpftool btf dump file VMLINUX format c` (packages/bpftool/bin/bpftool.cjs, what
//     node_modules/.bin/bpftool runs, with the node flags of its first line; the bundle `pnpm build` makes, vmlinux
//     mapped, streamed output) vs bpftool, each writing to a file (`> file`) in a temporary directory; peak RSS of
//     those processes;
//   - the same command unbundled (the ES modules of packages/bpftool/dist, same flags) and the bundle with the
//     TypeScript scan, ordering and emission (BPFKIT_BTF_ENGINE=js), interleaved with the others, so the choices
//     made for the shipped command are measured in the same run.
// The cold in-process figures are also taken with `engine: "js"` (JavaScript ordering and emission, the dumper
// before its WebAssembly paths); the default runs both in WebAssembly for vmlinux.
// Files are read once into a Buffer (a Uint8Array already): wrapping it in `new Uint8Array(...)` would copy it.
// Samples alternate between theirs and ours so load from other processes hits both alike.
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Btf } from "../packages/btf/dist/btf.js";
import { dumpBtfCChunks } from "../packages/btf/dist/dump-c/index.js";
import { median } from "./util.mjs";

const VMLINUX = "/sys/kernel/btf/vmlinux";
const ROUNDS = 9;
const btfIndex = fileURLToPath(new URL("../packages/btf/dist/btf.js", import.meta.url));
const dumpIndex = fileURLToPath(new URL("../packages/btf/dist/dump-c/index.js", import.meta.url));

/** The whole-process contender, run the way its first line says (`#!/usr/bin/env -S node <flags>`). */
const CLI = fileURLToPath(new URL("../packages/bpftool/bin/bpftool.cjs", import.meta.url));
const CLI_ESM = fileURLToPath(new URL("../packages/bpftool/dist/cli.js", import.meta.url));
const CLI_NODE_FLAGS = readFileSync(CLI, "utf8")
  .split("\n", 1)[0]
  .replace(/^#!.*?\bnode\b/, "")
  .trim()
  .split(/\s+/)
  .filter(Boolean);

/** One in-process parse + dump; returns milliseconds. */
function ourDumpOnce(bytes) {
  const t0 = process.hrtime.bigint();
  const btf = Btf.parse(bytes);
  let n = 0;
  for (const chunk of dumpBtfCChunks(btf)) n += chunk.length;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (n < 1_000_000) throw new Error(`dump too short: ${n} bytes`);
  return ms;
}

/** Wall time and peak RSS (KiB, from GNU time) of a process whose stdout is the file `out` (`> out`). */
function runProcess(cmd, args, out, env = process.env) {
  const fd = openSync(out, "w");
  try {
    const t0 = process.hrtime.bigint();
    const r = spawnSync("/usr/bin/time", ["-f", "%M", cmd, ...args], { stdio: ["ignore", fd, "pipe"], env });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
    const rssKiB = Number(r.stderr.toString().trim().split("\n").pop());
    return { ms, rssKiB };
  } finally {
    closeSync(fd);
  }
}

/** Wall time and peak RSS rows (medians) for one kind of whole-process run against bpftool's. */
function processRows(label, ours, theirs, note) {
  const row = (what, unit, value) => ({
    what: `btf dump c: ${label}, ${what}`,
    ours: median(ours.map(value)),
    reference: median(theirs.map(value)),
    unit,
    note,
  });
  return [row("time to a file", "ms", (r) => r.ms), row("peak RSS (GNU time %M)", "MiB", (r) => r.rssKiB / 1024)];
}

export async function run() {
  const dir = mkdtempSync(join(tmpdir(), "bpfkit-dump-c-bench-"));
  try {
    const harness = join(dir, "btf_dump_bench");
    const source = fileURLToPath(new URL("./c/btf_dump_bench.c", import.meta.url));
    execFileSync("cc", ["-O2", "-o", harness, source, "-lbpf"], { stdio: "pipe" });
    const theirsOut = join(dir, "bpftool.h");
    const oursOut = join(dir, "ours.h");
    const ourCli = (entry, env) => [
      "node",
      [...CLI_NODE_FLAGS, entry, "btf", "dump", "file", VMLINUX, "format", "c"],
      oursOut,
      env,
    ];
    const bytes = readFileSync(VMLINUX);

    const libbpf = (runs) => JSON.parse(execFileSync(harness, [String(runs), VMLINUX], { encoding: "utf8" }));
    const theirsWarm = [];
    const oursWarm = [];
    const theirsCold = [];
    const oursCold = [];
    const theirsProc = [];
    const oursProc = [];
    const beforeCold = [];
    const esmProc = [];
    const jsProc = [];
    let same = false;
    const oursColdScript = join(dir, "cold.mjs");
    writeFileSync(
      oursColdScript,
      `import { readFileSync } from "node:fs";
import { Btf } from ${JSON.stringify(btfIndex)};
import { dumpBtfCChunks } from ${JSON.stringify(dumpIndex)};
const bytes = readFileSync(${JSON.stringify(VMLINUX)});
const t0 = process.hrtime.bigint();
let n = 0;
for (const chunk of dumpBtfCChunks(Btf.parse(bytes), { engine: process.argv[2] ?? "auto" })) n += chunk.length;
console.log(JSON.stringify({ ms: Number(process.hrtime.bigint() - t0) / 1e6, n }));
`,
    );
    for (let i = 0; i < 3; i++) ourDumpOnce(bytes); // JIT warm-up for the warm figure
    for (let round = 0; round < ROUNDS; round++) {
      theirsWarm.push(...libbpf(3).total_ms.slice(1));
      for (let i = 0; i < 2; i++) oursWarm.push(ourDumpOnce(bytes));
      theirsCold.push(libbpf(1).total_ms[0]);
      oursCold.push(JSON.parse(execFileSync("node", [oursColdScript], { encoding: "utf8" })).ms);
      beforeCold.push(JSON.parse(execFileSync("node", [oursColdScript, "js"], { encoding: "utf8" })).ms);
      theirsProc.push(runProcess("bpftool", ["btf", "dump", "file", VMLINUX, "format", "c"], theirsOut));
      oursProc.push(runProcess(...ourCli(CLI)));
      if (round === 0) same = readFileSync(oursOut).equals(readFileSync(theirsOut));
      esmProc.push(runProcess(...ourCli(CLI_ESM)));
      jsProc.push(runProcess(...ourCli(CLI, { ...process.env, BPFKIT_BTF_ENGINE: "js" })));
    }
    const nodeStart = median(Array.from({ length: 5 }, () => runProcess("node", ["-e", "0"], oursOut).ms));
    return [
      {
        what: "btf dump c: vmlinux parse+dump in-process, warm",
        ours: median(oursWarm),
        reference: median(theirsWarm),
        unit: "ms",
        note: `libbpf btf__parse + btf_dump__dump_type (all ids) to /dev/null; ${oursWarm.length} runs each`,
      },
      {
        what: "btf dump c: vmlinux parse+dump in-process, cold (first in process)",
        ours: median(oursCold),
        reference: median(theirsCold),
        unit: "ms",
        note: "fresh process each, the issue's in-process target; ours: WebAssembly ordering and emission (default)",
      },
      {
        what: "btf dump c: same, JavaScript ordering and emission",
        ours: median(beforeCold),
        reference: median(theirsCold),
        unit: "ms",
        note: 'engine: "js" (the TypeScript ordering and emitter)',
      },
      ...processRows(
        "vmlinux whole process",
        oursProc,
        theirsProc,
        `bpftool btf dump file VMLINUX format c, packages/bpftool/bin/bpftool.cjs (${CLI_NODE_FLAGS.join(" ")}) vs bpftool; node -e 0 alone: ${nodeStart.toFixed(1)} ms; output ${same ? "same bytes" : "BYTES DIFFER"}; the issue's RSS target is under 4x`,
      ),
      ...processRows("same, unbundled ES modules", esmProc, theirsProc, "packages/bpftool/dist/cli.js, same flags"),
      ...processRows(
        "same, TypeScript scan, ordering and emission",
        jsProc,
        theirsProc,
        "BPFKIT_BTF_ENGINE=js, same flags",
      ),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

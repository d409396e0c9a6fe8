// Fresh process: open + vmlinux BTF + CO-RE (no verifier) of core_task.bpf.o, ours vs libbpf 1.1, one run.
// Each of our samples is a new node process (`--child VARIANT OBJ`) that times, after its imports, the path a
// first loadCollection takes: read + open the object, get vmlinux BTF, build the CO-RE target, relocate. The clock
// stops when relocateCore returns (map creation and BPF_PROG_LOAD follow; "full load" rows include them).
// libbpf's side is bench/c/core_harness.c `time` (its first run in each new process): bpf_object__open_file start to
// the last CO-RE debug-log line, which also contains its feature probes, object BTF load and map creation (~1 ms,
// in our favour). Variants of how the vmlinux target is built:
//   env       kernelEnvironment().vmlinuxTarget, what loadCollection uses
//   raw-read  RawCoreBtf over readFileSync bytes + coreTarget/rawNameIndex (the environment before this bench)
//   raw-mmap  RawCoreBtf over the mmap'ed file
//   btf-read  Btf.parse (wasm scanner) of readFileSync bytes + btfTarget
//   btf-mmap  Btf.parse of the mmap'ed file + btfTarget
// Needs `pnpm tsc -b`, cc + libbpf-dev, root and /sys/kernel/btf/vmlinux.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./util.mjs";

const fixtureDir = fileURLToPath(new URL("../test/fixtures/", import.meta.url));
const VARIANTS = ["env", "raw-read", "raw-mmap", "btf-read", "btf-mmap"];
const VMLINUX = "/sys/kernel/btf/vmlinux";

async function child(variant, objectPath) {
  const btfCore = await import("../packages/btf/dist/core/index.js");
  const { Btf } = await import("../packages/btf/dist/index.js");
  const kernel = await import("../packages/kernel/dist/index.js");
  const { readKernelBtfFile } = await import("../packages/kernel/dist/btf-file.js");
  const { openObject } = await import("../packages/loader/dist/object/index.js");
  const { load } = await import("../packages/loader/dist/prepare/index.js");
  const vmlinuxTarget = {
    env: () => kernel.kernelEnvironment().vmlinuxTarget,
    "raw-read": () => {
      const raw = new btfCore.RawCoreBtf(new Uint8Array(readFileSync(VMLINUX)));
      return btfCore.coreTarget("vmlinux", raw, btfCore.rawNameIndex(raw));
    },
    "raw-mmap": () => {
      const raw = new btfCore.RawCoreBtf(readKernelBtfFile(VMLINUX).bytes);
      return btfCore.coreTarget("vmlinux", raw, btfCore.rawNameIndex(raw));
    },
    "btf-read": () => btfCore.btfTarget("vmlinux", Btf.parse(new Uint8Array(readFileSync(VMLINUX)))),
    "btf-mmap": () => btfCore.btfTarget("vmlinux", Btf.parse(readKernelBtfFile(VMLINUX).bytes)),
  }[variant];
  const backend = new kernel.KernelBackend();
  let coreStart = 0;
  let coreEnd = 0;
  const relocate = (options) => {
    coreStart = performance.now();
    const result = btfCore.relocateCore(options);
    coreEnd = performance.now();
    return result;
  };
  const t0 = performance.now();
  const spec = openObject(new Uint8Array(readFileSync(objectPath)), { path: objectPath });
  const targets = { vmlinux: vmlinuxTarget() };
  const tTarget = performance.now();
  const loaded = load(spec, backend, { core: { relocate, targets } });
  const tLoaded = performance.now();
  loaded.close();
  backend.close();
  return {
    target: tTarget - t0,
    core: coreEnd - coreStart,
    upToCoreEnd: coreEnd - t0,
    fullLoad: tLoaded - t0,
  };
}

if (process.argv[2] === "--child") {
  console.log(JSON.stringify(await child(process.argv[3], process.argv[4])));
}

function runChild(variant, path) {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [self, "--child", variant, path], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${variant}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

export async function run() {
  if (process.getuid?.() !== 0) return [];
  const dir = mkdtempSync(join(tmpdir(), "bpfkit-fresh-bench-"));
  const harness = join(dir, "core_harness");
  execFileSync("cc", ["-O2", "-o", harness, fileURLToPath(new URL("./c/core_harness.c", import.meta.url)), "-lbpf"]);
  const path = join(fixtureDir, "core_task.bpf.o");
  const rounds = Number(process.env.BPFKIT_FRESH_ROUNDS ?? 11);
  const theirs = { core: [], upToCoreEnd: [], fullLoad: [] };
  const ours = Object.fromEntries(VARIANTS.map((v) => [v, { core: [], upToCoreEnd: [], fullLoad: [], target: [] }]));
  // Interleaved: every round runs libbpf once and each variant once, so background load hits all alike.
  for (let round = 0; round < rounds; round++) {
    const [first] = JSON.parse(execFileSync(harness, ["time", path, "1"], { encoding: "utf8", stdio: "pipe" }));
    theirs.core.push(first.core);
    theirs.upToCoreEnd.push(first.upToCoreEnd);
    theirs.fullLoad.push(first.open + first.load);
    for (const variant of VARIANTS) {
      const sample = runChild(variant, path);
      for (const key of Object.keys(ours[variant])) ours[variant][key].push(sample[key]);
    }
  }
  const rows = [];
  const samples = `${rounds} fresh processes each side, interleaved; node startup excluded`;
  for (const variant of VARIANTS) {
    rows.push({
      what: `fresh process: open + vmlinux + CO-RE (no verifier), core_task, ${variant}`,
      ours: median(ours[variant].upToCoreEnd),
      reference: median(theirs.upToCoreEnd),
      unit: "ms",
      note: `vmlinux target ready at ${median(ours[variant].target).toFixed(2)} ms; ${samples}`,
    });
  }
  rows.push(
    {
      what: "fresh process: CO-RE phase, core_task, env",
      ours: median(ours.env.core),
      reference: median(theirs.core),
      unit: "ms",
      note: "relocateCore alone vs libbpf's first to last CO-RE log line",
    },
    {
      what: "fresh process: open + full load (verifier incl.), core_task, env",
      ours: median(ours.env.fullLoad),
      reference: median(theirs.fullLoad),
      unit: "ms",
      note: "ours: openObject + load(); libbpf: open_file + bpf_object__load",
    },
  );
  return rows;
}

// Fresh process: open + vmlinux BTF + CO-RE (no verifier) of core_task.bpf.o, ours vs libbpf 1.1, one run.
// Each of our samples is a new node process (`--child VARIANT OBJ`) that times, after its imports, the path a
// first loadCollection takes: read + open the object, get vmlinux BTF, build the CO-RE target, relocate. The clock
// stops when relocateCore returns (map creation and BPF_PROG_LOAD follow; "full load" rows include them).
// libbpf's side is bench/c/core_harness.c `time` (its first run in each new process): bpf_object__open_file start to
// the last CO-RE debug-log line, which also contains its feature probes, object BTF load and map creation (~1 ms,
// in our favour). Variants of how the vmlinux target is built:
//   env       kernelEnvironment().vmlinuxTarget, what loadCollection uses
//   btf-read  Btf.parse (wasm scanner) of readFileSync bytes + btfTarget
//   btf-mmap  Btf.parse of the mmap'ed file + btfTarget
// "minus BPF_PROG_LOAD" rows (the loader issue: everything but the kernel's own verification): our full load with
// the time inside the backend's loadProgram for the object's programs taken out, against libbpf's open + load with
// the time of those programs' BPF_PROG_LOAD syscalls taken out (bench/c/core_noverifier.c interposes syscall()).
// Needs `pnpm tsc -b`, cc + libbpf-dev, root and /sys/kernel/btf/vmlinux.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./util.mjs";

const fixtureDir = fileURLToPath(new URL("../test/fixtures/", import.meta.url));
const VARIANTS = ["env", "btf-read", "btf-mmap"];
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
    "btf-read": () => btfCore.btfTarget("vmlinux", Btf.parse(new Uint8Array(readFileSync(VMLINUX)))),
    "btf-mmap": () => btfCore.btfTarget("vmlinux", Btf.parse(readKernelBtfFile(VMLINUX).bytes)),
  }[variant];
  const backend = new kernel.KernelBackend();
  // Time spent in the object's BPF_PROG_LOADs (verifier + JIT, plus our call marshalling) is left out of "noVerifier".
  let progLoad = 0;
  const loadProgram = backend.loadProgram.bind(backend);
  backend.loadProgram = (...args) => {
    const start = performance.now();
    try {
      return loadProgram(...args);
    } finally {
      progLoad += performance.now() - start;
    }
  };
  let coreStart = 0;
  let coreEnd = 0;
  const relocate = (options) => {
    coreStart = performance.now();
    const result = btfCore.relocateCore(options);
    coreEnd = performance.now();
    return result;
  };
  const pass = (target) => {
    progLoad = 0;
    const t0 = performance.now();
    const spec = openObject(new Uint8Array(readFileSync(objectPath)), { path: objectPath });
    const targets = { vmlinux: target() };
    const tTarget = performance.now();
    const loaded = load(spec, backend, { core: { relocate, targets } });
    const tLoaded = performance.now();
    loaded.close();
    return {
      target: tTarget - t0,
      core: coreEnd - coreStart,
      upToCoreEnd: coreEnd - t0,
      fullLoad: tLoaded - t0,
      noVerifier: tLoaded - t0 - progLoad,
    };
  };
  const first = pass(vmlinuxTarget);
  // Warm: later loads in the same process, vmlinux kept by the shared environment (what loadCollection does).
  const env = kernel.kernelEnvironment();
  const warm = [];
  if (variant === "env") for (let i = 0; i < 7; i++) warm.push(pass(() => env.vmlinuxTarget).noVerifier);
  backend.close();
  return { ...first, warmNoVerifier: warm.sort((a, b) => a - b)[warm.length >> 1] ?? 0 };
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
  const splitter = join(dir, "core_noverifier");
  execFileSync("cc", [
    "-O2",
    "-o",
    splitter,
    fileURLToPath(new URL("./c/core_noverifier.c", import.meta.url)),
    "-lbpf",
  ]);
  const path = join(fixtureDir, "core_task.bpf.o");
  const rounds = Number(process.env.BPFKIT_FRESH_ROUNDS ?? 11);
  const theirs = { core: [], upToCoreEnd: [], fullLoad: [], noVerifier: [], warmNoVerifier: [] };
  const keys = ["core", "upToCoreEnd", "fullLoad", "target", "noVerifier", "warmNoVerifier"];
  const ours = Object.fromEntries(VARIANTS.map((v) => [v, Object.fromEntries(keys.map((k) => [k, []]))]));
  // Interleaved: every round runs libbpf once and each variant once, so background load hits all alike.
  for (let round = 0; round < rounds; round++) {
    const [first] = JSON.parse(execFileSync(harness, ["time", path, "1"], { encoding: "utf8", stdio: "pipe" }));
    theirs.core.push(first.core);
    theirs.upToCoreEnd.push(first.upToCoreEnd);
    theirs.fullLoad.push(first.open + first.load);
    const split = JSON.parse(execFileSync(splitter, [path, "8"], { encoding: "utf8" }));
    theirs.noVerifier.push(split[0].total - split[0].progLoad);
    theirs.warmNoVerifier.push(median(split.slice(1).map((r) => r.total - r.progLoad)));
    for (const variant of VARIANTS) {
      const sample = runChild(variant, path);
      for (const key of keys) ours[variant][key].push(sample[key]);
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
    {
      what: "fresh process: open + load minus the object's BPF_PROG_LOAD time, core_task, env",
      ours: median(ours.env.noVerifier),
      reference: median(theirs.noVerifier),
      unit: "ms",
      note: "everything but the kernel's verification; libbpf side: bench/c/core_noverifier.c, run 0",
    },
    {
      what: "in-process (warm): open + load minus the object's BPF_PROG_LOAD time, core_task, env",
      ours: median(ours.env.warmNoVerifier),
      reference: median(theirs.warmNoVerifier),
      unit: "ms",
      note: "ours: vmlinux kept by kernelEnvironment(); libbpf re-parses vmlinux per load (runs 1-7)",
    },
  );
  return rows;
}

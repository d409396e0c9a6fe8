// BTF core: open + index /sys/kernel/btf/vmlinux in a fresh process (ours vs libbpf's first btf__parse), and the
// bpftool raw text / -j dumps of vmlinux (ours vs bpftool, whole process). Needs `pnpm build`, libbpf-dev and
// bpftool. Samples alternate ours/theirs so machine load hits both sides alike.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./util.mjs";

const VMLINUX = "/sys/kernel/btf/vmlinux";
const RUNS = Number(process.env.BTF_BENCH_RUNS ?? 11);
const child = fileURLToPath(new URL("./btf-parse-child.mjs", import.meta.url));

/** Runs a command once; returns wall ms and stderr. stdout goes to /dev/null. */
function runOnce(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8", maxBuffer: 1 << 20 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
  return { wall, stderr: r.stderr };
}

function ours(mode) {
  const { wall, stderr } = runOnce(process.execPath, [child, mode, VMLINUX]);
  return { wall, ...JSON.parse(stderr.trim().split("\n").pop()) };
}

export async function run() {
  const dir = mkdtempSync(join(tmpdir(), "bpfkit-btf-bench-"));
  const harness = join(dir, "libbpf_bench");
  execFileSync("cc", ["-O2", "-o", harness, fileURLToPath(new URL("./c/libbpf_bench.c", import.meta.url)), "-lbpf"]);
  const libbpfParse = () => {
    const [wall, , cpu] = execFileSync(harness, ["btf_parse", VMLINUX], { encoding: "utf8" }).trim().split(" ");
    return { wall: Number(wall), cpu: Number(cpu) };
  };

  const s = {
    libbpf: [],
    libbpfCpu: [],
    fs: [],
    mmap: [],
    mmapCpu: [],
    mmapWithKoffi: [],
    prepare: [],
    raw: [],
    rawIn: [],
    json: [],
    jsonIn: [],
    toolRaw: [],
    toolJson: [],
    node: [],
  };
  for (let i = 0; i < RUNS; i++) {
    const lib = libbpfParse();
    s.libbpf.push(lib.wall);
    s.libbpfCpu.push(lib.cpu);
    s.fs.push(ours("open-fs").ms);
    const mm = ours("open-mmap");
    s.mmap.push(mm.ms);
    s.mmapCpu.push(mm.cpuMs);
    s.prepare.push(mm.prepare);
    s.mmapWithKoffi.push(mm.ms + mm.prepare);
    s.node.push(runOnce(process.execPath, ["-e", "0"]).wall);
    s.toolRaw.push(runOnce("bpftool", ["btf", "dump", "file", VMLINUX]).wall);
    const raw = ours("raw");
    s.raw.push(raw.wall);
    s.rawIn.push(raw.ms);
    s.toolJson.push(runOnce("bpftool", ["-j", "btf", "dump", "file", VMLINUX]).wall);
    const json = ours("json");
    s.json.push(json.wall);
    s.jsonIn.push(json.ms);
  }
  const m = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, median(v)]));
  const n = `${RUNS} fresh processes each, interleaved`;
  return [
    {
      what: "btf open+index vmlinux, first in process (fs read)",
      ours: m.fs,
      reference: m.libbpf,
      unit: "ms",
      note: `vs libbpf btf__parse; ${n}`,
    },
    {
      what: "btf open+index vmlinux, first in process (mmap)",
      ours: m.mmap,
      reference: m.libbpf,
      unit: "ms",
      note: `vs libbpf btf__parse; koffi load ${m.prepare.toFixed(1)} ms excluded`,
    },
    {
      what: "btf open+index vmlinux, first in process (mmap, koffi load included)",
      ours: m.mmapWithKoffi,
      reference: m.libbpf,
      unit: "ms",
      note: "vs libbpf btf__parse; what a process pays that has not loaded koffi yet",
    },
    {
      what: "btf open+index vmlinux (mmap), CPU time",
      ours: m.mmapCpu,
      reference: m.libbpfCpu,
      unit: "ms",
      note: "user+sys over the same span; steadier than wall time on a loaded machine",
    },
    {
      what: "btf dump raw text vmlinux, whole process",
      ours: m.raw,
      reference: m.toolRaw,
      unit: "ms",
      note: `vs bpftool; node -e 0 = ${m.node.toFixed(1)} ms`,
    },
    {
      what: "btf dump raw text vmlinux, in-process (read+parse+dump)",
      ours: m.rawIn,
      reference: m.toolRaw,
      unit: "ms",
      note: "vs bpftool whole process; file opened with mmap",
    },
    {
      what: "btf dump -j vmlinux, whole process",
      ours: m.json,
      reference: m.toolJson,
      unit: "ms",
      note: `vs bpftool -j; ${n}`,
    },
    {
      what: "btf dump -j vmlinux, in-process (read+parse+dump)",
      ours: m.jsonIn,
      reference: m.toolJson,
      unit: "ms",
      note: "vs bpftool -j whole process; file opened with mmap",
    },
  ];
}

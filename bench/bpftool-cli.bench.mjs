// The bpftool clone against the real bpftool 7.1.0, whole process (start-up included), side by side in one run:
// what scripts do in loops. For each command: the raw ratio, and (ours - `node -e 0`) / bpftool, which leaves out
// the part of our start-up that is Node's own (ours, bpftool and `node -e 0` run in turn for each row, so each row
// has its own Node start-up figure). The big dumps also report peak RSS (the target: at most 4x).
// Cases: `-j prog show` with 100 programs loaded; `-j map dump` of a 10,000-entry hash map with BTF; `map lookup`;
// 1,000 `map lookup` commands through `batch file`; `prog loadall` of the largest CO-RE fixture;
// `btf dump file vmlinux format c`; `-j btf dump file vmlinux`. Needs `pnpm build`, root, bpffs and bpftool.
// One more row is not ours: the least any Node.js CLI can take for the lookup (bench/node-floor-lookup.cjs), which
// shows how much of "ours - node" is left to win.
import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./util.mjs";

const root = fileURLToPath(new URL("../", import.meta.url));
const BIN = join(root, "packages/bpftool/bin/bpftool.cjs");
const VMLINUX = "/sys/kernel/btf/vmlinux";
const FLOOR = join(root, "bench/node-floor-lookup.cjs");
const RUNS = 11;

/** The node command line the bin's `#!` line asks for. */
function oursCommand() {
  const shebang = readFileSync(BIN, "utf8").split("\n")[0];
  const words = shebang.replace(/^#!\s*\/usr\/bin\/env\s+(-S\s+)?/, "").split(/\s+/);
  return [process.execPath, [...words.slice(1), BIN]];
}

/**
 * One run of a process: wall time (ms) and peak RSS (KiB). Output goes to a file, as a script redirecting it would
 * (bpftool's line-buffered stdout costs it one write(2) per line there, which /dev/null would hide).
 */
function runOnce({ cmd, args, out, input, rss = false }) {
  const stdout = openSync(`${out}.stdout`, "w");
  const stdio = [input === undefined ? "ignore" : "pipe", stdout, "pipe"];
  const t0 = process.hrtime.bigint();
  const r = rss
    ? spawnSync("/usr/bin/time", ["-f", "%M", "-o", `${out}.rss`, cmd, ...args], { stdio, input })
    : spawnSync(cmd, args, { stdio, input });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  closeSync(stdout);
  if (r.status !== 0 && r.status !== 254) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}`);
  return { ms, rss: rss ? Number(readFileSync(`${out}.rss`, "utf8").trim().split("\n").at(-1)) : 0 };
}

/**
 * Medians of several processes run in turn, RUNS rounds after one unmeasured round, so the machine's drift
 * reaches each alike (Node's own start is measured among them, for the "ours - node" figure of the same row).
 */
function measureTogether(jobs) {
  const samples = jobs.map(() => []);
  for (let round = -1; round < RUNS; round++) {
    jobs.forEach((job, k) => {
      const sample = runOnce(job);
      if (round >= 0) samples[k].push(sample);
    });
  }
  return samples.map((list) => ({ ms: median(list.map((s) => s.ms)), rss: median(list.map((s) => s.rss)) }));
}

export async function run() {
  if (process.getuid?.() !== 0) return [{ what: "bpftool CLI", note: "skipped: needs root" }];
  const { KernelBackend, loadCollection } = await import("../packages/kernel/dist/index.js");
  const { encodeInstructions, exit, mov64Imm, ProgType, R0 } = await import("../packages/asm/dist/index.js");
  const { openObject, setMap } = await import("../packages/loader/dist/index.js");
  const [node, flags] = oursCommand();
  const dir = mkdtempSync(join(tmpdir(), "bpfkit-bench-cli-"));
  const pins = `/sys/fs/bpf/bpfkit-bench-cli-${process.pid}`;
  mkdirSync(pins);
  const backend = new KernelBackend();
  const rows = [];
  try {
    const nodeJob = { cmd: process.execPath, args: ["-e", "0"], out: join(dir, "node") };
    const row = (what, ours, theirs, nodeStart, extra = "") => {
      const net = (ours.ms - nodeStart) / theirs.ms;
      const mem = ours.rss
        ? `; peak RSS ${(ours.rss / 1024).toFixed(1)} vs ${(theirs.rss / 1024).toFixed(1)} MiB (${(ours.rss / theirs.rss).toFixed(2)}x)`
        : "";
      rows.push({
        what,
        ours: ours.ms,
        reference: theirs.ms,
        unit: "ms",
        note: `(ours - node ${nodeStart.toFixed(1)} ms) / bpftool = ${net.toFixed(2)}${mem}${extra}`,
      });
    };
    const both = (what, args, options = {}) => {
      const [ours, theirs, nodeStart] = measureTogether([
        { cmd: node, args: [...flags, ...args], ...options, out: join(dir, "ours") },
        { cmd: "bpftool", args, ...options, out: join(dir, "theirs") },
        nodeJob,
      ]);
      row(what, ours, theirs, nodeStart.ms);
    };

    // 100 programs loaded (held by this process).
    const insns = encodeInstructions([mov64Imm(R0, 2), exit()], "little");
    for (let i = 0; i < 100; i++)
      backend.loadProgram({ progType: ProgType.XDP, insns, license: "GPL", name: `bench_${i}` });
    both("-j prog show (100+ programs loaded)", ["-j", "prog", "show"]);

    // A 10,000-entry hash map with BTF (maps.bpf.o's `flows`, resized), filled, pinned.
    const spec = setMap(openObject(new Uint8Array(readFileSync(join(root, "test/fixtures/maps.bpf.o")))), "flows", {
      maxEntries: 10_000,
    });
    const objects = loadCollection(spec, { pinRoot: pins, backend });
    const flows = objects.map("flows");
    const count = 10_000;
    const keys = new Uint8Array(4 * count);
    const valueSize = flows.spec.valueSize;
    const values = new Uint8Array(valueSize * count);
    const kv = new DataView(keys.buffer);
    for (let i = 0; i < count; i++) {
      kv.setUint32(i * 4, i, true);
      values[i * valueSize] = i & 0xff;
    }
    backend.mapUpdateBatch(flows.fd, { keys, values, count });
    const flowsPin = `${pins}/flows`;
    backend.pin(flows.fd, flowsPin);
    both("-j map dump (10,000-entry hash, BTF)", ["-j", "map", "dump", "pinned", flowsPin], { rss: true });
    const lookup = ["map", "lookup", "pinned", flowsPin, "key", "7", "0", "0", "0"];
    both("map lookup (one key)", lookup);
    // The floor under any Node.js CLI: the same lookup by a script that does nothing else (koffi, two bpf(2) calls,
    // one line of hex), with the bin's node flags.
    const [floor, bpftoolLookup, floorNode] = measureTogether([
      {
        cmd: node,
        args: [...flags.filter((f) => f.startsWith("-")), FLOOR, flowsPin, String(valueSize), "7", "0", "0", "0"],
        out: join(dir, "floor"),
      },
      { cmd: "bpftool", args: lookup, out: join(dir, "theirs") },
      nodeJob,
    ]);
    row(
      "map lookup: the Node.js floor (koffi + 2 syscalls)",
      floor,
      bpftoolLookup,
      floorNode.ms,
      "; not ours: bench/node-floor-lookup.cjs",
    );
    const batch = join(dir, "lookups");
    writeFileSync(
      batch,
      Array.from({ length: 1000 }, (_, i) => `map lookup pinned ${flowsPin} key ${i & 0xff} ${i >> 8} 0 0\n`).join(""),
    );
    both("batch file: 1,000 map lookups", ["batch", "file", batch]);
    objects.close();

    // prog loadall of the largest CO-RE fixture, pins removed after each run by a fresh path per run.
    let n = 0;
    const loadallOnce = (cmd, pre) => {
      const path = `${pins}/load-${n++}`;
      const t0 = process.hrtime.bigint();
      const r = spawnSync(cmd, [...pre, "prog", "loadall", join(root, "test/fixtures/core_task.bpf.o"), path], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      rmSync(path, { recursive: true, force: true });
      if (r.status !== 0) throw new Error(`${cmd} prog loadall: ${r.stderr}`);
      return ms;
    };
    const loads = { ours: [], theirs: [], node: [] };
    for (let round = -1; round < RUNS; round++) {
      const ours = loadallOnce(node, flags);
      const theirs = loadallOnce("bpftool", []);
      const nodeMs = runOnce(nodeJob).ms;
      if (round < 0) continue;
      loads.ours.push(ours);
      loads.theirs.push(theirs);
      loads.node.push(nodeMs);
    }
    row(
      "prog loadall core_task.bpf.o (CO-RE)",
      { ms: median(loads.ours), rss: 0 },
      { ms: median(loads.theirs), rss: 0 },
      median(loads.node),
    );

    both("btf dump file vmlinux format c", ["btf", "dump", "file", VMLINUX, "format", "c"], { rss: true });
    both("-j btf dump file vmlinux", ["-j", "btf", "dump", "file", VMLINUX], { rss: true });
  } catch (error) {
    rows.push({ what: "bpftool CLI", note: `failed: ${String(error).split("\n")[0]}` });
  } finally {
    backend.close();
    rmSync(pins, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

// Static linker: bpfkit's link() vs libbpf 1.1's bpf_linker (bench/c/link_harness.c), and `bpftool gen object`
// ours vs the real bpftool 7.1.0, whole process, same inputs, same run. Inputs are N = 2, 10, 100 small distinct
// objects generated from one C template (built with clang-19 once, cached in the temp dir): each has a global
// __noinline function, a static one, a hash map, a .data and a .bss variable, an xdp program calling its function,
// and an extern function defined by the next object (the last one's by the first), which the linker resolves.
// In-process, libbpf's time includes reading its inputs (libelf) and writing the output file; ours takes inputs
// already in memory and writes its output with writeFileSync to the same kind of path (/dev/shm when there is one).
// Each side's warm links run in a process of its own that spawns nothing (libbpf's harness; our `--warm` child).
// Whole process rows also report (ours - `node -e 0`) / bpftool. The scaling row is per-object time at N=100 over
// per-object time at N=10 (1.00 = linear). Needs clang-19, libbpf-dev and bpftool; ours needs `pnpm build`
// (packages/linker/dist), and without it only the reference side runs.
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { median } from "./util.mjs";

const root = fileURLToPath(new URL("../", import.meta.url));
const LINKER = join(root, "packages/linker/dist/index.js");
const BIN = join(root, "packages/bpftool/bin/bpftool.cjs");
const BPFTOOL = "/usr/sbin/bpftool";
const CLANG = "clang-19";
const CFLAGS = ["-g", "-O2", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu"];
const SIZES = [2, 10, 100];
/** Interleaved rounds (libbpf, ours, libbpf, ...) so background load hits both sides alike. */
const ROUNDS = 5;
/** Links per round: warm samples are ROUNDS x REPEAT per side. */
const REPEAT = { 2: 20, 10: 20, 100: 10 };
/** Whole-process runs per command (after one unmeasured run each). */
const RUNS = 11;

/** Object i of a ring of n: everything named by i, so no two inputs of one link define the same symbol. */
function source(i, n) {
  const next = (i + 1) % n;
  return `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} link_map_${i} SEC(".maps");

int link_data_${i} = ${i + 1};
__u64 link_bss_${i};

extern int link_fn_${next}(int x);

static __noinline int link_mix_${i}(int x)
{
	return x * ${2 * i + 3} ^ link_data_${i};
}

__noinline int link_fn_${i}(int x)
{
	__u32 key = x & 15;
	__u64 *count = bpf_map_lookup_elem(&link_map_${i}, &key);

	if (count)
		__sync_fetch_and_add(count, 1);
	link_bss_${i} += x;
	return link_mix_${i}(x);
}

SEC("xdp")
int link_prog_${i}(struct xdp_md *ctx)
{
	int x = ctx->ingress_ifindex;

	return (link_fn_${i}(x) + link_fn_${next}(x)) & 1 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
`;
}

/**
 * The objects of every size, compiled once into a directory named by a hash of the sources, flags and clang
 * version: later runs reuse it. Built in a scratch directory renamed into place, so a half-built set is never used.
 */
async function objects() {
  const sets = SIZES.map((n) => Array.from({ length: n }, (_, i) => ({ n, i, text: source(i, n) })));
  const hash = createHash("sha256")
    .update(execFileSync(CLANG, ["--version"]))
    .update(CFLAGS.join(" "))
    .update(
      sets
        .flat()
        .map((s) => s.text)
        .join("\0"),
    )
    .digest("hex")
    .slice(0, 16);
  const dir = join(tmpdir(), `bpfkit-linker-bench-${hash}`);
  const paths = (base) => new Map(SIZES.map((n, k) => [n, sets[k].map(({ i }) => join(base, `link_${n}_${i}.o`))]));
  if (existsSync(dir)) return paths(dir);
  const scratch = mkdtempSync(`${dir}.tmp-`);
  const jobs = sets.flat();
  const compile = promisify(execFile);
  // One clang per CPU the machine kind has (2); ~50 ms each, ~3 s for the 112 objects.
  const worker = async () => {
    for (let job = jobs.shift(); job; job = jobs.shift()) {
      const c = join(scratch, `link_${job.n}_${job.i}.c`);
      writeFileSync(c, job.text);
      await compile(CLANG, [...CFLAGS, "-c", c, "-o", c.replace(/\.c$/, ".o")]);
    }
  };
  await Promise.all([worker(), worker()]);
  renameSync(scratch, dir);
  return paths(dir);
}

/** The node command line the bin's `#!` line asks for (as bpftool-cli.bench.mjs runs it). */
function oursCommand() {
  const shebang = readFileSync(BIN, "utf8").split("\n")[0];
  const words = shebang.replace(/^#!\s*\/usr\/bin\/env\s+(-S\s+)?/, "").split(/\s+/);
  return [process.execPath, [...words.slice(1), BIN]];
}

/**
 * Wall time (ms) of one process. When it fails, throws an error whose `why` is its stderr's error line (bpftool's
 * `Error: ...`, or the message of a Node crash, whose last line is only Node's version).
 */
function processMs(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) {
    const lines = (r.stderr ?? "").trim().split("\n");
    const why = r.error?.message ?? lines.find((l) => /^\w*Error\b/.test(l)) ?? (lines.at(-1) || `exit ${r.status}`);
    throw Object.assign(new Error(`${cmd} ${args.join(" ")}: ${why}`), { why });
  }
  return ms;
}

/** One link + write of already-read inputs; ms for link() alone and for link + write. */
function linkOnce(link, inputs, out) {
  const t0 = performance.now();
  const bytes = link(inputs);
  const t1 = performance.now();
  writeFileSync(out, bytes);
  return { link: t1 - t0, total: performance.now() - t0, bytes: bytes.length };
}

const readInputs = (paths) => paths.map((path) => ({ name: path, bytes: new Uint8Array(readFileSync(path)) }));

// Child mode: the first link in a fresh process, our modules loaded before the clock starts (as libbpf.so is
// mapped before the harness's clock starts).
if (process.argv[2] === "--once") {
  const { link } = await import(pathToFileURL(LINKER).href);
  const inputs = readInputs(process.argv.slice(4));
  console.log(JSON.stringify(linkOnce(link, inputs, process.argv[3])));
}

// Child mode: warm links in a process of their own, as libbpf's harness runs its links. Measured in the bench's
// own process they were twice as slow: after each spawn (the harness, a fresh node) the parent's pages are
// copy-on-write, and its next links took 23-38 page faults each against 0.2 with no spawn before them (212 vs
// 119 µs per link at N=2, same code).
// The warm-up runs the measured operation itself (link + write) for a fixed time: warming link() alone left Node's
// write path unoptimized in the samples (~38 against ~17 µs a write), and at N=2 link() settles only after ~3,000
// links (1,000 left it at 0.10-0.11 ms against 0.08 in steady state).
if (process.argv[2] === "--warm") {
  const [out, repeat, warmupMs, ...paths] = process.argv.slice(3);
  const { link } = await import(pathToFileURL(LINKER).href);
  const inputs = readInputs(paths);
  for (const t0 = performance.now(); performance.now() - t0 < Number(warmupMs); ) linkOnce(link, inputs, out);
  const samples = Array.from({ length: Number(repeat) }, () => linkOnce(link, inputs, out));
  console.log(JSON.stringify(samples));
}

const fmt = (ms) => `${ms < 10 ? ms.toFixed(3) : ms.toFixed(1)} ms`;
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

export async function run() {
  const missing = [
    [CLANG, spawnSync(CLANG, ["--version"]).status === 0],
    ["libbpf-dev", ["libbpf.h", "bpf_helpers.h"].every((h) => existsSync(`/usr/include/bpf/${h}`))],
    ["linux/bpf.h", existsSync("/usr/include/linux/bpf.h")],
  ].filter(([, ok]) => !ok);
  if (missing.length) return [{ what: "static linker", note: `skipped: needs ${missing.map(([m]) => m).join(", ")}` }];
  const oursSkipped = existsSync(LINKER) ? undefined : "ours skipped: packages/linker/dist not built (pnpm build)";
  const hasBpftool = existsSync(BPFTOOL);
  if (oursSkipped) console.log(`linker: ${oursSkipped}; reference side only`);
  if (!hasBpftool) console.log(`linker: ${BPFTOOL} not found, whole-process rows skipped`);

  const sets = await objects();
  const harness = join(mkdtempSync(join(tmpdir(), "bpfkit-linker-harness-")), "link_harness");
  execFileSync("cc", ["-O2", "-o", harness, fileURLToPath(new URL("./c/link_harness.c", import.meta.url)), "-lbpf"]);
  // Outputs of both sides go to memory-backed files, so disk writeback does not enter either side's times.
  const scratch = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "bpfkit-linker-bench-"));
  const link = oursSkipped ? undefined : (await import(pathToFileURL(LINKER).href)).link;
  const self = fileURLToPath(import.meta.url);
  const rows = [];
  const perObject = new Map();
  try {
    // In-process, per N: libbpf (cold = each harness process's first link, warm = the rest) and ours.
    for (const n of SIZES) {
      const paths = sets.get(n);
      const theirsOut = join(scratch, `theirs-${n}.o`);
      const oursOut = join(scratch, `ours-${n}.o`);
      const theirs = { cold: [], warm: [], bytes: 0 };
      const ours = { cold: [], warm: [], link: [], bytes: 0 };
      // JIT warm-up in each child: "warm" means optimized code, as libbpf's side is compiled C.
      const warmupMs = 1000;
      for (let round = 0; round < ROUNDS; round++) {
        const out = JSON.parse(
          execFileSync(harness, [theirsOut, String(REPEAT[n] + 1), ...paths], { encoding: "utf8", stdio: "pipe" }),
        );
        theirs.cold.push(out.times[0]);
        theirs.warm.push(...out.times.slice(1));
        theirs.bytes = out.bytes;
        if (!link) continue;
        const warm = spawnSync(
          process.execPath,
          [self, "--warm", oursOut, String(REPEAT[n]), String(warmupMs), ...paths],
          {
            encoding: "utf8",
          },
        );
        if (warm.status !== 0) throw new Error(warm.stderr);
        for (const r of JSON.parse(warm.stdout)) {
          ours.warm.push(r.total);
          ours.link.push(r.link);
          ours.bytes = r.bytes;
        }
        // The fresh process last: a node start-up right before the warm samples would leave the machine busy.
        const fresh = spawnSync(process.execPath, [self, "--once", oursOut, ...paths], { encoding: "utf8" });
        if (fresh.status !== 0) throw new Error(fresh.stderr);
        ours.cold.push(JSON.parse(fresh.stdout).total);
      }
      const oursMs = (samples) => (link ? median(samples) : undefined);
      const sizes = link ? `output ${kib(ours.bytes)} vs ${kib(theirs.bytes)}` : `libbpf output ${kib(theirs.bytes)}`;
      perObject.set(n, { ours: oursMs(ours.warm), theirs: median(theirs.warm) });
      rows.push(
        {
          what: `link ${n} objects, in-process, warm`,
          ours: oursMs(ours.warm),
          reference: median(theirs.warm),
          unit: "ms",
          note: link
            ? `ours: link() ${fmt(median(ours.link))} + write; libbpf also reads its inputs; ${sizes}`
            : `${oursSkipped}; libbpf: read inputs + link + write; ${sizes}`,
        },
        {
          what: `link ${n} objects, in-process, first in process`,
          ours: oursMs(ours.cold),
          reference: median(theirs.cold),
          unit: "ms",
          note: `${link ? "" : `${oursSkipped}; `}${ROUNDS} processes each; module/library loading excluded`,
        },
      );
    }

    // Scaling: per-object cost at N=100 relative to N=10.
    const growth = (side) => perObject.get(100)[side] / 100 / (perObject.get(10)[side] / 10);
    const per = (side, n) => fmt(perObject.get(n)[side] / n);
    rows.push({
      what: "per-object time, N=100 / N=10 (1 = linear)",
      ours: link ? growth("ours") : undefined,
      reference: growth("theirs"),
      unit: "x",
      note: link
        ? `ours ${per("ours", 10)} -> ${per("ours", 100)}, libbpf ${per("theirs", 10)} -> ${per("theirs", 100)} per object`
        : `${oursSkipped}; libbpf ${per("theirs", 10)} -> ${per("theirs", 100)} per object`,
    });

    // Whole process: `bpftool gen object OUT IN...`, ours (the bin, as a user runs it) and the real one,
    // interleaved with `node -e 0` so Node's own start-up can be taken out of ours. spawnSync itself costs ~1 ms
    // (a `/bin/true` takes that long), hence bpftool above baselines.md's figures: the note gives that floor.
    if (hasBpftool) {
      const [node, flags] = oursCommand();
      for (const n of SIZES) {
        const paths = sets.get(n);
        const oursArgs = [...flags, "gen", "object", join(scratch, `cli-ours-${n}.o`), ...paths];
        const theirsArgs = ["gen", "object", join(scratch, `cli-theirs-${n}.o`), ...paths];
        let oursNote = oursSkipped;
        if (!oursNote) {
          try {
            processMs(node, oursArgs);
          } catch (error) {
            oursNote = `ours skipped: ${error.why ?? error.message}`;
          }
        }
        processMs(BPFTOOL, theirsArgs);
        const samples = { floor: [], node: [], ours: [], theirs: [] };
        for (let i = 0; i < RUNS; i++) {
          samples.floor.push(processMs("/bin/true", []));
          samples.theirs.push(processMs(BPFTOOL, theirsArgs));
          if (oursNote) continue;
          samples.node.push(processMs(process.execPath, ["-e", "0"]));
          samples.ours.push(processMs(node, oursArgs));
        }
        const theirs = median(samples.theirs);
        const ours = oursNote ? undefined : median(samples.ours);
        const nodeStart = oursNote ? undefined : median(samples.node);
        const floor = `spawn floor (/bin/true) ${fmt(median(samples.floor))}`;
        rows.push({
          what: `gen object, ${n} objects, whole process`,
          ours,
          reference: theirs,
          unit: "ms",
          note: oursNote
            ? `${oursNote}; ${floor}`
            : `(ours - node ${nodeStart.toFixed(1)} ms) / bpftool = ${((ours - nodeStart) / theirs).toFixed(2)}; ${floor}`,
        });
      }
    } else {
      rows.push({ what: "gen object, whole process", note: `skipped: ${BPFTOOL} not found` });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    rmSync(join(harness, ".."), { recursive: true, force: true });
  }
  return rows;
}

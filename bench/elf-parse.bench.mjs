// @bpfkit/elf: parse + walk every section, symbol and relocation of the fixture objects, against
// `llvm-readelf-19 -S -s -r` on the same files. llvm-readelf is a whole process that also formats text, so there
// are two comparisons per file set: ours in-process (what a library caller pays), and ours as a whole Node
// process (`node -e`, import + read + parse + walk) against the readelf process, which is the fair
// tool-to-tool figure and is dominated by Node's startup (see the `node -e 0` row).
// A last row compares read → write of every object (our round trip) with `llvm-objcopy-19` copying it.
// Needs `pnpm build` (imports the built package) and the LLVM 19 tools.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { elfToWriteModel, parseElf, writeElf } from "@bpfkit/elf";
import { median } from "./util.mjs";

const fixtureDir = fileURLToPath(new URL("../test/fixtures/", import.meta.url));
const elfEntry = fileURLToPath(import.meta.resolve("@bpfkit/elf"));

/** Wall time of one call, in ms. */
function once(fn) {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function spawnOrThrow(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
}

/**
 * Medians of several measured functions sampled in alternating rounds (a, b, c, a, b, c ...), so that load from
 * other processes on this 2-core machine hits every side alike.
 */
function interleaved(fns, { rounds = 15, warmup = 2 } = {}) {
  for (let i = 0; i < warmup; i++) for (const fn of fns) fn();
  const samples = fns.map(() => []);
  for (let round = 0; round < rounds; round++) for (const [i, fn] of fns.entries()) samples[i].push(once(fn));
  return samples.map(median);
}

/** Touches what a consumer reads: names, data views, resolved symbols and relocation targets. */
function walk(file) {
  let n = 0;
  for (const s of file.sections) n += s.name.length + s.data.length;
  for (const sym of file.symbols) n += sym.name.length + (sym.section ? sym.section.index : 0);
  for (const r of file.relocationSections) {
    for (const e of r.relocations) n += e.offset + e.symbol.name.length + r.target.index;
  }
  return n;
}

// The same parse + walk as a standalone process, fed the file names as arguments.
const processScript = `
import { readFileSync } from "node:fs";
import { parseElf } from ${JSON.stringify(elfEntry)};
let n = 0;
for (const path of process.argv.slice(1)) {
  const file = parseElf(new Uint8Array(readFileSync(path)));
  ${walk
    .toString()
    .replace(/^function walk\(file\) \{|\}$/g, "")
    .replace("return n;", "")}
}
if (n < 0) console.log(n);
`;

export async function run() {
  const all = readdirSync(fixtureDir)
    .filter((f) => f.endsWith(".o"))
    .sort()
    .map((f) => join(fixtureDir, f));
  const sizeOf = (path) => statSync(path).size;
  const sets = [
    { what: "all fixtures", files: all },
    { what: "small objects (< 100 KB)", files: all.filter((f) => sizeOf(f) < 100_000) },
    { what: "large objects (CO-RE + DWARF, > 100 KB)", files: all.filter((f) => sizeOf(f) >= 100_000) },
    { what: "big-endian objects", files: all.filter((f) => f.endsWith(".bpfeb.o")) },
  ].filter((set) => set.files.length > 0);

  const rows = [];
  const readelfArgs = (files) => ["-S", "-s", "-r", "--wide", ...files];
  for (const set of sets) {
    const bytes = set.files.map((f) => new Uint8Array(readFileSync(f)));
    const kb = Math.round(bytes.reduce((n, b) => n + b.length, 0) / 1024);
    const label = `${set.what}: ${set.files.length} files, ${kb} KB`;
    const passes = 20;
    const [ours, oursProcess, readelf] = interleaved([
      () => {
        for (let i = 0; i < passes; i++) for (const b of bytes) walk(parseElf(b));
      },
      () => spawnOrThrow("node", ["--input-type=module", "-e", processScript, ...set.files]),
      () => spawnOrThrow("llvm-readelf-19", readelfArgs(set.files)),
    ]);
    rows.push({
      what: `parse+walk ${label}`,
      ours: ours / passes,
      reference: readelf,
      unit: "ms",
      note: "ours in-process; llvm-readelf -S -s -r: whole process",
    });
    rows.push({
      what: `parse+walk ${label}, whole process`,
      ours: oursProcess,
      reference: readelf,
      unit: "ms",
      note: "node -e (import, read, parse, walk) vs llvm-readelf",
    });
  }
  const [nodeStart, readelfVersion] = interleaved([
    () => spawnOrThrow("node", ["-e", "0"]),
    () => spawnOrThrow("llvm-readelf-19", ["--version"]),
  ]);
  rows.push({
    what: "process start floor: node -e 0 vs llvm-readelf-19 --version",
    ours: nodeStart,
    reference: readelfVersion,
    unit: "ms",
  });

  // Rewrite: parse → model → write for every object, vs llvm-objcopy copying each one.
  const work = mkdtempSync(join(tmpdir(), "bpfkit-elf-bench-"));
  try {
    const bytes = all.map((f) => new Uint8Array(readFileSync(f)));
    const [ours, objcopy] = interleaved(
      [
        () => {
          for (const b of bytes) writeElf(elfToWriteModel(parseElf(b)));
        },
        () => {
          for (const [i, f] of all.entries()) spawnOrThrow("llvm-objcopy-19", [f, join(work, `${i}.o`)]);
        },
      ],
      { rounds: 7 },
    );
    rows.push({
      what: `read+write all ${all.length} fixtures`,
      ours,
      reference: objcopy,
      unit: "ms",
      note: "ours in-process; llvm-objcopy: one process per file",
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return rows;
}

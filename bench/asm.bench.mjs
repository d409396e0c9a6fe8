// @bpfkit/asm: decode/encode throughput and `prog dump xlated` text, ours (in-process) vs bpftool 7.1 (process).
// The bpftool figure is a whole process (startup, reading /proc/kallsyms, bpf syscalls, printing); ours is the
// decode + disassemble of the same xlated bytes with kallsyms already parsed, so the ratio says how much of a CLI
// call the formatting itself would cost, not that we are "faster than bpftool". Needs `pnpm build`; the xlated
// rows need root, bpffs and bpftool (skipped otherwise).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  BPFTOOL_HELPER_NAMES,
  bpftoolXlatedSymbolizer,
  decodeInstructions,
  disassemble,
  encodeInstructions,
  parseKallsyms,
} from "../packages/asm/dist/index.js";
import { timeIt, timeProcess } from "./util.mjs";

const fixtureDir = fileURLToPath(new URL("../test/fixtures/", import.meta.url));

/** Executable section bytes of a fixture, found by reading the ELF section table directly. */
function execSections(object) {
  const elf = new Uint8Array(readFileSync(fixtureDir + object));
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const le = elf[5] === 1;
  const shoff = Number(view.getBigUint64(0x28, le));
  const shentsize = view.getUint16(0x3a, le);
  const shnum = view.getUint16(0x3c, le);
  const out = [];
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * shentsize;
    const type = view.getUint32(h + 4, le);
    const flags = Number(view.getBigUint64(h + 8, le));
    const off = Number(view.getBigUint64(h + 0x18, le));
    const size = Number(view.getBigUint64(h + 0x20, le));
    if (type === 1 && flags & 4 && size > 0)
      out.push({ bytes: elf.slice(off, off + size), endian: le ? "little" : "big" });
  }
  return out;
}

export async function run() {
  const rows = [];

  // 1. Codec throughput on real code: every fixture section, repeated to ~1M slots.
  const sections = readdirSync(fixtureDir)
    .filter((f) => f.endsWith(".o"))
    .flatMap(execSections);
  const slots = sections.reduce((n, s) => n + s.bytes.length / 8, 0);
  const reps = Math.ceil(1_000_000 / slots);
  const decodeMs = await timeIt(() => {
    for (let r = 0; r < reps; r++) for (const s of sections) decodeInstructions(s.bytes, s.endian);
  });
  const decoded = sections.map((s) => ({ insns: decodeInstructions(s.bytes, s.endian), endian: s.endian }));
  const encodeMs = await timeIt(() => {
    for (let r = 0; r < reps; r++) for (const d of decoded) encodeInstructions(d.insns, d.endian);
  });
  const perM = 1_000_000 / (slots * reps);
  rows.push({ what: "decode 1M instruction slots (fixture code)", ours: decodeMs * perM, unit: "ms" });
  rows.push({ what: "encode 1M instruction slots (fixture code)", ours: encodeMs * perM, unit: "ms" });
  const formatMs = await timeIt(() => {
    for (let r = 0; r < reps; r++) for (const d of decoded) disassemble(d.insns);
  });
  rows.push({ what: "disassemble 1M instructions (no symbolizer)", ours: formatMs * perM, unit: "ms" });

  // 2. kallsyms parsing (what bpftool does on every dump).
  let kallsymsText;
  try {
    kallsymsText = readFileSync("/proc/kallsyms", "utf8");
  } catch {
    return rows;
  }
  const kallsymsMs = await timeIt(() => parseKallsyms(kallsymsText), { runs: 5 });
  rows.push({ what: "parseKallsyms(/proc/kallsyms)", ours: kallsymsMs, unit: "ms" });

  // 3. `prog dump xlated` of a loaded program: ours in-process vs the bpftool process.
  if (process.getuid?.() !== 0) return rows;
  const pinDir = `/sys/fs/bpf/bpfkit-asm-bench-${process.pid}`;
  const work = mkdtempSync(join(tmpdir(), "bpfkit-asm-bench-"));
  try {
    mkdirSync(pinDir);
    execFileSync("bpftool", ["prog", "loadall", `${fixtureDir}core_task.bpf.o`, `${pinDir}/core_task`], {
      stdio: "ignore",
    });
    const pin = `${pinDir}/core_task/${readdirSync(`${pinDir}/core_task`)[0]}`;
    const { id } = JSON.parse(execFileSync("bpftool", ["-j", "prog", "show", "pinned", pin], { encoding: "utf8" }));
    const file = join(work, "xlated.bin");
    execFileSync("bpftool", ["prog", "dump", "xlated", "id", String(id), "file", file]);
    const raw = new Uint8Array(readFileSync(file));
    const kallsyms = parseKallsyms(kallsymsText);
    const options = {
      dialect: "v6.1",
      helperNames: BPFTOOL_HELPER_NAMES,
      symbolizer: bpftoolXlatedSymbolizer({ kallsyms }),
    };
    const n = raw.length / 8;
    const ours = await timeIt(() => disassemble(decodeInstructions(raw, "little", { lenient: true }), options), {
      runs: 51,
    });
    const theirs = timeProcess("bpftool", ["prog", "dump", "xlated", "id", String(id)], { runs: 11 });
    rows.push({
      what: `dump xlated text, core_task (${n} slots)`,
      ours,
      reference: theirs,
      unit: "ms",
      note: "ours: decode+format in-process; bpftool: whole process",
    });
  } finally {
    rmSync(pinDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
  return rows;
}

// `pnpm start [file.o] [--vm]`: the main job on a BPF object. Shows what is inside it (sections, symbols, programs
// with their disassembly, maps), then loads it, runs an XDP program on a test packet and prints the maps it wrote:
// in the running kernel where bpf(2) works (root), else (or with --vm) in the userspace VM, which needs no
// privileges. Uses the built packages (`pnpm install` builds them).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bpftoolMapType, bpftoolProgType, disassemble } from "@bpfkit/asm";
import {
  parseElf,
  SHF_EXECINSTR,
  SHN_ABS,
  SHN_COMMON,
  SHN_UNDEF,
  SHT_PROGBITS,
  STT_FUNC,
  sectionFlagLetters,
  sectionTypeName,
  symbolBindingName,
  symbolTypeName,
} from "@bpfkit/elf";

// Program and map types by name, as bpftool 7.1 prints them (a number for a type its tables do not name).
const progType = bpftoolProgType;
const mapType = bpftoolMapType;

const args = process.argv.slice(2);
const wantVm = args.includes("--vm");
const path =
  args.find((a) => !a.startsWith("--")) ?? fileURLToPath(new URL("../test/fixtures/xdp_parse.bpf.o", import.meta.url));
const file = parseElf(new Uint8Array(readFileSync(path)));

/** Prints rows as columns padded to the widest cell; numeric columns are right-aligned. */
function table(title, header, rows) {
  console.log(`\n${title} (${rows.length})`);
  if (rows.length === 0) return;
  const all = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  const numeric = header.map((_, i) => rows.every((row) => typeof row[i] === "number"));
  for (const [r, row] of all.entries()) {
    const cells = row.map((cell, i) => (numeric[i] && r > 0 ? cell.padStart(widths[i]) : cell.padEnd(widths[i])));
    console.log(`  ${cells.join("  ").trimEnd()}`);
  }
}

function sectionOf(symbol) {
  if (symbol.section) return symbol.section.name;
  if (symbol.shndx === SHN_UNDEF) return "UND";
  if (symbol.shndx === SHN_ABS) return "ABS";
  if (symbol.shndx === SHN_COMMON) return "COM";
  return `#${symbol.shndx}`;
}

const { header } = file;
console.log(`${path}`);
console.log(
  `  ELF64 ${header.endianness}-endian, machine ${header.machine}${header.machine === 247 ? " (BPF)" : ""}, ` +
    `type ${header.type}, ${file.sections.length} section headers, ${Math.max(file.symbols.length - 1, 0)} symbols`,
);

table(
  "Sections",
  ["idx", "name", "type", "size", "flags"],
  file.sections.slice(1).map((s) => [s.index, s.name, sectionTypeName(s.type), s.size, sectionFlagLetters(s.flags)]),
);

table(
  "Symbols",
  ["name", "section", "bind", "type", "size"],
  file.symbols
    .slice(1)
    .map((s) => [
      s.name || `(${sectionOf(s)})`,
      sectionOf(s),
      symbolBindingName(s.binding),
      symbolTypeName(s.type),
      s.size,
    ]),
);

// Programs as libbpf finds them: functions in executable PROGBITS sections; those in .text are subprograms.
const programs = file.symbols.filter(
  (s) => s.type === STT_FUNC && s.section?.type === SHT_PROGBITS && s.section.flags & SHF_EXECINSTR,
);
table(
  "Programs",
  ["name", "section", "insns", "kind"],
  programs.map((s) => [s.name, s.section.name, s.size / 8, s.section.name === ".text" ? "subprogram" : "program"]),
);

// The loader's view: programs with subprograms appended, maps as libbpf would create them.
const { openObject } = await import("@bpfkit/loader");
const spec = openObject(new Uint8Array(readFileSync(path)), { path });
for (const prog of spec.programs) {
  console.log(`\nProgram ${prog.name}: SEC("${prog.section}"), type ${progType(prog.type)}`);
  const lines = disassemble(prog.instructions);
  for (const line of lines.slice(0, 40)) console.log(`  ${line}`);
  if (lines.length > 40) console.log(`  ... ${lines.length - 40} more`);
}
table(
  "Maps",
  ["name", "type", "key", "value", "max_entries", "flags"],
  spec.maps.map((m) => [m.name, mapType(m.type), m.keySize, m.valueSize, m.maxEntries, `0x${m.flags.toString(16)}`]),
);

await run(spec);

/** Loads the object (into the kernel, or the VM) and runs its first XDP program on a UDP packet. */
async function run(objectSpec) {
  const { loadCollection } = await import("@bpfkit/kernel");
  let backend;
  let where = "the kernel";
  if (wantVm || process.getuid?.() !== 0) {
    if (!wantVm) console.log("\nbpf(2) needs root (or CAP_BPF + CAP_PERFMON): using the userspace VM instead.");
    const { VmBackend } = await import("@bpfkit/vm");
    backend = new VmBackend({ engine: "compiled" });
    where = "the userspace VM";
  }
  let objects;
  try {
    // kernel facts (vmlinux BTF for CO-RE, kconfig, ksyms) are gathered by loadCollection itself
    objects = loadCollection(objectSpec, backend ? { backend } : {});
  } catch (err) {
    console.log(`\nLoading into ${where} failed: ${err.message}`);
    return;
  }
  try {
    console.log(`\nLoaded into ${where}: ${objects.programs.size} program(s), ${objects.maps.size} map(s)`);
    for (const [name, program] of objects.programs) {
      const info = program.info();
      console.log(`  prog ${name}: id ${info.id}, ${info.xlatedProgLen / 8} xlated insns, tag ${info.tag}`);
    }
    const xdp = [...objects.programs.values()].find((p) => progType(p.type) === "xdp");
    if (!xdp) return;
    const packet = udpPacket();
    const run = xdp.testRun({ dataIn: packet, repeat: 3 });
    const verdicts = ["XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"];
    console.log(
      `  test run of ${xdp.name} on a ${packet.length}-byte UDP packet, 3 times: ${verdicts[run.retval] ?? run.retval}`,
    );
    for (const map of objects.maps.values()) {
      if (map.spec.contents !== undefined) continue; // global data: printed as variables below
      const entries = [];
      try {
        for (const [key, value] of map.entries()) {
          if (!value.some((b) => b !== 0)) continue;
          const typed = map.spec.btfValueTypeId !== 0;
          entries.push(`[${format(map.decodeKey(key))}] = ${typed ? format(map.decodeValue(value)) : hex(value)}`);
        }
      } catch (err) {
        entries.push(`(not iterable: ${err.message})`);
      }
      console.log(`  map ${map.name}: ${entries.length ? entries.join(", ") : "all zero"}`);
    }
    for (const [name, variable] of objects.variables) {
      console.log(`  ${variable.spec.section} ${name} = ${format(variable.get())}`);
    }
  } finally {
    objects.close();
  }
}

/** Typed values as text (bigints without the n suffix). */
function format(value) {
  return JSON.stringify(value, (_, v) =>
    typeof v === "bigint" ? (Number.isSafeInteger(Number(v)) ? Number(v) : String(v)) : v,
  );
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** Ethernet + IPv4 + UDP, 64 bytes. */
function udpPacket() {
  const p = new Uint8Array(64);
  p.set([0x08, 0x00], 12); // EtherType IPv4
  p.set([0x45, 0, 0, 50, 0, 0, 0, 0, 64, 17], 14); // version/IHL, total length 50, TTL 64, protocol UDP
  p.set([10, 0, 0, 1, 10, 0, 0, 2], 26); // source, destination
  return p;
}

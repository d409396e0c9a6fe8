// `pnpm start [file.o]`: what is inside a BPF object — its sections, its symbols and its programs.
// Uses the built @bpfkit/elf (run `pnpm build` first).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
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

const path = process.argv[2] ?? fileURLToPath(new URL("../test/fixtures/xdp_parse.bpf.o", import.meta.url));
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

// First stage of opening: give every ELF section the role libbpf gives it (bpf_object__elf_collect). Programs
// live in executable PROGBITS sections; .data/.rodata(.*) PROGBITS and .bss(.*) NOBITS become global data maps;
// `license`, `version`, `.maps`, `maps`, `.BTF`, `.BTF.ext`, `.struct_ops`, `.struct_ops.link` are special; REL
// sections are kept only when they patch code, `.maps` or a struct_ops section. Everything else is skipped with a
// note, as libbpf does.

import {
  type ElfFile,
  type ElfRelocationSection,
  type ElfSection,
  type ElfSymbolTable,
  libbpfIgnoresSection,
  SHF_EXECINSTR,
  SHT_NOBITS,
  SHT_PROGBITS,
  SHT_REL,
  SHT_SYMTAB,
} from "@bpfkit/elf";
import { LoaderError } from "../errors.js";

export type DataSectionKind = "data" | "rodata" | "bss";

export interface DataSection {
  readonly section: ElfSection;
  readonly kind: DataSectionKind;
}

export interface ObjectLayout {
  readonly elf: ElfFile;
  readonly symtab: ElfSymbolTable;
  readonly license: string;
  readonly kernelVersion: number;
  /** Index of `.text` when it holds code. */
  readonly textIndex: number | undefined;
  readonly programSections: readonly ElfSection[];
  readonly dataSections: readonly DataSection[];
  readonly mapsSection: ElfSection | undefined;
  readonly legacyMapsSection: ElfSection | undefined;
  readonly btf: ElfSection | undefined;
  readonly btfExt: ElfSection | undefined;
  /** REL sections patching code (by target section index). */
  readonly codeRelocations: ReadonlyMap<number, ElfRelocationSection>;
  readonly mapsRelocations: ElfRelocationSection | undefined;
  /** `.struct_ops` and `.struct_ops.link` (libbpf >= 1.2; the maps get BPF_F_LINK), in section order. */
  readonly structOpsSections: readonly ElfSection[];
  /** REL sections patching a struct_ops section (function pointers → programs), by target section index. */
  readonly structOpsRelocations: ReadonlyMap<number, ElfRelocationSection>;
  readonly warnings: readonly string[];
}

const latin1 = new TextDecoder("latin1");

function hasPrefix(name: string, base: string): boolean {
  return name === base || name.startsWith(`${base}.`);
}

/** libbpf copies the license up to the first NUL, at most 127 bytes. */
function readLicense(section: ElfSection): string {
  const data = section.data;
  let end = 0;
  while (end < data.length && end < 127 && data[end] !== 0) end++;
  return latin1.decode(data.subarray(0, end));
}

export function collectLayout(elf: ElfFile): ObjectLayout {
  const symtabs = elf.symbolTables.filter((t) => t.section.type === SHT_SYMTAB);
  if (symtabs.length > 1) {
    throw new LoaderError("BAD_SECTION", "object has several symbol tables", { section: symtabs[1]!.section.name });
  }
  const symtab = symtabs[0];
  if (!symtab) throw new LoaderError("NO_SYMTAB", "object has no symbol table (stripped object file?)");

  const little = elf.endianness === "little";
  const warnings: string[] = [];
  let license = "";
  let kernelVersion = 0;
  let textIndex: number | undefined;
  const programSections: ElfSection[] = [];
  const dataSections: DataSection[] = [];
  let mapsSection: ElfSection | undefined;
  let legacyMapsSection: ElfSection | undefined;
  let btf: ElfSection | undefined;
  let btfExt: ElfSection | undefined;
  const relocationsByIndex = new Map(elf.relocationSections.map((r) => [r.section.index, r]));
  const codeRelocations = new Map<number, ElfRelocationSection>();
  let mapsRelocations: ElfRelocationSection | undefined;
  const structOpsSections: ElfSection[] = [];
  const structOpsRelocations = new Map<number, ElfRelocationSection>();
  const isStructOps = (s: ElfSection) =>
    (s.name === ".struct_ops" || s.name === ".struct_ops.link") &&
    s.type === SHT_PROGBITS &&
    (s.flags & SHF_EXECINSTR) === 0;

  for (const section of elf.sections) {
    if (section.index === 0 || libbpfIgnoresSection(section)) continue;
    const name = section.name;
    if (name === "license") {
      license = readLicense(section);
    } else if (name === "version") {
      if (section.size !== 4 || section.type === SHT_NOBITS) {
        throw new LoaderError("BAD_SECTION", `'version' section is ${section.size} bytes, expected 4`, {
          section: name,
        });
      }
      kernelVersion = new DataView(section.data.buffer, section.data.byteOffset, 4).getUint32(0, little);
    } else if (name === "maps") {
      // libbpf >= 1.0 refuses this; cilium/ebpf and aya still accept it, and so do we.
      legacyMapsSection = section;
      warnings.push("legacy map definitions in 'maps' section (refused by libbpf >= 1.0)");
    } else if (name === ".maps") {
      mapsSection = section;
    } else if (name === ".BTF" || name === ".BTF.ext") {
      if (section.type !== SHT_PROGBITS) {
        throw new LoaderError("BAD_SECTION", `${name} must be PROGBITS, is type ${section.type}`, { section: name });
      }
      if (name === ".BTF") btf = section;
      else btfExt = section;
    } else if (section.type === SHT_SYMTAB) {
      // the symbol table found above
    } else if (section.type === SHT_PROGBITS && section.size > 0) {
      if ((section.flags & SHF_EXECINSTR) !== 0) {
        if (name === ".text") textIndex = section.index;
        programSections.push(section);
      } else if (hasPrefix(name, ".data")) {
        dataSections.push({ section, kind: "data" });
      } else if (hasPrefix(name, ".rodata")) {
        dataSections.push({ section, kind: "rodata" });
      } else if (isStructOps(section)) {
        structOpsSections.push(section);
      } else {
        warnings.push(`skipping unrecognized data section(${section.index}) ${name}`);
      }
    } else if (section.type === SHT_REL) {
      const rel = relocationsByIndex.get(section.index);
      if (!rel || section.entsize !== 16) {
        throw new LoaderError("BAD_SECTION", `relocation section ${name} has entry size ${section.entsize}`, {
          section: name,
        });
      }
      if ((rel.target.flags & SHF_EXECINSTR) !== 0) codeRelocations.set(rel.target.index, rel);
      else if (name === ".rel.maps") mapsRelocations = rel;
      else if (isStructOps(rel.target)) structOpsRelocations.set(rel.target.index, rel);
      else warnings.push(`skipping relo section(${section.index}) ${name} for section(${rel.target.index})`);
    } else if (section.type === SHT_NOBITS && hasPrefix(name, ".bss")) {
      dataSections.push({ section, kind: "bss" });
    } else {
      warnings.push(`skipping section(${section.index}) ${name} (size ${section.size})`);
    }
  }

  return {
    elf,
    symtab,
    license,
    kernelVersion,
    textIndex,
    programSections,
    dataSections,
    mapsSection,
    legacyMapsSection,
    btf,
    btfExt,
    codeRelocations,
    mapsRelocations,
    structOpsSections,
    structOpsRelocations,
    warnings,
  };
}

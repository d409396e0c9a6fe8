// A comparable summary of a parsed file: everything the round trip must keep. Offsets are left out (the writer
// lays sections out afresh); string and symbol table bytes are left out (their contents are compared through the
// names and symbols that come out of them).
import { SHT_REL, SHT_RELA, SHT_STRTAB, SHT_SYMTAB } from "../src/constants.js";
import type { ElfFile } from "../src/elf-file.js";

/**
 * `localsFirst`: compare symbols in the order writeElf emits them (locals first, stable) and relocations by symbol
 * name instead of index — for inputs whose symbol table is not in that order (the libbpf linker's output).
 */
export function summarize(file: ElfFile, { localsFirst = false } = {}) {
  const rest = file.symbols.slice(1);
  const symbols = localsFirst
    ? [...file.symbols.slice(0, 1), ...rest.filter((s) => s.binding === 0), ...rest.filter((s) => s.binding !== 0)]
    : file.symbols;
  return {
    endianness: file.endianness,
    machine: file.header.machine,
    type: file.header.type,
    flags: file.header.flags,
    shstrndx: file.header.shstrndx,
    sections: file.sections.map((s) => ({
      index: s.index,
      name: s.name,
      type: s.type,
      flags: s.flags,
      addr: s.addr,
      size: s.type === SHT_STRTAB ? "(built)" : s.size,
      link: s.link,
      // The libbpf linker writes sh_info 0 on .symtab; ours is the first non-local.
      info: localsFirst && s.type === SHT_SYMTAB ? undefined : s.info,
      addralign: s.addralign,
      entsize: s.entsize,
      data: isBuilt(s.type, localsFirst) ? "(built)" : Buffer.from(s.data).toString("hex"),
    })),
    symbols: symbols.map((s) => ({
      index: localsFirst ? undefined : s.index,
      name: s.name,
      value: s.value,
      size: s.size,
      type: s.type,
      binding: s.binding,
      other: s.other,
      shndx: s.shndx,
      section: s.section?.name,
    })),
    relocations: file.relocationSections.map((r) => ({
      section: r.section.name,
      target: r.target.name,
      rela: r.rela,
      entries: r.relocations.map((e) => [
        e.offset,
        e.type,
        localsFirst ? undefined : e.symbolIndex,
        e.symbol.name,
        e.symbol.section?.name,
        e.addend,
      ]),
    })),
  };
}

/** Sections whose bytes the writer rebuilds; relocation bytes hold symbol indices, which change on reordering. */
function isBuilt(type: number, localsFirst: boolean): boolean {
  return type === SHT_STRTAB || type === SHT_SYMTAB || (localsFirst && (type === SHT_REL || type === SHT_RELA));
}

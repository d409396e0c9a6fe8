// A comparable summary of a parsed file: everything the round trip must keep. Offsets are left out (the writer
// lays sections out afresh); string and symbol table bytes are left out (their contents are compared through the
// names and symbols that come out of them).
import { SHT_STRTAB, SHT_SYMTAB } from "../src/constants.js";
import type { ElfFile } from "../src/elf-file.js";

export function summarize(file: ElfFile) {
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
      info: s.info,
      addralign: s.addralign,
      entsize: s.entsize,
      data: s.type === SHT_STRTAB || s.type === SHT_SYMTAB ? "(built)" : Buffer.from(s.data).toString("hex"),
    })),
    symbols: file.symbols.map((s) => ({
      index: s.index,
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
      entries: r.relocations.map((e) => [e.offset, e.type, e.symbolIndex, e.symbol.name, e.addend]),
    })),
  };
}

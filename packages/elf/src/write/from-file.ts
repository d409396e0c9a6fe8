import { SHF_INFO_LINK, SHT_DYNSYM, SHT_NOBITS, SHT_SYMTAB, SHT_SYMTAB_SHNDX } from "../constants.js";
import type { ElfFile } from "../elf-file.js";
import { describeSection, ElfError, sectionRef } from "../errors.js";
import type { ElfRelocationSection, ElfSection } from "../types.js";
import type {
  ElfWriteDataSection,
  ElfWriteModel,
  ElfWriteRelocation,
  ElfWriteSection,
  ElfWriteSymbol,
} from "./model.js";

/**
 * The write model of a parsed file: `writeElf(elfToWriteModel(file))` gives back the same sections (order, names,
 * types, flags, alignment, contents), symbols and relocations. Section contents are views on the file's bytes.
 * The symbol table, its string table and the section name table become placeholders the writer rebuilds; a
 * SHT_SYMTAB_SHNDX table is dropped (the writer adds one when it needs it).
 * Supports files with at most one symbol table (SHT_SYMTAB, no SHT_DYNSYM) — what compilers emit for objects.
 */
export function elfToWriteModel(file: ElfFile): ElfWriteModel {
  const tables = file.symbolTables;
  if (tables.length > 1 || tables.some((t) => t.section.type === SHT_DYNSYM)) {
    throw new ElfError("UNSUPPORTED", "elfToWriteModel: only files with a single SHT_SYMTAB can be converted", {
      ...(tables[1] ? { section: sectionRef(tables[1].section) } : {}),
    });
  }
  const symtab = tables[0];
  const stringTableIndex = symtab?.section.link;
  const nameTableIndex = file.header.shstrndx;

  const converted = new Map<number, ElfWriteSection>();
  /** Output order: converted sections, and parsed relocation sections still to convert. */
  const order: (ElfWriteSection | ElfRelocationSection)[] = [];
  const relocationsByIndex = new Map(file.relocationSections.map((r) => [r.section.index, r]));
  const dataSections: [ElfWriteDataSection, ElfSection][] = [];
  for (const section of file.sections) {
    if (section.index === 0) continue;
    if (section.type === SHT_SYMTAB_SHNDX && section.link === symtab?.section.index) continue;
    let out: ElfWriteSection;
    if (section.type === SHT_SYMTAB) out = { kind: "symtab", name: section.name, flags: section.flags };
    else if (section.index === stringTableIndex) out = { kind: "strtab", name: section.name, flags: section.flags };
    else if (section.index === nameTableIndex) out = { kind: "shstrtab", name: section.name, flags: section.flags };
    else if (relocationsByIndex.has(section.index)) {
      // Built below, once every section it may target and every symbol exists.
      order.push(relocationsByIndex.get(section.index)!);
      continue;
    } else {
      const data: ElfWriteDataSection = {
        kind: "data",
        name: section.name,
        type: section.type,
        flags: section.flags,
        addr: section.addr,
        addralign: section.addralign,
        entsize: section.entsize,
        info: section.info,
      };
      if (section.type === SHT_NOBITS) data.size = section.size;
      else data.data = section.data;
      dataSections.push([data, section]);
      out = data;
    }
    converted.set(section.index, out);
    order.push(out);
  }
  const sectionFor = (index: number, what: string): ElfWriteSection => {
    const section = converted.get(index);
    if (!section) {
      throw new ElfError(
        "UNSUPPORTED",
        `elfToWriteModel: ${what} refers to section ${index}, which has no place in a write model`,
      );
    }
    return section;
  };
  for (const [data, section] of dataSections) {
    if (section.link !== 0) data.link = sectionFor(section.link, describeSection(section));
    if (section.flags & SHF_INFO_LINK && section.info !== 0)
      data.info = sectionFor(section.info, describeSection(section));
  }

  const symbols: ElfWriteSymbol[] = (symtab?.symbols ?? []).slice(1).map((symbol) => ({
    name: symbol.name,
    value: symbol.value,
    size: symbol.size,
    type: symbol.type,
    binding: symbol.binding,
    visibility: symbol.visibility,
    section: symbol.section
      ? sectionFor(symbol.section.index, `symbol ${symbol.name}`)
      : symbol.shndx === 0
        ? undefined
        : symbol.shndx,
  }));
  const sections = order.map((entry): ElfWriteSection => {
    if ("kind" in entry) return entry;
    const rela = entry.rela;
    return {
      kind: "relocations",
      name: entry.section.name,
      target: sectionFor(entry.target.index, describeSection(entry.section)),
      rela,
      flags: entry.section.flags,
      addralign: entry.section.addralign,
      relocations: entry.relocations.map(
        (r): ElfWriteRelocation => ({
          offset: r.offset,
          type: r.type,
          symbol: r.symbolIndex === 0 ? undefined : symbols[r.symbolIndex - 1],
          addend: rela ? r.addend : undefined,
        }),
      ),
    };
  });

  const { header } = file;
  return {
    endianness: header.endianness,
    machine: header.machine,
    type: header.type,
    flags: header.flags,
    osabi: header.osabi,
    abiVersion: header.abiVersion,
    sections,
    symbols,
  };
}

import { SHT_DYNSYM, SHT_REL, SHT_RELA, SHT_STRTAB, SHT_SYMTAB } from "./constants.js";
import { ElfError, sectionRef } from "./errors.js";
import { readHeader } from "./header.js";
import { readRelocationSection } from "./relocations.js";
import { readSectionTable } from "./section-table.js";
import { SectionStringTable } from "./strings.js";
import { readSymbolTable } from "./symbols.js";
import type {
  ElfHeader,
  ElfRelocationSection,
  ElfSection,
  ElfStringTable,
  ElfSymbol,
  ElfSymbolTable,
  Endianness,
  ParseOptions,
} from "./types.js";

const NO_SYMBOLS: readonly ElfSymbol[] = [];

/**
 * A parsed ELF64 object. Everything is validated up front; relocation entries are built on first access (see
 * relocations.ts) and lookups are indexed on first use.
 */
export class ElfFile {
  /** The bytes this was parsed from; section `data` are views on them. */
  readonly bytes: Uint8Array;
  readonly header: ElfHeader;
  /** All sections in file order, section 0 (SHT_NULL) included, so `sections[i].index === i`. */
  readonly sections: readonly ElfSection[];
  /** Every SHT_SYMTAB and SHT_DYNSYM section, in section order. */
  readonly symbolTables: readonly ElfSymbolTable[];
  /** Every SHT_REL and SHT_RELA section, in section order. */
  readonly relocationSections: readonly ElfRelocationSection[];

  private byName: Map<string, ElfSection> | undefined;
  private bySection: Map<number, ElfSymbol[]> | undefined;

  constructor(
    bytes: Uint8Array,
    header: ElfHeader,
    sections: readonly ElfSection[],
    symbolTables: readonly ElfSymbolTable[],
    relocationSections: readonly ElfRelocationSection[],
  ) {
    this.bytes = bytes;
    this.header = header;
    this.sections = sections;
    this.symbolTables = symbolTables;
    this.relocationSections = relocationSections;
  }

  get endianness(): Endianness {
    return this.header.endianness;
  }

  /** The SHT_SYMTAB symbol table (the first, if a file had several), or undefined for a stripped file. */
  get symtab(): ElfSymbolTable | undefined {
    return this.symbolTables.find((t) => t.section.type === SHT_SYMTAB);
  }

  /** Symbols of `symtab`, null symbol at index 0 included; empty when there is no symbol table. */
  get symbols(): readonly ElfSymbol[] {
    return this.symtab?.symbols ?? NO_SYMBOLS;
  }

  /** The first section with this name. */
  sectionByName(name: string): ElfSection | undefined {
    if (!this.byName) {
      this.byName = new Map();
      for (const section of this.sections) if (!this.byName.has(section.name)) this.byName.set(section.name, section);
    }
    return this.byName.get(name);
  }

  sectionsByType(type: number): ElfSection[] {
    return this.sections.filter((s) => s.type === type);
  }

  /** Symbols of `symtab` defined in a section, in symbol table order. */
  symbolsInSection(section: ElfSection | number): readonly ElfSymbol[] {
    if (!this.bySection) {
      this.bySection = new Map();
      for (const symbol of this.symbols) {
        if (!symbol.section) continue;
        let list = this.bySection.get(symbol.section.index);
        if (!list) {
          list = [];
          this.bySection.set(symbol.section.index, list);
        }
        list.push(symbol);
      }
    }
    return this.bySection.get(typeof section === "number" ? section : section.index) ?? NO_SYMBOLS;
  }

  /**
   * The strings of a SHT_STRTAB section (e.g. `.strtab`, or a custom one a section's sh_link names). Throws
   * `ElfError` (BAD_LINK) for any other section.
   */
  stringTable(section: ElfSection | number): ElfStringTable {
    const target = typeof section === "number" ? this.sections[section] : section;
    if (!target || target.type !== SHT_STRTAB) {
      const index = typeof section === "number" ? section : section.index;
      throw new ElfError("BAD_LINK", `section ${index} is not a string table`, {
        ...(target ? { section: sectionRef(target), offset: target.offset } : {}),
        expected: "SHT_STRTAB",
      });
    }
    if (this.symtab?.strings.section === target) return this.symtab.strings;
    return new SectionStringTable(target);
  }

  /** Relocation sections that patch a section (usually zero or one). */
  relocationsFor(section: ElfSection | number): ElfRelocationSection[] {
    const index = typeof section === "number" ? section : section.index;
    return this.relocationSections.filter((r) => r.target.index === index);
  }
}

/**
 * Parses an ELF64 object (little- or big-endian). Expects a BPF relocatable object (EM_BPF, ET_REL) unless
 * `options` say otherwise. Throws only `ElfError`.
 */
export function parseElf(bytes: Uint8Array, options: ParseOptions = {}): ElfFile {
  const { header: rawHeader, reader } = readHeader(bytes, options);
  const { header, sections, names } = readSectionTable(reader, rawHeader);
  const symbolTables = new Map<number, ElfSymbolTable>();
  for (const section of sections) {
    if (section.type === SHT_SYMTAB || section.type === SHT_DYNSYM) {
      symbolTables.set(section.index, readSymbolTable(reader, sections, section, header.shoff, names));
    }
  }
  const relocationSections: ElfRelocationSection[] = [];
  for (const section of sections) {
    if (section.type === SHT_REL || section.type === SHT_RELA) {
      relocationSections.push(
        readRelocationSection(reader, sections, symbolTables, section, header.shoff, options.lazyRelocations),
      );
    }
  }
  return new ElfFile(bytes, header, sections, [...symbolTables.values()], relocationSections);
}

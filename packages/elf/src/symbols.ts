import type { ByteReader } from "./byte-reader.js";
import { ELF64_SYM_SIZE, SHN_LORESERVE, SHN_UNDEF, SHN_XINDEX, SHT_STRTAB, SHT_SYMTAB_SHNDX } from "./constants.js";
import { describeSection, ElfError, type ElfErrorSection, hex, sectionRef } from "./errors.js";
import { SectionStringTable } from "./strings.js";
import type { ElfSection, ElfStringTable, ElfSymbol, ElfSymbolTable } from "./types.js";

/**
 * Checks that a table section has the fixed entry size and a whole number of entries, and returns that number.
 * The count comes from a size already checked against the file, so it can size an array safely.
 */
export function entryCount(section: ElfSection, entrySize: number, headerOffset: number): number {
  if (section.entsize !== entrySize) {
    throw new ElfError(
      "BAD_ENTSIZE",
      `${describeSection(section)}: sh_entsize is ${section.entsize}, expected ${entrySize}`,
      { offset: headerOffset + 56, section: sectionRef(section), expected: entrySize },
    );
  }
  if (section.size % entrySize !== 0) {
    throw new ElfError(
      "BAD_ENTSIZE",
      `${describeSection(section)}: sh_size ${hex(section.size)} is not a multiple of the entry size ${entrySize}`,
      { offset: headerOffset + 32, section: sectionRef(section), expected: `multiple of ${entrySize}` },
    );
  }
  return section.size / entrySize;
}

/** The SHT_SYMTAB_SHNDX section that extends `table`, if any, as one u32 per symbol. */
function findExtendedIndices(
  reader: ByteReader,
  sections: readonly ElfSection[],
  table: ElfSection,
  symbolCount: number,
  shoff: number,
): ((symbol: number) => number) | undefined {
  const extension = sections.find((s) => s.type === SHT_SYMTAB_SHNDX && s.link === table.index);
  if (!extension) return undefined;
  const count = entryCount(extension, 4, shoff + extension.index * 64);
  if (count !== symbolCount) {
    throw new ElfError(
      "BAD_ENTSIZE",
      `${describeSection(extension)}: has ${count} entries but ${describeSection(table)} has ${symbolCount} symbols`,
      { offset: extension.offset, section: sectionRef(extension), expected: symbolCount },
    );
  }
  const context = sectionRef(extension);
  return (symbol) => reader.u32(extension.offset + symbol * 4, "extended section index", context);
}

/** Reads a SHT_SYMTAB/SHT_DYNSYM section, resolving names, SHN_XINDEX and defining sections. */
export function readSymbolTable(
  reader: ByteReader,
  sections: readonly ElfSection[],
  table: ElfSection,
  shoff: number,
  names?: SectionStringTable,
): ElfSymbolTable {
  const headerOffset = shoff + table.index * 64;
  const count = entryCount(table, ELF64_SYM_SIZE, headerOffset);
  const stringSection = sections[table.link]!;
  if (table.link === table.index || stringSection.type !== SHT_STRTAB) {
    throw new ElfError(
      "BAD_LINK",
      `${describeSection(table)}: sh_link ${table.link} must name a string table, not ${table.link === table.index ? "itself" : `${describeSection(stringSection)} (sh_type ${stringSection.type})`}`,
      { offset: headerOffset + 40, section: sectionRef(table), expected: "SHT_STRTAB" },
    );
  }
  if (table.info > count) {
    throw new ElfError(
      "OUT_OF_RANGE",
      `${describeSection(table)}: sh_info (first non-local symbol) is ${table.info} but there are only ${count} symbols`,
      { offset: headerOffset + 44, section: sectionRef(table), expected: `<= ${count}` },
    );
  }
  const strings: ElfStringTable = new SectionStringTable(stringSection, names);
  const extended = findExtendedIndices(reader, sections, table, count, shoff);
  const symbols: ElfSymbol[] = new Array(count);
  const context = sectionRef(table);
  // The table lies inside the file (checked with the section headers): fields are read straight from the view.
  const view = reader.view;
  const le = reader.littleEndian;
  for (let index = 0; index < count; index++) {
    const at = table.offset + index * ELF64_SYM_SIZE;
    const nameOffset = view.getUint32(at, le);
    const info = view.getUint8(at + 4);
    const other = view.getUint8(at + 5);
    const storedShndx = view.getUint16(at + 6, le);
    let shndx = storedShndx;
    if (storedShndx === SHN_XINDEX) {
      if (!extended) {
        throw new ElfError(
          "BAD_LINK",
          `${describeSection(table)} symbol ${index}: st_shndx is SHN_XINDEX but there is no SHT_SYMTAB_SHNDX section`,
          {
            offset: at + 6,
            section: sectionRef(table),
          },
        );
      }
      shndx = extended(index);
    }
    const isReal = shndx !== SHN_UNDEF && (storedShndx === SHN_XINDEX || shndx < SHN_LORESERVE);
    if (isReal && shndx >= sections.length) {
      throw new ElfError(
        "OUT_OF_RANGE",
        `${describeSection(table)} symbol ${index}: section index ${shndx} is not a section (there are ${sections.length})`,
        { offset: at + 6, section: sectionRef(table), expected: `< ${sections.length}` },
      );
    }
    symbols[index] = {
      index,
      name: nameOffset === 0 ? "" : symbolName(strings, nameOffset, table, index, at),
      nameOffset,
      value: symbolU64(reader, at + 8, "st_value", context),
      size: symbolU64(reader, at + 16, "st_size", context),
      type: info & 0xf,
      binding: info >> 4,
      visibility: other & 3,
      other,
      shndx,
      section: isReal ? sections[shndx] : undefined,
    };
  }
  return { section: table, strings, symbols, firstNonLocal: table.info };
}

/** A u64 field inside the (checked) table; one too big for a number goes to ByteReader.u64 for its error. */
function symbolU64(reader: ByteReader, at: number, what: string, context: ElfErrorSection): number {
  const le = reader.littleEndian;
  const high = reader.view.getUint32(le ? at + 4 : at, le);
  const low = reader.view.getUint32(le ? at : at + 4, le);
  if (high === 0) return low;
  return high <= MAX_SAFE_HIGH_WORD ? high * 0x1_0000_0000 + low : reader.u64(at, what, context);
}

/** Largest high word of a u64 that still gives an exact JavaScript number (2^53 - 1 >> 32). */
const MAX_SAFE_HIGH_WORD = 0x1f_ffff;

/** The name of a symbol; a bad name is reported at the symbol's st_name field. */
function symbolName(strings: ElfStringTable, offset: number, table: ElfSection, index: number, at: number): string {
  try {
    return strings.get(offset);
  } catch (err) {
    if (!(err instanceof ElfError)) throw err;
    throw new ElfError(err.code, `${describeSection(table)} symbol ${index}: bad st_name: ${err.message}`, {
      section: sectionRef(table),
      offset: at,
    });
  }
}

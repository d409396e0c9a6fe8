import type { ByteReader } from "./byte-reader.js";
import { ELF64_REL_SIZE, ELF64_RELA_SIZE, SHT_RELA } from "./constants.js";
import { describeSection, ElfError, hex, sectionRef } from "./errors.js";
import { entryCount } from "./symbols.js";
import type { ElfRelocation, ElfRelocationSection, ElfSection, ElfSymbolTable } from "./types.js";

/** Reads a SHT_REL/SHT_RELA section, resolving its target section and every entry's symbol. */
export function readRelocationSection(
  reader: ByteReader,
  sections: readonly ElfSection[],
  symbolTables: ReadonlyMap<number, ElfSymbolTable>,
  section: ElfSection,
  shoff: number,
): ElfRelocationSection {
  const headerOffset = shoff + section.index * 64;
  const rela = section.type === SHT_RELA;
  const entrySize = rela ? ELF64_RELA_SIZE : ELF64_REL_SIZE;
  const count = entryCount(section, entrySize, headerOffset);
  const symbolTable = symbolTables.get(section.link);
  if (!symbolTable || section.link === section.index) {
    throw new ElfError(
      "bad-link",
      `${describeSection(section)}: sh_link ${section.link} must name a symbol table, not ${section.link === section.index ? "itself" : describeSection(sections[section.link]!)}`,
      { offset: headerOffset + 40, section: sectionRef(section), expected: "SHT_SYMTAB" },
    );
  }
  const target = sections[section.info]!;
  if (section.info === 0 || section.info === section.index) {
    throw new ElfError(
      "bad-link",
      `${describeSection(section)}: sh_info ${section.info} must name the section the relocations apply to`,
      { offset: headerOffset + 44, section: sectionRef(section), expected: "target section index" },
    );
  }
  const symbols = symbolTable.symbols;
  const relocations: ElfRelocation[] = new Array(count);
  const context = sectionRef(section);
  for (let i = 0; i < count; i++) {
    const at = section.offset + i * entrySize;
    const offset = reader.u64(at, "r_offset", context);
    const type = reader.u32(at + (reader.littleEndian ? 8 : 12), "r_info", context);
    const symbolIndex = reader.u32(at + (reader.littleEndian ? 12 : 8), "r_info", context);
    const symbol = symbols[symbolIndex];
    if (!symbol) {
      throw new ElfError(
        "out-of-range",
        `${describeSection(section)} entry ${i}: symbol index ${symbolIndex} is past ${describeSection(symbolTable.section)} (${symbols.length} symbols)`,
        { offset: at + 8, section: sectionRef(section), expected: `< ${symbols.length}` },
      );
    }
    if (offset >= target.size) {
      throw new ElfError(
        "out-of-range",
        `${describeSection(section)} entry ${i}: offset ${hex(offset)} is past the end of ${describeSection(target)} (size ${hex(target.size)})`,
        { offset: at, section: sectionRef(section), expected: `< ${hex(target.size)}` },
      );
    }
    relocations[i] = { offset, type, symbolIndex, symbol, addend: rela ? reader.i64(at + 16, "r_addend", context) : 0 };
  }
  return { section, rela, target, symbolTable, relocations };
}

export { ByteReader } from "./byte-reader.js";
export * from "./constants.js";
export { ElfFile, parseElf } from "./elf-file.js";
export type { ElfErrorCode, ElfErrorContext, ElfErrorSection } from "./errors.js";
export { ElfError } from "./errors.js";
export { isElf } from "./header.js";
export type {
  ElfHeader,
  ElfRelocation,
  ElfRelocationSection,
  ElfSection,
  ElfStringTable,
  ElfSymbol,
  ElfSymbolTable,
  Endianness,
  ParseOptions,
} from "./types.js";
export { elfToWriteModel } from "./write/from-file.js";
export type {
  ElfWriteDataSection,
  ElfWriteModel,
  ElfWriteRelocation,
  ElfWriteRelocationSection,
  ElfWriteSection,
  ElfWriteSectionNameTableSection,
  ElfWriteStringTableSection,
  ElfWriteSymbol,
  ElfWriteSymbolTableSection,
} from "./write/model.js";
export { writeElf } from "./write/write-elf.js";

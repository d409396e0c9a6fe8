export { ByteReader } from "./byte-reader.js";
export * from "./constants.js";
export { ElfFile, parseElf } from "./elf-file.js";
export type { ElfErrorCode, ElfErrorContext, ElfErrorSection } from "./errors.js";
export { ElfError } from "./errors.js";
export {
  describeFile,
  type ElfExecutable,
  ElfLookupError,
  type ElfSegment,
  type FunctionLocation,
  fileOffsetOf,
  findFunction,
  loadSegmentAt,
  type ParseExecutableOptions,
  PF_R,
  PF_W,
  PF_X,
  PT_DYNAMIC,
  PT_INTERP,
  PT_LOAD,
  PT_NOTE,
  PT_NULL,
  PT_PHDR,
  parseExecutable,
  SHT_GNU_VERDEF,
  SHT_GNU_VERSYM,
  STT_GNU_IFUNC,
} from "./executable.js";
export { isElf } from "./header.js";
export { libbpfIgnoresSection, type SectionShape } from "./libbpf-ignored.js";
export {
  findUsdtSites,
  NT_STAPSDT,
  readUsdtNotes,
  STAPSDT_BASE_SECTION,
  STAPSDT_NOTE_SECTION,
  type UsdtNote,
  type UsdtSite,
} from "./stapsdt.js";
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
export { type BuiltStringTable, buildStringTable } from "./write/string-table-builder.js";
export { writeElf } from "./write/write-elf.js";

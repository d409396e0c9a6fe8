// ELF constants used by BPF objects. These are fixed by the System V gABI and by the BPF psABI (LLVM's
// ELFRelocs/BPF.def, the kernel's Documentation/bpf/llvm_reloc.rst); they never change, so they are written
// out here rather than generated.

/** `e_ident` layout and values. */
export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const; // "\x7fELF"
export const EI_CLASS = 4;
export const EI_DATA = 5;
export const EI_VERSION = 6;
export const EI_OSABI = 7;
export const EI_ABIVERSION = 8;
export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;
export const EV_CURRENT = 1;

/** Sizes of the ELF64 structures. */
export const ELF64_EHDR_SIZE = 64;
export const ELF64_SHDR_SIZE = 64;
export const ELF64_SYM_SIZE = 24;
export const ELF64_REL_SIZE = 16;
export const ELF64_RELA_SIZE = 24;

/** `e_type`. */
export const ET_NONE = 0;
export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;

/** `e_machine`. */
export const EM_NONE = 0;
export const EM_BPF = 247;

/** Special section indices. */
export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

/** `sh_type`. */
export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_HASH = 5;
export const SHT_DYNAMIC = 6;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHT_DYNSYM = 11;
export const SHT_INIT_ARRAY = 14;
export const SHT_FINI_ARRAY = 15;
export const SHT_GROUP = 17;
export const SHT_SYMTAB_SHNDX = 18;
export const SHT_LLVM_ADDRSIG = 0x6fff4c03;

/** `sh_flags` bits. */
export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;
export const SHF_MERGE = 0x10;
export const SHF_STRINGS = 0x20;
export const SHF_INFO_LINK = 0x40;
export const SHF_LINK_ORDER = 0x80;
export const SHF_GROUP = 0x200;
export const SHF_TLS = 0x400;
export const SHF_COMPRESSED = 0x800;
export const SHF_EXCLUDE = 0x80000000;

/** Symbol binding (`st_info >> 4`). */
export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;

/** Symbol type (`st_info & 0xf`). */
export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;
export const STT_COMMON = 5;
export const STT_TLS = 6;

/** Symbol visibility (`st_other & 3`). */
export const STV_DEFAULT = 0;
export const STV_INTERNAL = 1;
export const STV_HIDDEN = 2;
export const STV_PROTECTED = 3;

/** BPF relocation types (`ELF64_R_TYPE(r_info)`). */
export const R_BPF_NONE = 0;
/** ld_imm64 of a map or global data address (64-bit immediate split over two instructions). */
export const R_BPF_64_64 = 1;
/** Absolute 64-bit address in data (DWARF, `.maps` initializers). */
export const R_BPF_64_ABS64 = 2;
/** Absolute 32-bit address in data (DWARF, BTF). */
export const R_BPF_64_ABS32 = 3;
/** Like ABS32, but not to be applied by a dynamic loader (`.BTF`, `.BTF.ext`). */
export const R_BPF_64_NODYLD32 = 4;
/** Call or jump immediate: pc-relative, in instructions. */
export const R_BPF_64_32 = 10;

const SECTION_TYPE_NAMES: Record<number, string> = {
  [SHT_NULL]: "NULL",
  [SHT_PROGBITS]: "PROGBITS",
  [SHT_SYMTAB]: "SYMTAB",
  [SHT_STRTAB]: "STRTAB",
  [SHT_RELA]: "RELA",
  [SHT_HASH]: "HASH",
  [SHT_DYNAMIC]: "DYNAMIC",
  [SHT_NOTE]: "NOTE",
  [SHT_NOBITS]: "NOBITS",
  [SHT_REL]: "REL",
  [SHT_DYNSYM]: "DYNSYM",
  [SHT_INIT_ARRAY]: "INIT_ARRAY",
  [SHT_FINI_ARRAY]: "FINI_ARRAY",
  [SHT_GROUP]: "GROUP",
  [SHT_SYMTAB_SHNDX]: "SYMTAB_SHNDX",
  [SHT_LLVM_ADDRSIG]: "LLVM_ADDRSIG",
};

const SYMBOL_TYPE_NAMES = ["NOTYPE", "OBJECT", "FUNC", "SECTION", "FILE", "COMMON", "TLS"];
const SYMBOL_BINDING_NAMES = ["LOCAL", "GLOBAL", "WEAK"];
const VISIBILITY_NAMES = ["DEFAULT", "INTERNAL", "HIDDEN", "PROTECTED"];
const RELOCATION_TYPE_NAMES: Record<number, string> = {
  [R_BPF_NONE]: "R_BPF_NONE",
  [R_BPF_64_64]: "R_BPF_64_64",
  [R_BPF_64_ABS64]: "R_BPF_64_ABS64",
  [R_BPF_64_ABS32]: "R_BPF_64_ABS32",
  [R_BPF_64_NODYLD32]: "R_BPF_64_NODYLD32",
  [R_BPF_64_32]: "R_BPF_64_32",
};

/** readelf-style name of a section type (`PROGBITS`), or the number in hex when unknown. */
export function sectionTypeName(type: number): string {
  return SECTION_TYPE_NAMES[type] ?? `0x${type.toString(16)}`;
}

/** readelf-style name of a symbol type (`FUNC`), or the number when unknown. */
export function symbolTypeName(type: number): string {
  return SYMBOL_TYPE_NAMES[type] ?? String(type);
}

/** readelf-style name of a symbol binding (`GLOBAL`), or the number when unknown. */
export function symbolBindingName(binding: number): string {
  return SYMBOL_BINDING_NAMES[binding] ?? String(binding);
}

/** readelf-style name of a symbol visibility (`DEFAULT`). */
export function visibilityName(visibility: number): string {
  return VISIBILITY_NAMES[visibility & 3]!;
}

/** Name of a BPF relocation type (`R_BPF_64_64`), or the number when unknown. */
export function relocationTypeName(type: number): string {
  return RELOCATION_TYPE_NAMES[type] ?? String(type);
}

/** readelf-style flag letters (`WAX`, `I`, `MS`, `E`). */
export function sectionFlagLetters(flags: number): string {
  const letters: [number, string][] = [
    [SHF_WRITE, "W"],
    [SHF_ALLOC, "A"],
    [SHF_EXECINSTR, "X"],
    [SHF_MERGE, "M"],
    [SHF_STRINGS, "S"],
    [SHF_INFO_LINK, "I"],
    [SHF_LINK_ORDER, "L"],
    [SHF_GROUP, "G"],
    [SHF_TLS, "T"],
    [SHF_COMPRESSED, "C"],
    [SHF_EXCLUDE, "E"],
  ];
  let out = "";
  for (const [bit, letter] of letters) if (flags & bit) out += letter;
  return out;
}
